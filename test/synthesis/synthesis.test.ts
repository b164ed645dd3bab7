/**
 * Synthetic review text on the real e-commerce reviews in ../shared/data: the recombination generator, duplicate
 * checks, the run loop with a real sentiment reader (the VADER lexicon labeler stands in for the production
 * classifier here to keep the test fast; the CLI test below uses the production classifier), and the LLM generator
 * on the real local model (skipped, saying so, when its file is absent).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/core/index.js';
import { lexiconLabel } from '../../src/labeling/index.js';
import { disposeLocalModels, LocalLlamaClient, localModelPath, textLlmStatus } from '../../src/llm/index.js';
import {
  aspectsOf,
  Deduper,
  LlmGenerator,
  loadSourceReviews,
  RecombineGenerator,
  type SentimentJudge,
  type SynthGenerator,
  swapWords,
  synthesize,
} from '../../src/synthesis/index.js';
import { MODELS_DIR, SHARED } from '../helpers/paths.js';

const corpus = loadSourceReviews(SHARED);
const lexiconJudge: SentimentJudge = {
  model: 'vader-lexicon',
  judge: async (text) => {
    const o = lexiconLabel(text);
    return { label: o.label, confidence: o.confidence };
  },
};

afterAll(async () => {
  await disposeLocalModels();
});

describe('the real reviews synthesis draws on', () => {
  it('holds womens-clothing and MARC reviews, none of the held-out test/val split', async () => {
    expect(corpus.length).toBeGreaterThan(20_000);
    const { readFileSync } = await import('node:fs');
    const split = JSON.parse(readFileSync('data/splits/ecommerce.json', 'utf8')) as { test: string[] };
    const ids = new Set(corpus.map((r) => r.id));
    expect(split.test.some((id) => ids.has(id))).toBe(false);
  });
});

describe('recombination (no LLM)', () => {
  const gen = new RecombineGenerator(corpus);
  const req = {
    count: 1,
    sentiment: 'negative' as const,
    category: 'Dresses',
    aspects: ['fit', 'quality'],
    length: 'medium' as const,
    seed: 7,
  };

  it('builds a review from sentences of real same-sentiment, same-category reviews, with the aspects asked for', async () => {
    const c = await gen.generate(req, 0, 7);
    const byId = new Map(corpus.map((r) => [r.id, r]));
    expect(c.sourceIds.length).toBeGreaterThanOrEqual(2);
    for (const id of c.sourceIds) {
      expect(byId.get(id)?.sentiment).toBe('negative');
      expect(byId.get(id)?.category).toBe('Dresses');
    }
    const sents = c.recipe.sentences as Array<{ id: string; sentence: string; aspect?: string }>;
    expect(sents.filter((s) => s.aspect).map((s) => s.aspect)).toEqual(['fit', 'quality']);
    for (const s of sents.filter((x) => x.aspect)) expect(aspectsOf(s.sentence)).toContain(s.aspect);
    const words = c.text.split(/\s+/).length;
    expect(words).toBeGreaterThanOrEqual(20);
    expect(words).toBeLessThanOrEqual(120);
  });

  it('is the same for the same seed and differs for another', async () => {
    expect((await gen.generate(req, 0, 7)).text).toBe((await gen.generate(req, 0, 7)).text);
    expect((await gen.generate(req, 0, 8)).text).not.toBe((await gen.generate(req, 0, 7)).text);
  });

  it('swaps words only for words of the same polarity and records each swap', () => {
    let i = 0;
    const rand = () => (i++ % 2 === 0 ? 0 : 0.1);
    const r = swapWords('Great fit but terrible zipper.', rand, 1);
    expect(r.text).toMatch(/^(Excellent|Fantastic) fit but (awful|horrible) zipper\.$/);
    expect(r.edits).toHaveLength(2);
    expect(lexiconLabel(r.text).label).toBe(lexiconLabel('Great fit but terrible zipper.').label);
  });

  it('refuses a pool too small to recombine, naming it', async () => {
    await expect(gen.generate({ ...req, category: 'No Such Category' }, 0, 1)).rejects.toThrow(ValidationError);
  });
});

describe('duplicates', () => {
  it('catches exact copies of real text and near copies of sources and kept synthetic reviews', () => {
    const d = new Deduper(['The zipper broke after one week.'], ['Lovely soft fabric and it fits true to size.']);
    expect(d.check('the zipper BROKE after one week!')).toBe('exact');
    const src = 'I ordered a medium and it was huge in the chest and the fabric pilled after one wash.';
    expect(
      d.check('I ordered a medium and it was huge in the chest and the fabric pilled after one wash, sadly.', [src]),
    ).toBe('near-real');
    expect(d.check('Lovely soft fabric and it fits true to size. Would buy again.')).toBe('near-synthetic');
    expect(d.check('Completely different words about a kettle that whistles too loudly.')).toBeUndefined();
  });
});

describe('a synthesis run', () => {
  it('keeps only new reviews the judge reads as the requested sentiment, counting what it drops', async () => {
    const { reviews, summary } = await synthesize(
      { count: 8, sentiment: 'positive', category: 'Tops', length: 'short', seed: 3 },
      { generator: new RecombineGenerator(corpus), corpus, judge: lexiconJudge },
    );
    expect(reviews).toHaveLength(8);
    expect(summary.kept).toBe(8);
    expect(summary.tried).toBe(8 + Object.values(summary.dropped).reduce((a, b) => a + b, 0));
    for (const r of reviews) {
      expect(r).toMatchObject({ source: 'synthetic', generator: 'recombine', sentiment: 'positive' });
      expect(r.check?.label).toBe('positive');
      expect(lexiconLabel(r.text).label).toBe('positive');
      expect(r.recipe.sentences).toBeDefined();
    }
    expect(new Set(reviews.map((r) => r.seed)).size).toBe(8);
    expect(new Set(reviews.map((r) => r.id)).size).toBe(8);
  });

  it('goes on past generator failures and stops, saying why, after too many in a row', async () => {
    let n = 0;
    const flaky: SynthGenerator = {
      name: 'llm',
      async generate(req, i, seed) {
        n++;
        if (n === 2) throw new Error('the local LLM gave no answer within 50 ms (timed out)');
        if (n > 3) throw new Error('the local LLM could not load x.gguf');
        return new RecombineGenerator(corpus).generate(req, i, seed);
      },
    };
    const { reviews, summary } = await synthesize(
      { count: 5, sentiment: 'negative', seed: 11 },
      { generator: flaky, corpus, maxConsecutiveFailures: 3 },
    );
    expect(reviews.length).toBe(2);
    expect(summary.dropped.failed).toBe(4);
    expect(summary.stoppedEarly).toMatch(/failed 3 times in a row: the local LLM could not load/);
    expect(summary.failures[0]).toMatch(/timed out/);
  });

  it('refuses a rating that disagrees with the sentiment', async () => {
    await expect(
      synthesize(
        { count: 1, sentiment: 'negative', rating: 5, seed: 1 },
        { generator: new RecombineGenerator(corpus), corpus },
      ),
    ).rejects.toThrow(/rating 5 reads as positive/);
  });
});

const cfg = loadConfig({ env: { REVIEWLENS_MODELS_DIR: MODELS_DIR } });
const present = textLlmStatus(cfg).provider === 'local';
if (!present) console.warn(`LLM generator test skipped: ${textLlmStatus(cfg).reason}`);

describe.skipIf(!present)('the LLM generator on the real local model', () => {
  it('writes a review as grammar-constrained JSON and records prompt, few-shot ids, model and seed', {
    timeout: 900_000,
  }, async () => {
    const client = new LocalLlamaClient({ modelPath: localModelPath(cfg), threads: 1, timeoutMs: 600_000 });
    const gen = new LlmGenerator(client, corpus);
    const c = await gen.generate(
      {
        count: 1,
        sentiment: 'negative',
        rating: 1,
        category: 'Jackets',
        length: 'short',
        aspects: ['quality'],
        seed: 5,
      },
      0,
      5,
    );
    expect(c.text.length).toBeGreaterThanOrEqual(20);
    expect(c.recipe).toMatchObject({ model: 'tinyllama-1.1b-chat-iq2_xxs', temperature: 0.8 });
    expect(c.recipe.fewShot).toHaveLength(2);
    expect(JSON.stringify(c.recipe.prompt)).toMatch(/negative customer review with a 1-star rating.*Jackets/);
    const byId = new Map(corpus.map((r) => [r.id, r]));
    for (const id of c.sourceIds) expect(byId.get(id)?.sentiment).toBe('negative');
  });
});
