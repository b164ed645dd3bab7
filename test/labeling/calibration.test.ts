import { describe, expect, it } from 'vitest';
import { SENTIMENTS } from '../../src/core/types.js';
import {
  calibrate,
  fitCalibration,
  fitIsotonic,
  gate,
  gateReport,
  LexiconLabeler,
  poolVotes,
  proposeThresholds,
  reliability,
  reliabilitySvg,
  stratifiedFolds,
  type Vote,
} from '../../src/labeling/index.js';
import { loadMvsa } from '../../src/training/index.js';

// Real data: MVSA-Single tweets labelled by the lexicon labeler (VADER), whose raw confidences are far
// from probabilities; calibration is fitted on one half and judged on the other.
const data = loadMvsa();
const y = data.map((e) => SENTIMENTS.indexOf(e.label));
const lex = new LexiconLabeler();
const logits: Float64Array[] = [];
for (const e of data) {
  const o = await lex.label({ id: e.id, text: e.text });
  logits.push(
    poolVotes([
      { labeler: 'lexicon', label: o.label, confidence: o.confidence, probs: o.probs } as Vote,
    ]) as Float64Array,
  );
}
const half = stratifiedFolds(y, 2, 3);
const idx = (h: number) => y.map((_, i) => i).filter((i) => half[i] === h);

describe('calibration on held-out data', () => {
  it('lowers the expected calibration error of the lexicon labeler on the other half', () => {
    const fit = idx(0);
    const test = idx(1);
    const cal = fitCalibration(
      fit.map((i) => logits[i] as Float64Array),
      fit.map((i) => y[i] as number),
    );
    expect(cal.method).toBe('temperature+isotonic');
    const raw = test.map((i) => calibrate({ method: 'none', temperature: 1 }, logits[i] as Float64Array));
    const after = test.map((i) => calibrate(cal, logits[i] as Float64Array));
    const eRaw = reliability(
      raw.map((r) => r.confidence),
      raw.map((r, j) => r.label === y[test[j] as number]),
    );
    const eCal = reliability(
      after.map((r) => r.confidence),
      after.map((r, j) => r.label === y[test[j] as number]),
    );
    expect(eCal.ece).toBeLessThan(eRaw.ece / 2);
    expect(eRaw.bins.reduce((s, b) => s + b.count, 0)).toBe(test.length);
    const svg = reliabilitySvg([{ name: 'raw', bins: eRaw.bins, color: 'red' }]);
    expect(svg).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
  });

  it('fits a non-decreasing isotonic map by pool-adjacent-violators, steps shrunk towards the overall rate', () => {
    const conf = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    const right = [1, 0, 0, 1, 1, 1];
    const raw = fitIsotonic(conf, right, 0);
    expect(raw.x).toEqual([0.3, 0.6]);
    expect(raw.y).toEqual([0.3333, 1]);
    const shrunk = fitIsotonic(conf, right);
    // (1 + 2 * 4/6) / (3 + 2) and (3 + 2 * 4/6) / (3 + 2)
    expect(shrunk.y).toEqual([0.4667, 0.8667]);
    const many = fitIsotonic([0.1, 0.2, 0.9, 0.95], [0, 0, 1, 1]);
    for (let i = 1; i < many.y.length; i++) expect(many.y[i]).toBeGreaterThanOrEqual(many.y[i - 1] as number);
    expect(Math.min(...many.y)).toBeGreaterThan(0);
  });
});

describe('gating', () => {
  it('follows the seed thresholds: >= accept accepted, [review, accept) queued, below discarded', () => {
    const t = { accept: 0.9, review: 0.7 };
    expect([gate(0.95, t), gate(0.9, t), gate(0.8, t), gate(0.7, t), gate(0.69, t)]).toEqual([
      'accepted',
      'accepted',
      'queued',
      'queued',
      'discarded',
    ]);
    const g = gateReport([0.95, 0.92, 0.8, 0.5], [true, false, true, false], t);
    expect(g).toMatchObject({
      n: 4,
      accepted: 2,
      precision: 0.5,
      queued: 1,
      queuedAccuracy: 1,
      discarded: 1,
      coverage: 0.5,
    });
  });

  it('proposes an accept threshold whose held-out precision is near the target, with its coverage', () => {
    const cal = fitCalibration(
      idx(0).map((i) => logits[i] as Float64Array),
      idx(0).map((i) => y[i] as number),
    );
    const on = (h: number) => idx(h).map((i) => calibrate(cal, logits[i] as Float64Array));
    const fitC = on(0);
    const p = proposeThresholds(
      fitC.map((c) => c.confidence),
      fitC.map((c, j) => c.label === y[idx(0)[j] as number]),
      { targetPrecision: 0.75 },
    );
    expect(p.reached).toBe(true);
    expect(p.precision).toBeGreaterThanOrEqual(0.75);
    expect(p.review).toBeLessThanOrEqual(p.accept);
    expect(p.coverage).toBeGreaterThan(0);
    const testC = on(1);
    const held = gateReport(
      testC.map((c) => c.confidence),
      testC.map((c, j) => c.label === y[idx(1)[j] as number]),
      p,
    );
    expect(held.precision as number).toBeGreaterThan(0.65);
    // An unreachable target auto-accepts nothing.
    const none = proposeThresholds([0.9, 0.8], [false, false], { targetPrecision: 0.9, minSupport: 1 });
    expect(none).toMatchObject({ reached: false, accept: 1, coverage: 0 });
  });
});
