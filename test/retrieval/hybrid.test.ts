import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewContentId, sha256, UnsupportedMediaError } from '../../src/core/index.js';
import {
  HybridSearcher,
  LanceReviewIndex,
  lanceBackend,
  type Reranker,
  type RetrievalBackend,
  type ReviewEncoders,
  ReviewIndexer,
} from '../../src/retrieval/index.js';
import { LocalBlobStore } from '../../src/storage/index.js';
import { tempDir } from '../helpers/paths.js';

/**
 * Deterministic stand-in encoders for the fusion and paging logic: a text vector counts a few topic
 * words; a "photo" is a 1x1 PNG whose pixel's red and green values are its vector. The real encoders are exercised in test/server/search.test.ts.
 */
const TOPICS = ['battery', 'screen', 'shipping', 'price'];
function topicVector(text: string): Float32Array {
  const t = text.toLowerCase();
  const v = Float32Array.from(TOPICS, (w) => (t.includes(w) ? 1 : 0));
  v[0] = (v[0] as number) + 0.01; // never the zero vector
  return v;
}
/** A real 1x1 PNG whose pixel is (r, g, 0): the stored photo must be an image (its metadata is stripped on store). */
async function png(r: number, g: number): Promise<Uint8Array> {
  const create = { width: 1, height: 1, channels: 3 as const, background: { r, g, b: 0 } };
  return new Uint8Array(await sharp({ create }).png().toBuffer());
}
const P10 = await png(1, 0);
const P01 = await png(0, 1);
const P11 = await png(1, 1);
const encoders: ReviewEncoders = {
  texts: async (ts) => ts.map(topicVector),
  text: async (t) => topicVector(t),
  async image(bytes) {
    if (bytes[0] === 0xff) throw new UnsupportedMediaError('not an image', 'image');
    const { data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    return Float32Array.from([data[0] as number, data[1] as number].map((x) => x + 0.01));
  },
};

let backend: RetrievalBackend;
let indexer: ReviewIndexer;
const blobs = new LocalBlobStore(tempDir('reviewlens-blobs-'));

beforeAll(async () => {
  backend = lanceBackend(await LanceReviewIndex.open({ uri: tempDir('reviewlens-hybrid-'), textDim: 4, imageDim: 2 }));
  indexer = new ReviewIndexer(backend, encoders, blobs);
});
afterAll(async () => {
  await backend.close();
});

describe('ReviewIndexer', () => {
  it('indexes reviews under their content hash, keeps photos, and skips what it has', async () => {
    const reviews = [
      { text: 'Battery lasts forever', product: 'p1', rating: 5, label: 'positive' as const },
      { text: 'Battery died in a day', product: 'p1', rating: 1, label: 'negative' as const, date: '2026-03-01' },
      { text: 'Screen arrived cracked from shipping', product: 'p2', rating: 1, image: P10 },
      { text: 'Fair price, screen is fine', product: 'p2', rating: 4, image: P01 },
      { text: 'Battery lasts forever', product: 'p1', rating: 5 }, // same review again in the same input
    ];
    const r1 = await indexer.index(reviews);
    expect(r1).toMatchObject({ added: 4, duplicate: 1, withPhoto: 2, failed: [] });
    expect(r1.ids[0]).toBe(reviewContentId({ text: 'Battery lasts forever', product: 'p1' }));
    expect(r1.ids[2]).toBe(reviewContentId(reviews[2] as { text: string }, sha256(P10)));
    const stored = (await backend.records([r1.ids[2] as string])).get(r1.ids[2] as string);
    expect(stored?.imageId).toBe(sha256(P10));
    expect(Array.from(await blobs.get(stored?.imageId as string))).toEqual(Array.from(P10));

    const r2 = await indexer.index(reviews.slice(0, 2));
    expect(r2).toMatchObject({ added: 0, duplicate: 2 });
    expect(await backend.count()).toBe(4);
  });

  it('records a bad item and indexes the rest; nothing half-written', async () => {
    const r = await indexer.index([
      { text: '   ' },
      { text: 'Price went up twice', image: Uint8Array.from([0xff, 0]) },
      { text: 'Bad date', date: 'yesterday-ish' },
      { text: 'Cheap price, good deal', product: 'p3', rating: 5 },
    ]);
    expect(r.added).toBe(1);
    expect(r.failed.map((f) => f.index)).toEqual([0, 2, 1]);
    expect(r.failed.map((f) => f.error).join('\n')).toMatch(/empty[\s\S]*ISO 8601[\s\S]*not an image/);
    expect(await backend.count()).toBe(5);
    // The review whose photo failed was not written without it.
    expect((await backend.bm25('twice', { limit: 5 })).length).toBe(0);
  });
});

describe('HybridSearcher', () => {
  const searcher = () => new HybridSearcher(backend, encoders);

  it('fuses BM25 and dense lists and reports every stage per hit', async () => {
    const res = await searcher().search({ text: 'battery', k: 3 });
    expect(res.stages).toEqual(['bm25', 'dense']);
    expect(res.hits[0]?.review.text).toMatch(/Battery/);
    const top = res.hits[0]?.scores;
    expect(top?.bm25_rank).toBeGreaterThanOrEqual(1);
    expect(top?.dense_rank).toBeGreaterThanOrEqual(1);
    expect(top?.fused_score).toBeCloseTo(0.5 / (60 + (top?.bm25_rank ?? 0)) + 1 / (60 + (top?.dense_rank ?? 0)), 10);
    const scores = res.hits.map((h) => h.scores.fused_score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('runs one stage alone on request, filters, and pages without overlap', async () => {
    const s = searcher();
    expect((await s.search({ text: 'battery', mode: 'bm25' })).stages).toEqual(['bm25']);
    expect((await s.search({ text: 'battery', mode: 'dense' })).stages).toEqual(['dense']);
    const neg = await s.search({ text: 'battery', filters: { sentiment: 'negative' } });
    expect(neg.hits.map((h) => h.review.text)).toEqual(['Battery died in a day']);
    const all = await s.search({ text: 'screen price battery', k: 5 });
    const p1 = await s.search({ text: 'screen price battery', k: 2 });
    const p2 = await s.search({ text: 'screen price battery', k: 2, offset: 2 });
    expect([...p1.hits, ...p2.hits].map((h) => h.id)).toEqual(all.hits.slice(0, 4).map((h) => h.id));
    expect(p2.offset).toBe(2);
  });

  it('scores only the rarest terms of a long query when bm25MaxTerms asks', async () => {
    const s = searcher();
    // "cracked" is in one review, "battery" in two: with one term, only the rarer one is matched.
    const both = await s.search({ text: 'battery cracked', mode: 'bm25', k: 5 });
    expect(both.hits.map((h) => h.review.text)).toContain('Battery died in a day');
    const rarest = await s.search({ text: 'battery cracked', mode: 'bm25', k: 5, bm25MaxTerms: 1 });
    expect(rarest.hits.map((h) => h.review.text)).toEqual(['Screen arrived cracked from shipping']);
  });

  it('searches by photo alone, or by text and photo, and can exclude ids', async () => {
    const s = searcher();
    const byPhoto = await s.search({ image: P10, k: 5 });
    expect(byPhoto.stages).toEqual(['image']);
    expect(byPhoto.hits.map((h) => h.review.text)).toEqual([
      'Screen arrived cracked from shipping',
      'Fair price, screen is fine',
    ]);
    const both = await s.search({ text: 'screen', image: P10 });
    expect(both.stages).toEqual(['bm25', 'dense', 'image']);
    const first = both.hits[0];
    expect(first?.scores.image_rank).toBeGreaterThanOrEqual(1);
    expect(both.hits.some((h) => h.scores.image_rank === 1)).toBe(true);
    const without = await s.search({
      text: 'screen',
      image: P10,
      excludeIds: [first?.id as string],
    });
    expect(without.hits.map((h) => h.id)).not.toContain(first?.id);
  });

  it('reranks the top of the fused list, and keeps the fused order when the reranker fails', async () => {
    const reverse: Reranker = { name: 'by-length', score: async (_q, docs) => docs.map((d) => d.length) };
    const rr = await new HybridSearcher(backend, encoders, undefined, reverse).search({
      text: 'battery',
      rerank: true,
    });
    expect(rr.reranker).toBe('by-length');
    const lens = rr.hits.slice(0, 3).map((h) => h.review.text.length);
    expect([...lens].sort((a, b) => b - a)).toEqual(lens);
    expect(rr.hits[0]?.scores.rerank_score).toBe(lens[0]);

    const broken: Reranker = {
      name: 'down',
      score: async () => {
        throw new Error('connection refused');
      },
    };
    const plain = await searcher().search({ text: 'battery' });
    const fb = await new HybridSearcher(backend, encoders, undefined, broken).search({ text: 'battery', rerank: true });
    expect(fb.rerank_error).toMatch(/down failed, fused order kept: connection refused/);
    expect(fb.hits.map((h) => h.id)).toEqual(plain.hits.map((h) => h.id));
  });

  it('refuses a search with nothing to search by, or a bad k or offset', async () => {
    const s = searcher();
    await expect(s.search({ text: '  ' })).rejects.toThrow(/text query, a photo, or both/);
    await expect(s.search({ text: 'x', k: 0 })).rejects.toThrow(/k must be/);
    await expect(s.search({ text: 'x', k: 1000 })).rejects.toThrow(/k must be/);
    await expect(s.search({ text: 'x', offset: -1 })).rejects.toThrow(/offset/);
    await expect(s.search({ image: P11, mode: 'bm25' })).rejects.toThrow(/needs a text query/);
  });
});
