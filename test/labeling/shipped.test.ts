import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';
import { seededRandom } from '../../src/core/random.js';
import type { ClassScores, Sentiment } from '../../src/core/types.js';
import {
  buildEnsemble,
  ClassifierLabeler,
  calibrate,
  fitShippedCalibration,
  importReviewRows,
  type Labeler,
  labelUnlabelled,
  resolveLabeling,
  type ShippedCalibrationItem,
  type ShippedLabeling,
  saveCalibration,
  shippedPooledLogits,
} from '../../src/labeling/index.js';
import { artifactLabelingSchema } from '../../src/models/artifact.js';
import { parseArtifact } from '../../src/models/index.js';
import type { SentimentAnalyzer } from '../../src/sentiment/index.js';
import { BUNDLED_ARTIFACT } from '../../src/server/index.js';
import { LocalBlobStore, MetadataStore } from '../../src/storage/index.js';
import { tempDir } from '../helpers/paths.js';

/** A shipped block: identity-like calibration (temperature 1, no isotonic map) and low thresholds. */
const SHIPPED: ShippedLabeling = {
  calibration: { method: 'temperature', temperature: 1, fittedOn: { source: 'test', n: 100 } },
  labelers: ['classifier', 'lexicon'],
  thresholds: { accept: 0.6, review: 0.4 },
  report: { n: 100, precision: 0.91, coverage: 0.5, ece_before: 0.05, ece_after: 0.02 },
};

const PROBS: ClassScores = { negative: 0.15, neutral: 0.1, positive: 0.75 };
/** The classifier labeler over a stub analyzer that always says PROBS, carrying `shipped`. */
const classifier = (shipped?: ShippedLabeling) =>
  new ClassifierLabeler(
    {
      analyze: async () => ({ sentiment: 'positive' as Sentiment, confidence: 0.75, scores: PROBS }),
    } as unknown as SentimentAnalyzer,
    shipped,
  );
/** A stand-in lexicon that agrees with the classifier, so the pooled confidence is 0.75. */
const lexicon: Labeler = {
  name: 'lexicon',
  label: async () => ({ label: 'positive', confidence: 0.75, probs: PROBS }),
};
const llm: Labeler = { name: 'llm', label: async () => ({ label: 'positive', confidence: 0.75, probs: PROBS }) };

const freshConfig = (env: Record<string, string> = {}) => {
  const dataDir = tempDir();
  return loadConfig({ env, cwd: dataDir, overrides: { dataDir } });
};

describe('the labeling block of the model artifact', () => {
  const bundled = JSON.parse(readFileSync(BUNDLED_ARTIFACT, 'utf8')) as Record<string, unknown>;

  it('parses with and without it (older artifacts have none), and checks it', () => {
    const { labeling: _, ...without } = bundled;
    expect(parseArtifact(JSON.stringify(without), 'test').labeling).toBeUndefined();
    const withBlock = parseArtifact(JSON.stringify({ ...without, labeling: SHIPPED }), 'test');
    expect(withBlock.labeling).toEqual(SHIPPED);
    const bad = { ...SHIPPED, thresholds: { accept: 0.5, review: 0.8 } };
    expect(() => parseArtifact(JSON.stringify({ ...without, labeling: bad }), 'test')).toThrow(
      /labeling\.thresholds\.review/,
    );
    expect(() => parseArtifact(JSON.stringify({ ...without, labeling: { ...SHIPPED, labelers: [] } }), 'test')).toThrow(
      /labeling\.labelers/,
    );
  });
});

describe('fitShippedCalibration', () => {
  /** Synthetic held-out items: the classifier's top probability c is right about c of the time (2,000 items). */
  function items(n: number, seed: number): ShippedCalibrationItem[] {
    const rand = seededRandom(seed);
    return Array.from({ length: n }, (_, i) => {
      const label = Math.floor(rand() * 3) as 0 | 1 | 2;
      const c = 0.4 + 0.59 * rand();
      const right = rand() < c;
      const top = right ? label : (((label + 1 + Math.floor(rand() * 2)) % 3) as 0 | 1 | 2);
      const probs = [0, 0, 0].map((_, k) => (k === top ? c : (1 - c) / 2));
      // Texts without sentiment words: the lexicon leans neutral on all of them.
      return { text: `item number ${i}`, classifierProbs: probs, label };
    });
  }

  it('gives a monotone map, thresholds that reach the target precision, a block the schema takes; deterministic', () => {
    const data = items(2000, 7);
    const block = fitShippedCalibration(data);
    expect(artifactLabelingSchema.parse(block)).toEqual(block);
    expect(block.labelers).toEqual(['classifier', 'lexicon']);
    expect(block.calibration.method).toBe('temperature+isotonic');
    expect(block.calibration.fittedOn).toEqual({ source: expect.any(String), n: 2000 });
    const iso = block.calibration.isotonic as { x: number[]; y: number[] };
    for (let i = 1; i < iso.x.length; i++) {
      expect(iso.x[i]).toBeGreaterThanOrEqual(iso.x[i - 1] as number);
      expect(iso.y[i]).toBeGreaterThanOrEqual(iso.y[i - 1] as number);
    }
    expect(block.thresholds.accept).toBeLessThan(1);
    expect(block.thresholds.review).toBeLessThanOrEqual(block.thresholds.accept);
    // On the items, the labels at or above the accept threshold are right at least 90% of the time.
    const scored = data.map((it) => calibrate(block.calibration, shippedPooledLogits(it.text, it.classifierProbs)));
    const acc = scored.map((c, i) => ({ c, i })).filter(({ c }) => c.confidence >= block.thresholds.accept);
    const precision = acc.filter(({ c, i }) => c.label === data[i]?.label).length / acc.length;
    expect(precision).toBeGreaterThanOrEqual(0.9);
    expect(acc.length / data.length).toBeGreaterThan(0.1);
    // Held out (cross-fitted), near the target too.
    expect(block.report?.precision).toBeGreaterThan(0.85);
    expect(block.report?.coverage).toBeGreaterThan(0.1);
    expect(block.report?.ece_after).toBeLessThan(0.1);
    expect(fitShippedCalibration(data)).toEqual(block);
    expect(fitShippedCalibration(data, { at: '2026-12-01T00:00:00Z' }).calibration.fittedOn?.at).toBe(
      '2026-12-01T00:00:00Z',
    );
  });

  it('refuses too few items, and items of the wrong shape', () => {
    expect(() => fitShippedCalibration(items(30, 1))).toThrow(/at least 40/);
    const bad = items(50, 1);
    bad[3] = { ...(bad[3] as ShippedCalibrationItem), classifierProbs: [0.5, 0.5] };
    expect(() => fitShippedCalibration(bad)).toThrow(/item 3: classifierProbs/);
  });
});

