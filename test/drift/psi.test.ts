import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  binOf,
  buildReference,
  DriftMonitor,
  type DriftObservation,
  histogram,
  loadReferenceFor,
  parseReference,
  psi,
  quantileEdges,
  referenceFileFor,
} from '../../src/drift/index.js';
import { BUNDLED_ARTIFACT } from '../../src/server/index.js';

/** The bundled model: the repository keeps its reference (`reviewlens drift reference` after a retrain). */
const { name, version } = JSON.parse(readFileSync(BUNDLED_ARTIFACT, 'utf8')) as { name: string; version: string };
const MODEL = { name, version };

describe('PSI', () => {
  it('is 0 for identical distributions and matches the formula on a worked example', () => {
    expect(psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])).toBe(0);
    expect(psi([20, 30, 50], [2, 3, 5])).toBeCloseTo(0, 12); // counts are normalised
    // (0.25 - 0.5) ln(0.25/0.5) + (0.75 - 0.5) ln(0.75/0.5) = 0.17329 + 0.10137
    expect(psi([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(0.27465, 5);
    // Symmetric in the sense of the formula: swapping sides gives the same value.
    expect(psi([0.25, 0.75], [0.5, 0.5])).toBeCloseTo(0.27465, 5);
  });

  it('stays finite with an empty bin (shares floored at 1e-4) and refuses different bins', () => {
    const v = psi([1, 0], [0.5, 0.5]);
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThan(2);
    expect(() => psi([0.5, 0.5], [1 / 3, 1 / 3, 1 / 3])).toThrow(/same bins/);
  });

  it('bins by upper-inclusive edges and finds decile edges', () => {
    expect(binOf(0, [1, 2])).toBe(0);
    expect(binOf(1, [1, 2])).toBe(0);
    expect(binOf(1.5, [1, 2])).toBe(1);
    expect(binOf(3, [1, 2])).toBe(2);
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantileEdges(values, 10)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(histogram(values, [10, 20, 30, 40, 50, 60, 70, 80, 90])).toEqual(new Array(10).fill(10));
    // A value that fills several deciles is one bin, not several empty ones.
    expect(quantileEdges([1, 1, 1, 1, 1, 1, 1, 1, 2, 3], 10)).toEqual([1, 2]);
    expect(() => quantileEdges([], 10)).toThrow(/empty/);
  });
});

describe('drift reference', () => {
  it('the repository reference for the bundled model is valid, from 1500 val reviews, deciles of confidence', () => {
    const loaded = loadReferenceFor(MODEL);
    if (!('reference' in loaded)) throw new Error(loaded.error);
    const ref = loaded.reference;
    expect(ref.n).toBe(1500);
    expect(ref.features.confidence.bins).toHaveLength(10);
    for (const p of ref.features.confidence.proportions) expect(p).toBeGreaterThan(0.09);
    expect(ref.features.predicted_class.proportions.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
    // The val split is text only.
    expect(ref.features.photo_share.proportions).toEqual([1, 0]);
  });

  it('says clearly why there is none: another version, a missing file, a broken file', () => {
    const other = loadReferenceFor({ name: MODEL.name, version: '9.9.9' });
    expect('error' in other && other.error).toMatch(
      /no drift reference for reviewlens-fusion@9\.9\.9.*reviewlens drift reference/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'reviewlens-drift-'));
    const wrong = join(dir, 'wrong.json');
    writeFileSync(wrong, readFileSync(referenceFileFor(MODEL)));
    const mismatch = loadReferenceFor({ name: MODEL.name, version: '1.0.0' }, wrong);
    expect('error' in mismatch && mismatch.error).toContain(`is for ${name}@${version}, not the model served`);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"format":"reviewlens.drift-reference/1"}');
    const bad = loadReferenceFor(MODEL, broken);
    expect('error' in bad && bad.error).toMatch(/is not valid: model/);
    expect(() => parseReference('not json', 'x.json')).toThrow(/x\.json is not JSON/);
  });
});

describe('DriftMonitor', () => {
  const obs = (i: number, over: Partial<DriftObservation> = {}): DriftObservation => ({
    sentiment: (['negative', 'neutral', 'positive'] as const)[i % 3]!,
    confidence: 0.4 + (i % 60) / 100,
    textChars: 20 + ((i * 37) % 400),
    hasPhoto: false,
    mismatch: false,
    ...over,
  });
  const ref = buildReference(
    MODEL,
    Array.from({ length: 600 }, (_, i) => obs(i)),
    'synthetic (unit test)',
  );
  const file = join(mkdtempSync(join(tmpdir(), 'reviewlens-drift-')), 'ref.json');
  writeFileSync(file, JSON.stringify(ref));

  it('warms up, then reports low PSI on the reference distribution and drift on a shifted one', () => {
    const m = new DriftMonitor(MODEL, { windowSize: 300, minSamples: 100, threshold: 0.25, referenceFile: file });
    for (let i = 0; i < 50; i++) m.observe(obs(i));
    expect(m.report().status).toBe('warming_up');
    for (let i = 50; i < 300; i++) m.observe(obs(i));
    const ok = m.report();
    expect(ok.status).toBe('ok');
    for (const f of Object.values(ok.features)) expect(f!.psi).toBeLessThan(0.05);
    // The window slides: 300 photo reviews, all negative, replace the reference-like ones.
    for (let i = 0; i < 300; i++) m.observe(obs(i, { hasPhoto: true, sentiment: 'negative' }));
    const drift = m.report();
    expect(drift.status).toBe('drift');
    expect(drift.drifted).toEqual(expect.arrayContaining(['predicted_class', 'photo_share']));
    expect(drift.drifted).not.toContain('text_length');
    expect(drift.features.photo_share!.live).toEqual([0, 1]);
  });

  it('without a reference for the served model it reports no_reference and observes nothing', () => {
    const m = new DriftMonitor({ name: 'x', version: '1' }, { windowSize: 10, minSamples: 1, threshold: 0.25 });
    m.observe(obs(1));
    const r = m.report();
    expect(r.status).toBe('no_reference');
    expect(r.window.n).toBe(0);
    expect(r.reason).toMatch(/no drift reference for x@1/);
  });
});
