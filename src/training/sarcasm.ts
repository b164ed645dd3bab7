/**
 * The sarcasm model: word n-grams trained on the Twitter sarcasm set's hashtag labels, then Platt-scaled
 * (Platt 1999: p = sigmoid(a * z + b) on the model's logit z) on half of the human-labelled `valid2`
 * tweets, so that its probability means what it says; precision and recall are reported on the other half
 * and on MUStARD (TV dialogue), which neither step saw.
 */
import { seededRandom, shuffleInPlace } from '../core/random.js';
import { classificationMetrics } from '../evaluation/metrics.js';
import { fitPlatt, type PlattScaling, plattProbability } from '../models/heads/calibration.js';
import { NgramLogReg } from '../models/heads/ngram-logreg.js';

export { fitPlatt, type PlattScaling, plattProbability };

import { type BinaryExample, loadMustard, loadTwitterSarcasm } from './datasets.js';

export interface BinaryScores {
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  n: number;
  /** Share of the set that is sarcastic. */
  positive_share: number;
}

/** Precision, recall and F1 of class 1, and accuracy, of "1 when p >= threshold" (classificationMetrics). */
export function binaryScores(y: readonly number[], p: readonly number[], threshold: number): BinaryScores {
  const m = classificationMetrics(
    y,
    p.map((v) => (v >= threshold ? 1 : 0)),
    2,
  );
  const pos = m.per_class[1] as { precision: number; recall: number; f1: number };
  return {
    precision: pos.precision,
    recall: pos.recall,
    f1: pos.f1,
    accuracy: m.accuracy,
    n: m.n,
    positive_share: y.length ? y.filter((v) => v === 1).length / y.length : 0,
  };
}

export interface SarcasmModel {
  model: NgramLogReg;
  platt: PlattScaling;
  metrics: {
    threshold: number;
    valid2_human_heldout: BinaryScores;
    mustard: BinaryScores;
    calibration_n: number;
  };
}

/** Trains, calibrates and scores the sarcasm model (see the file's comment). Seeded. */
export function trainSarcasm(opts: { seed?: number; log?: (m: string) => void } = {}): SarcasmModel {
  const seed = opts.seed ?? 42;
  const log = opts.log ?? (() => {});
  const train = loadTwitterSarcasm('train');
  log(`sarcasm model on ${train.length} tweets (hashtag labels)`);
  const model = NgramLogReg.train(
    train.map((e) => e.text),
    train.map((e) => e.label),
    2,
    { seed, epochs: 5, minCount: 3, classWeights: [1, 1] },
  );
  const valid = shuffleInPlace([...loadTwitterSarcasm('valid2')], seededRandom(seed + 3));
  const half = Math.floor(valid.length / 2);
  const cal = valid.slice(0, half);
  const held = valid.slice(half);
  const platt = fitPlatt(
    cal.map((e) => model.logOdds(e.text)),
    cal.map((e) => e.label),
  );
  const score = (es: BinaryExample[]) =>
    binaryScores(
      es.map((e) => e.label),
      es.map((e) => plattProbability(platt, model.logOdds(e.text))),
      0.5,
    );
  const metrics = {
    threshold: 0.5,
    valid2_human_heldout: score(held),
    mustard: score(loadMustard()),
    calibration_n: cal.length,
  };
  log(
    `sarcasm: Platt a ${platt.a.toFixed(3)} b ${platt.b.toFixed(3)}; held-out human valid2 precision ${metrics.valid2_human_heldout.precision.toFixed(3)} recall ${metrics.valid2_human_heldout.recall.toFixed(3)}`,
  );
  return { model, platt, metrics };
}
