import { describe, expect, it } from 'vitest';
import { ExactVectorSet } from '../../src/retrieval/exact-scan.js';

/** The HNSW search breadth (ef): set at query time, and grown with the graph's size past `efScaleRows`. */
describe('ExactVectorSet HNSW search breadth', () => {
  let seed = 11;
  const rnd = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647 - 0.5;
  };
  const set = new ExactVectorSet(8);
  const vecs = Array.from({ length: 400 }, () => Float32Array.from({ length: 8 }, rnd));
  vecs.forEach((v, i) => {
    set.set(`r${i}`, v, { product: null, label: null, source: null, rating: null, date: null, hasImage: false });
  });

  it('keeps ef up to efScaleRows and doubles it per tenfold rows past them', async () => {
    await set.buildAnn({ expansionSearch: 16, efScaleRows: 0, refine: 1 });
    expect(set.annReady).toBe(true);
    expect(set.annBreadth).toBe(16);
    set.tuneAnn({ efScaleRows: 40 });
    expect(set.annBreadth).toBe(32); // 16 × 2^log10(400 / 40)
    set.tuneAnn({ efScaleRows: 100 });
    expect(set.annBreadth).toBe(25); // ceil(16 × 2^log10(4)) = ceil(24.25)
    set.tuneAnn({ efScaleRows: 400 });
    expect(set.annBreadth).toBe(16); // not past the scale yet
  });

  it('answers `limit` rows, ranked by exact cosine, whatever the breadth', () => {
    for (const ef of [1, 16, 300, 1000]) {
      set.tuneAnn({ expansionSearch: ef, efScaleRows: 0 });
      const hits = set.search(vecs[123] as Float32Array, 5);
      expect(hits).toHaveLength(5);
      expect(hits[0]?.id).toBe('r123');
      expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));
    }
    // The widest beam over this small graph finds the exact top 10.
    set.tuneAnn({ expansionSearch: 400 });
    const q = vecs[7] as Float32Array;
    expect(set.search(q, 10).map((h) => h.id)).toEqual(set.searchExact(q, 10).map((h) => h.id));
  });
});
