/**
 * The search-scale benchmarks' corpus (issue 15): real product reviews (Amazon MARC and a women's-clothing
 * shop, ../shared/data/ecommerce-reviews) with their MiniLM vectors from the feature cache, recombined past
 * the pool to reach any size. Shared by bench/search-scale.ts (HTTP, 1k-100k) and bench/search-scale-1m.ts
 * (in process, 1M), so both index the same recipe.
 */
import { shuffleInPlace } from '../src/core/index.js';
import type { VectorizedReview } from '../src/retrieval/index.js';
import { loadStarSet } from '../src/training/ecommerce.js';
import { FeatureCache } from '../src/training/index.js';

export type StarReview = ReturnType<typeof loadStarSet>[number];
export interface PoolEntry {
  r: StarReview;
  /** MiniLM vector of `r.text` (384 floats). */
  v: Float32Array;
}

/**
 * Loads and shuffles (with `rand`) both review sets; the first `queries` reviews are held out as queries,
 * the rest with a cached text vector form the pool (reviews without one are skipped).
 */
export function loadReviewPool(
  textCache: FeatureCache,
  rand: () => number,
  queries: number,
): { all: StarReview[]; queryReviews: StarReview[]; pool: PoolEntry[] } {
  const all = [...loadStarSet('marc'), ...loadStarSet('womens-clothing')];
  shuffleInPlace(all, rand);
  const queryReviews = all.slice(0, queries);
  const pool = all.slice(queries).flatMap((r) => {
    const v = textCache.get(FeatureCache.key(r.text));
    return v ? [{ r, v }] : [];
  });
  return { all, queryReviews, pool };
}

/** A query is how a user types: the review's first sentence (at most 200 characters). */
export const queryText = (t: string): string => (t.split(/(?<=[.!?])\s/)[0] ?? t).slice(0, 200);

/** The unit-normalised weighted sum of vectors `vs` (weights `w`). */
export function normalized(vs: Float32Array[], w: number[]): Float32Array {
  const out = new Float32Array((vs[0] as Float32Array).length);
  vs.forEach((v, j) => {
    for (let d = 0; d < out.length; d++) out[d] = (out[d] as number) + (w[j] as number) * (v[d] as number);
  });
  const n = Math.hypot(...out) || 1;
  return out.map((x) => x / n);
}

/**
 * `review(i)`: review i of the index, a real one while the pool lasts, then 2-3 real ones joined (text
 * concatenated, vector the normalised sum of theirs). A fifth carry a photo vector (the sum of two of
 * `photoVecs`, weights 1 and 0.3); with no `photoVecs` a fifth are still marked as drawn but get no photo
 * vector. The corpus is reproducible for a given `rand` state when calls go in order of i.
 */
export function reviewMaker(
  pool: readonly PoolEntry[],
  rand: () => number,
  photoVecs: readonly Float32Array[] = [],
): (i: number) => VectorizedReview {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  return (i) => {
    const parts =
      i < pool.length ? [pool[i] as PoolEntry] : Array.from({ length: 2 + Math.floor(rand() * 2) }, () => pick(pool));
    const first = parts[0]?.r as StarReview;
    const withPhoto = rand() < 0.2;
    return {
      record: {
        id: `rev-${i}`,
        text: parts.map((p) => p.r.text).join(' '),
        product: `P${Math.floor(rand() * 500)}`,
        rating: first.rating ?? null,
        label: first.label ?? null,
        date: new Date(Date.UTC(2025, 0, 1) + Math.floor(rand() * 730) * 86_400_000).toISOString().slice(0, 10),
        source: i < pool.length ? 'ecommerce-reviews' : 'recombined',
      },
      textVector:
        parts.length === 1
          ? (parts[0]?.v as Float32Array)
          : normalized(
              parts.map((p) => p.v),
              parts.map(() => 1),
            ),
      imageVector: withPhoto && photoVecs.length > 0 ? normalized([pick(photoVecs), pick(photoVecs)], [1, 0.3]) : null,
    };
  };
}
