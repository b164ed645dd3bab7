/**
 * The adversarial validator on real data: recombined reviews (the no-LLM generator, from the real e-commerce reviews
 * in ../shared/data) against real reviews of the same domain, with the real MiniLM text encoder.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { MiniLmTextEncoder, resolveAsset } from '../../src/models/index.js';
import {
  LENGTH_WORDS,
  loadSourceReviews,
  loadValidatorReport,
  pairWithReal,
  parseSyntheticRecord,
  RecombineGenerator,
  rankAuc,
  readRealJsonl,
  readSyntheticJsonl,
  STYLE_FEATURES,
  saveValidatorReport,
  styleFeatures,
  synthesize,
  type ValidatorInput,
  validateSynthetic,
  validatorReportPath,
} from '../../src/synthesis/index.js';
import { MODELS_DIR, SHARED, tempDir } from '../helpers/paths.js';

const corpus = loadSourceReviews(SHARED);
let minilm: MiniLmTextEncoder;
const synthetic: ValidatorInput[] = [];

beforeAll(async () => {
  minilm = await MiniLmTextEncoder.load({
    assetDir: await resolveAsset(MODELS_DIR, 'all-MiniLM-L6-v2'),
    id: 'all-MiniLM-L6-v2',
    threads: 1,
  });
  const gen = new RecombineGenerator(corpus);
  for (const [i, sentiment] of (['negative', 'positive'] as const).entries()) {
    const { reviews } = await synthesize(
      { count: 20, sentiment, length: 'medium', seed: 100 + i },
      { generator: gen, corpus },
    );
    // Two rounds per sentiment, as a pipeline that synthesises in batches would record them.
    synthetic.push(...reviews.map((r, j) => parseSyntheticRecord({ ...r, round: j < 10 ? 1 : 2 }, r.id)));
  }
}, 120_000);

afterAll(async () => {
  await minilm?.dispose();
});

describe('style features', () => {
  it('measures what the names say', () => {
    const f = Object.fromEntries(
      STYLE_FEATURES.map((n, i) => [n, styleFeatures('i love it. great great great dress! Would buy again?')[i]]),
    );
    expect(f.sentences).toBe(3);
    expect(f.words).toBe(10);
    expect(f.exclamation_rate).toBeCloseTo(1 / 3);
    expect(f.question_rate).toBeCloseTo(1 / 3);
    expect(f.lowercase_sentence_start).toBeCloseTo(2 / 3);
    expect(f.lowercase_i_rate).toBeCloseTo(1 / 10);
    expect(f.repeated_bigram_rate).toBeCloseTo(1 / 9);
    expect(f.ends_with_punctuation).toBe(1);
    expect(styleFeatures('')).toHaveLength(STYLE_FEATURES.length);
    expect(styleFeatures('').every(Number.isFinite)).toBe(true);
  });

  it('rankAuc is the Mann-Whitney statistic (ties half)', () => {
    expect(rankAuc([3, 4], [1, 2])).toBe(1);
    expect(rankAuc([1, 2], [3, 4])).toBe(0);
    expect(rankAuc([1, 1], [1, 1])).toBe(0.5);
    expect(rankAuc([2, 0], [1])).toBe(0.5);
  });
});

describe('pairing with real reviews', () => {
  it('draws one real review of the same sentiment per synthetic one, never one it was made from', () => {
    const { pairs, unmatched } = pairWithReal(synthetic, corpus, 1);
    expect(unmatched).toBe(0);
    expect(pairs).toHaveLength(synthetic.length);
    const sources = new Set(synthetic.flatMap((s) => s.sourceIds));
    expect(sources.size).toBeGreaterThan(0);
    for (const p of pairs) {
      expect(p.real.sentiment).toBe(p.synthetic.sentiment);
      expect(sources.has(p.real.id)).toBe(false);
      expect(p.real.truncated).toBeUndefined();
    }
    expect(new Set(pairs.map((p) => p.real.id)).size).toBe(pairs.length);
  });

  it('pairs a review asked for at a length with a real review of that length, and says when none is left', () => {
    const longOnes = [0, 1, 2].map((i) =>
      parseSyntheticRecord(
        {
          id: `syn-long-${i}`,
          text: 'A long synthetic review. '.repeat(30),
          generator: 'recombine',
          sentiment: 'negative',
          recipe: { request: { sentiment: 'negative', length: 'long' }, sentences: [] },
        },
        `syn-long-${i}`,
      ),
    );
    expect(longOnes[0]?.length).toBe('long');
    const words = (t: string) => t.split(/\s+/).filter(Boolean).length;
    const [lo, hi] = LENGTH_WORDS.long;
    const { pairs } = pairWithReal(longOnes, corpus, 2);
    for (const p of pairs) {
      expect(p.matchedBy).toBe('request');
      expect(words(p.real.text)).toBeGreaterThanOrEqual(lo);
      expect(words(p.real.text)).toBeLessThanOrEqual(hi);
    }
    // A pool with no review of that length: the partner is of the same request at another length, and counted so.
    const short = corpus.filter((r) => r.sentiment === 'negative' && words(r.text) < lo).slice(0, 10);
    const fallback = pairWithReal(longOnes, short, 2).pairs;
    expect(fallback.map((p) => p.matchedBy)).toEqual(['requestAnyLength', 'requestAnyLength', 'requestAnyLength']);
  });
});

describe('adversarial validator', () => {
  it('reports held-out accuracy per generator and round in [0, 1], samples, tells; deterministic by seed', async () => {
    const progress: string[] = [];
    const a = await validateSynthetic(synthetic, corpus, {
      embedder: minilm,
      folds: 4,
      seed: 3,
      topN: 3,
      resamples: 300,
      onProgress: (m) => progress.push(m),
    });
    expect(Object.keys(a.byGenerator)).toEqual(['recombine']);
    const g = a.byGenerator.recombine!;
    expect(g.pairs).toBe(40);
    for (const i of [g.accuracy!, g.byFeatures.style!, g.byFeatures.embedding!]) {
      expect(i.estimate).toBeGreaterThanOrEqual(0);
      expect(i.estimate).toBeLessThanOrEqual(1);
      expect(i.low).toBeLessThanOrEqual(i.estimate);
      expect(i.high).toBeGreaterThanOrEqual(i.estimate);
    }
    // Accuracy over balanced pairs moves in steps of 1/80.
    expect(Number.isInteger(Math.round(g.accuracy!.estimate * 80 * 1e3) / 1e3)).toBe(true);
    expect(Object.keys(g.byRound)).toEqual(['1', '2']);
    expect(g.byRound['1']!.pairs + g.byRound['2']!.pairs).toBe(40);
    expect(g.mostReal).toHaveLength(3);
    const ps = g.mostReal.map((m) => m.pSynthetic);
    expect(ps).toEqual([...ps].sort((x, y) => x - y));
    expect(synthetic.map((s) => s.text)).toContain(g.mostReal[0]!.text);
    expect(g.giveaways.map((x) => x.feature).sort()).toEqual([...STYLE_FEATURES].sort());
    const d = g.giveaways.map((x) => Math.abs(x.auc - 0.5));
    expect(d).toEqual([...d].sort((x, y) => y - x));
    expect(a.features.embedding).toBe('all-MiniLM-L6-v2');
    expect(a.real.used).toBe(40);
    expect(progress.some((m) => m.includes('4-fold cross-validation over 40 pairs'))).toBe(true);

    const b = await validateSynthetic(synthetic, corpus, {
      embedder: minilm,
      folds: 4,
      seed: 3,
      topN: 3,
      resamples: 300,
    });
    expect({ ...b, createdAt: '' }).toEqual({ ...a, createdAt: '' });
  }, 300_000);

  it('works on style features alone, and marks a generator with too few reviews as not measured', async () => {
    const few = synthetic.slice(0, 3).map((s) => ({ ...s, generator: 'llm' }));
    const r = await validateSynthetic([...synthetic, ...few], corpus, { folds: 5, resamples: 200 });
    expect(r.features.embedding).toBeNull();
    expect(r.byGenerator.recombine!.byFeatures.embedding).toBeNull();
    expect(r.byGenerator.recombine!.accuracy).toEqual(r.byGenerator.recombine!.byFeatures.style);
    expect(r.byGenerator.llm).toMatchObject({
      pairs: 3,
      accuracy: null,
      skipped: expect.stringMatching(/needs at least 5/),
    });
  });

  it('refuses an empty set, no real reviews, too few reviews and bad options', async () => {
    await expect(validateSynthetic([], corpus)).rejects.toThrow(/no synthetic reviews/);
    await expect(validateSynthetic(synthetic, [])).rejects.toThrow(ValidationError);
    await expect(validateSynthetic(synthetic.slice(0, 2), corpus, { folds: 5 })).rejects.toThrow(/needs at least 5/);
    await expect(validateSynthetic(synthetic, corpus, { folds: 1 })).rejects.toThrow(/folds must be/);
  });
});

describe('files', () => {
  it('reads synthetic and real JSONL with clear errors, and saves / loads the last report atomically', async () => {
    const dir = tempDir();
    const missing = join(dir, 'none.jsonl');
    expect(() => readSyntheticJsonl(missing)).toThrow(/does not exist/);
    writeFileSync(join(dir, 'empty.jsonl'), '\n\n');
    expect(() => readSyntheticJsonl(join(dir, 'empty.jsonl'))).toThrow(/is empty/);
    writeFileSync(join(dir, 'bad.jsonl'), '{"text": "fine review here"}\nnot json\n');
    expect(() => readSyntheticJsonl(join(dir, 'bad.jsonl'))).toThrow(/line 2 is not JSON/);
    writeFileSync(join(dir, 'notext.jsonl'), '{"generator": "llm"}\n');
    expect(() => readSyntheticJsonl(join(dir, 'notext.jsonl'))).toThrow(/line 1: no "text"/);
    writeFileSync(
      join(dir, 'real.jsonl'),
      '{"text": "no rating"}\n{"text": "Lovely.", "rating": 5, "department": "Tops"}\n',
    );
    expect(readRealJsonl(join(dir, 'real.jsonl'))).toEqual([
      expect.objectContaining({ text: 'Lovely.', sentiment: 'positive', category: 'Tops' }),
    ]);
    writeFileSync(join(dir, 'unreal.jsonl'), '{"text": "no rating"}\n');
    expect(() => readRealJsonl(join(dir, 'unreal.jsonl'))).toThrow(/no line with a "text"/);

    expect(loadValidatorReport(dir)).toBeNull();
    const report = await validateSynthetic(synthetic, corpus, { folds: 2, resamples: 100 });
    const file = saveValidatorReport(dir, report);
    expect(file).toBe(validatorReportPath(dir));
    expect(existsSync(file)).toBe(true);
    expect(loadValidatorReport(dir)).toEqual(report);
    expect(JSON.parse(readFileSync(file, 'utf8')).kind).toBe('adversarial-validator');
    writeFileSync(file, '{"kind": "something else"}');
    expect(() => loadValidatorReport(dir)).toThrow(/not an adversarial-validator report/);
  });
});
