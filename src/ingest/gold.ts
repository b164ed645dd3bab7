import { clean } from './text.js';
import type { ExtractedReview } from './types.js';

/**
 * Scoring extracted reviews against hand-written gold (text snippet + rating): an extracted review
 * matches a gold review when its text contains the gold snippet (whitespace and case aside); each gold
 * review is matched at most once. Used by the tests and the extraction benchmark.
 */

export interface GoldReview {
  text: string;
  rating: number | null;
}

export interface GoldScore {
  extracted: number;
  gold: number;
  matched: number;
  /** Matched reviews whose rating equals the gold rating. */
  ratingCorrect: number;
  /** matched / extracted (1 when nothing was extracted). */
  precision: number;
  /** matched / gold (1 when the gold is empty). */
  recall: number;
  /** Extracted reviews that match no gold review (their text, cut). */
  unmatched: string[];
}

const norm = (s: string) => clean(s).toLowerCase();

export function scoreAgainstGold(extracted: Pick<ExtractedReview, 'text' | 'rating'>[], gold: GoldReview[]): GoldScore {
  const used = new Set<number>();
  let matched = 0;
  let ratingCorrect = 0;
  const unmatched: string[] = [];
  for (const r of extracted) {
    const text = norm(r.text);
    const i = gold.findIndex((g, j) => !used.has(j) && text.includes(norm(g.text)));
    if (i < 0) {
      unmatched.push(r.text.slice(0, 80));
      continue;
    }
    used.add(i);
    matched++;
    if (gold[i]?.rating === r.rating) ratingCorrect++;
  }
  return {
    extracted: extracted.length,
    gold: gold.length,
    matched,
    ratingCorrect,
    precision: extracted.length ? matched / extracted.length : 1,
    recall: gold.length ? matched / gold.length : 1,
    unmatched,
  };
}
