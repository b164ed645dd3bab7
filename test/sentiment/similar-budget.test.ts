import { describe, expect, it } from 'vitest';
import type { SimilarReview } from '../../src/core/types.js';
import type { Analysis, SentimentAnalyzer } from '../../src/sentiment/analyzer.js';
import { AnalysisService, type SimilarFinder } from '../../src/sentiment/index.js';
import { LruCache } from '../../src/storage/index.js';

/** An analyzer port answering one fixed analysis: the service's budget logic is what is tested here. */
const fixed: SentimentAnalyzer = {
  model: { name: 'fixed', version: '1.0.0' },
  async analyze(): Promise<Analysis> {
    const scores = { positive: 0.8, neutral: 0.1, negative: 0.1 };
    const ev = { sentiment: 'positive' as const, scores };
    return {
      sentiment: 'positive',
      confidence: 0.8,
      modality: 'text_only',
      scores,
      model: this.model,
      evidence: { text: ev, fused: ev, text_chunks: 1 },
      mismatch: false,
    } as Analysis;
  },
};
const one: SimilarReview = { id: 'r1', text: 'a similar review', score: 0.5 };
const cache = () => new LruCache<Analysis>({ maxEntries: 0, ttlSeconds: 0 });

describe('similar reviews in an analysis', () => {
  it('are part of the answer when the search is within its budget', async () => {
    const s = new AnalysisService(fixed, cache(), async () => [one], { similarTimeoutMs: 1000 });
    const a = await s.analyze({ text: 'great kettle' });
    expect(a.similar_reviews).toEqual([one]);
    expect(a.warnings).toBeUndefined();
  });

  it('are dropped with a warning when the search overruns its budget, and the analysis is not held up', async () => {
    let release: (v: SimilarReview[]) => void = () => {};
    const stuck: SimilarFinder = () =>
      new Promise((resolve) => {
        release = resolve;
      });
    const s = new AnalysisService(fixed, cache(), stuck, { similarTimeoutMs: 20 });
    const a = await s.analyze({ text: 'great kettle' });
    expect(a.sentiment).toBe('positive');
    expect(a.similar_reviews).toEqual([]);
    expect(a.warnings?.[0]).toMatch(/similar reviews unavailable: .*20 ms budget/);
    release([one]);
  });

  it('are dropped with a warning when the search fails, and a late failure is harmless', async () => {
    const failing = new AnalysisService(fixed, cache(), async () => Promise.reject(new Error('index gone')));
    const a = await failing.analyze({ text: 'great kettle' });
    expect(a.similar_reviews).toEqual([]);
    expect(a.warnings?.[0]).toMatch(/index gone/);
    const late = new AnalysisService(
      fixed,
      cache(),
      () => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 30)),
      { similarTimeoutMs: 5 },
    );
    expect((await late.analyze({ text: 'great kettle' })).warnings?.[0]).toMatch(/5 ms budget/);
    await new Promise((r) => setTimeout(r, 50));
  });
});
