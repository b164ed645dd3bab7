import { type ClassScores, SENTIMENTS, type Sentiment, scoresFromArray } from '../core/types.js';
import { type CalibrationJSON, calibrate, NO_CALIBRATION } from './calibration.js';
import type { Labeler, LabelerOutput, LabelInput, Thresholds, Vote } from './types.js';

/**
 * Default say of each labeler in the pooled vote (a labeler not named here gets 1). The lexicon's is small:
 * the review model already reads VADER's scores, and as a separate vote on the e-commerce val split it
 * lowered the pooled label's accuracy from 0.703 (weight 0) to 0.695 (0.1) and 0.650 (0.5); it keeps a
 * small say so that it still answers when the classifier cannot.
 */
export const DEFAULT_WEIGHTS: Record<string, number> = { classifier: 1, llm: 1, lexicon: 0.05 };

const FLOOR = 1e-4;

/**
 * Weighted log-linear pooling of the votes that have class probabilities: logit_c = sum_i w_i log p_ic
 * divided by the weights' sum. Failed votes have no say. Undefined when no vote can be pooled.
 */
export function poolVotes(
  votes: readonly Vote[],
  weights: Record<string, number> = DEFAULT_WEIGHTS,
): Float64Array | undefined {
  const z = new Float64Array(SENTIMENTS.length);
  let wsum = 0;
  for (const v of votes) {
    if (v.error || !v.probs) continue;
    const w = weights[v.labeler] ?? 1;
    if (w <= 0) continue;
    SENTIMENTS.forEach((s, c) => {
      z[c] = (z[c] as number) + w * Math.log(Math.max(FLOOR, (v.probs as ClassScores)[s]));
    });
    wsum += w;
  }
  if (wsum === 0) return undefined;
  for (let c = 0; c < z.length; c++) z[c] = (z[c] as number) / wsum;
  return z;
}

/** A labeler's answer as the ensemble records and pools it (confidence and probabilities rounded to 4 decimals). */
export function voteOf(labeler: string, out: LabelerOutput): Vote {
  return {
    labeler,
    label: out.label,
    confidence: round(out.confidence),
    ...(out.probs ? { probs: roundScores(out.probs) } : {}),
  };
}

export interface EnsembleResult {
  label: Sentiment;
  /** Calibrated confidence (what the gate reads). */
  confidence: number;
  /** Top-class probability before calibration's isotonic step. */
  rawConfidence: number;
  probs: ClassScores;
  /** Pooled logits, kept so a calibration can be fitted on them. */
  logits: number[];
  votes: Vote[];
  /** A text embedding from a labeler that computed one (for diversity in the queue order). */
  embedding?: Float32Array;
}

/**
 * Where an ensemble's calibration came from: the calibration file `label calibrate` wrote, the production
 * model's artifact (`labeling` block), passed in by the caller, or none (identity).
 */
export type CalibrationSource = 'file' | 'artifact' | 'given' | 'none';

export interface EnsembleOptions {
  weights?: Record<string, number>;
  calibration?: CalibrationJSON;
  /**
   * The gating thresholds that go with this ensemble (`buildEnsemble` resolves them from the configuration,
   * the calibration file or the model's shipped calibration); `labelUnlabelled` gates with them.
   */
  thresholds?: Thresholds;
  /** Where the calibration came from, for logs (default: `given` with a calibration, else `none`). */
  calibrationSource?: CalibrationSource;
  /** Time allowed for one labeler on one review; past it, the labeler is recorded as failed. */
  labelerTimeoutMs?: number;
}

/**
 * Asks every labeler, pools their votes and calibrates the result. A labeler that throws or times out
 * is recorded in the votes with its error and the others decide; when none answers, it throws.
 */
export class Ensemble {
  readonly calibration: CalibrationJSON;
  readonly thresholds: Thresholds | undefined;
  readonly calibrationSource: CalibrationSource;

  constructor(
    readonly labelers: Labeler[],
    private readonly opts: EnsembleOptions = {},
  ) {
    if (labelers.length === 0) throw new Error('an ensemble needs at least one labeler');
    this.calibration = opts.calibration ?? NO_CALIBRATION;
    this.thresholds = opts.thresholds;
    this.calibrationSource = opts.calibrationSource ?? (opts.calibration ? 'given' : 'none');
  }

  async label(input: LabelInput): Promise<EnsembleResult> {
    let embedding: Float32Array | undefined;
    const votes = await Promise.all(
      this.labelers.map(async (l): Promise<Vote> => {
        try {
          const out = await withTimeout(l.label(input), this.opts.labelerTimeoutMs ?? 0, l.name);
          if (out.embedding) embedding ??= out.embedding;
          return voteOf(l.name, out);
        } catch (e) {
          return { labeler: l.name, label: null, confidence: 0, error: (e as Error).message.slice(0, 300) };
        }
      }),
    );
    const z = poolVotes(votes, this.opts.weights);
    if (!z) {
      throw new Error(
        `no labeler answered: ${votes.map((v) => `${v.labeler}: ${v.error ?? 'no probabilities'}`).join('; ')}`,
      );
    }
    const cal = calibrate(this.calibration, z);
    return {
      label: SENTIMENTS[cal.label] as Sentiment,
      confidence: round(cal.confidence),
      rawConfidence: round(cal.rawConfidence),
      probs: roundScores(scoresFromArray(cal.probs)),
      logits: [...z].map(round),
      votes,
      ...(embedding ? { embedding } : {}),
    };
  }
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;
const roundScores = (s: ClassScores): ClassScores => ({
  negative: round(s.negative),
  neutral: round(s.neutral),
  positive: round(s.positive),
});

async function withTimeout<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  if (!ms) return p;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} labeler timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