describe('runtime: which calibration and thresholds gate', () => {
  let meta: MetadataStore;
  beforeAll(async () => {
    meta = await MetadataStore.open({ url: 'memory://' });
  });
  afterAll(async () => {
    await meta?.close();
  });

  it("a fresh install gates with the artifact's calibration and thresholds, without a warning", async () => {
    const config = freshConfig();
    const warnings: string[] = [];
    const ens = buildEnsemble(config, [classifier(SHIPPED), lexicon], (m) => warnings.push(m));
    expect(warnings).toEqual([]);
    expect(ens.calibrationSource).toBe('artifact');
    expect(ens.calibration).toEqual(SHIPPED.calibration);
    expect(ens.thresholds).toEqual(SHIPPED.thresholds);

    const blobs = new LocalBlobStore(join(tempDir(), 'blobs'));
    await importReviewRows(meta, [{ text: 'works fine' }, { text: 'arrived on time' }], {
      source: 'test',
      origin: 'test',
    });
    // What the CLI passes (the configured numbers, 0.9 / 0.7 when left at auto) does not override them.
    const r = await labelUnlabelled(meta, blobs, ens, { thresholds: { accept: 0.9, review: 0.7 } });
    expect(r.thresholds).toEqual(SHIPPED.thresholds);
    // Pooled confidence 0.75: accepted at 0.6 (it would be queued at the seed's 0.9 / 0.7).
    expect(r).toMatchObject({ considered: 2, accepted: 2, queued: 0, discarded: 0 });
    const d = await meta.db.selectFrom('label_decisions').selectAll().execute();
    expect(d.map((x) => x.thresholds)).toEqual([SHIPPED.thresholds, SHIPPED.thresholds]);
  });

  it('thresholds set in the configuration win, each on its own', () => {
    const r = resolveLabeling(freshConfig({ REVIEWLENS_LABEL_ACCEPT: '0.95' }), ['classifier', 'lexicon'], SHIPPED);
    expect(r.source).toBe('artifact');
    expect(r.thresholds).toEqual({ accept: 0.95, review: 0.4 });
    expect(r.thresholdsFrom).toEqual({ accept: 'config', review: 'calibration' });
    const low = resolveLabeling(freshConfig({ REVIEWLENS_LABEL_ACCEPT: '0.3' }), ['classifier', 'lexicon'], SHIPPED);
    expect(low.thresholds).toEqual({ accept: 0.3, review: 0.3 });
  });

  it('a calibration file written by `label calibrate` wins over the artifact', () => {
    const config = freshConfig();
    saveCalibration(config, { method: 'temperature', temperature: 2, labelers: ['classifier', 'lexicon'] });
    const warnings: string[] = [];
    const ens = buildEnsemble(config, [classifier(SHIPPED), lexicon], (m) => warnings.push(m));
    expect(warnings).toEqual([]);
    expect(ens.calibrationSource).toBe('file');
    expect(ens.calibration.temperature).toBe(2);
    // The artifact's thresholds were chosen for its own calibration: with the file, the seed's (or the file's).
    expect(ens.thresholds).toEqual({ accept: 0.9, review: 0.7 });
    saveCalibration(config, {
      method: 'temperature',
      temperature: 2,
      labelers: ['classifier', 'lexicon'],
      thresholds: { accept: 0.8, review: 0.5 },
    });
    expect(buildEnsemble(config, [classifier(SHIPPED), lexicon]).thresholds).toEqual({ accept: 0.8, review: 0.5 });
  });

  it('other labelers than the shipped calibration was fitted for (the LLM configured): warns, uncalibrated', () => {
    const warnings: string[] = [];
    const ens = buildEnsemble(freshConfig(), [classifier(SHIPPED), lexicon, llm], (m) => warnings.push(m));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^no labeling calibration for labelers classifier, lexicon, llm: the production model's shipped calibration was fitted for classifier, lexicon/,
    );
    expect(ens.calibrationSource).toBe('none');
    expect(ens.calibration.method).toBe('none');
    expect(ens.thresholds).toEqual({ accept: 0.9, review: 0.7 });
  });

  it('a model without the block: the warning of before, the seed thresholds', () => {
    const warnings: string[] = [];
    const ens = buildEnsemble(freshConfig(), [classifier(), lexicon], (m) => warnings.push(m));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^no labeling calibration at .*calibration\.json and none shipped/);
    expect(ens.calibrationSource).toBe('none');
    expect(ens.thresholds).toEqual({ accept: 0.9, review: 0.7 });
    // An explicit block wins over the one the classifier labeler carries.
    expect(buildEnsemble(freshConfig(), [classifier(), lexicon], () => {}, SHIPPED).calibrationSource).toBe('artifact');
  });
});
