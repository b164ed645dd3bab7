import type { Candidate } from './types.js';

/** One ranked list to fuse, with its name (reported per hit) and weight. */
export interface RankedList {
  name: string;
  weight: number;
  candidates: readonly Candidate[];
}

/** A fused entry: the RRF score and, per input list, the 1-based rank and the list's own score. */
export interface Fused {
  id: string;
  score: number;
  ranks: Record<string, number>;
  scores: Record<string, number>;
}

/**
 * Reciprocal Rank Fusion (Cormack, Clarke and Büttcher, 2009): score(d) = Σ_l w_l / (k + rank_l(d)),
 * rank 1-based, summed over the lists that contain d. Ties are broken by the best single rank, then by
 * id, so the order is deterministic.
 */
export function reciprocalRankFusion(lists: readonly RankedList[], k = 60): Fused[] {
  if (!(k >= 0)) throw new Error('the RRF constant k must be >= 0');
  const byId = new Map<string, Fused>();
  for (const list of lists) {
    if (list.weight === 0) continue;
    list.candidates.forEach((c, i) => {
      let f = byId.get(c.id);
      if (!f) {
        f = { id: c.id, score: 0, ranks: {}, scores: {} };
        byId.set(c.id, f);
      }
      // A list may repeat an id (e.g. two chunks of one document): its best rank counts once.
      if (f.ranks[list.name] !== undefined) return;
      f.ranks[list.name] = i + 1;
      f.scores[list.name] = c.score;
      f.score += list.weight / (k + i + 1);
    });
  }
  const best = (f: Fused) => Math.min(...Object.values(f.ranks));
  return [...byId.values()].sort((a, b) => b.score - a.score || best(a) - best(b) || (a.id < b.id ? -1 : 1));
}
