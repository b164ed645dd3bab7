import { SENTIMENTS, type Sentiment } from '../core/types.js';
import { sentimentOfRating } from './corpus.js';
import type { SourceReview } from './types.js';

/**
 * How many synthetic reviews to add per class so the thinnest classes grow first: the target is the largest
 * class's count (real and synthetic labelled reviews together), and one review at a time goes to the class that
 * is smallest after what it was given so far (ties in SENTIMENTS order: negative, neutral, positive), until
 * `budget` is spent or every class reaches the target. Classes at the target get nothing; with no labelled
 * review at all, nothing is planned.
 */
export function topUpPlan(counts: Record<Sentiment, number>, budget: number): Record<Sentiment, number> {
  const add: Record<Sentiment, number> = { negative: 0, neutral: 0, positive: 0 };
  const target = Math.max(...SENTIMENTS.map((s) => counts[s]));
  for (let left = budget; left > 0; left--) {
    let best: Sentiment | undefined;
    for (const s of SENTIMENTS) {
      const n = counts[s] + add[s];
      if (n < target && (best === undefined || n < counts[best] + add[best])) best = s;
    }
    if (!best) break;
    add[best]++;
  }
  return add;
}

/**
 * A stored real review as a source for the generators: its stored rating when it agrees with the label, else
 * the label's middle star (negative 1, neutral 3, positive 5); category `store`, product as stored. Undefined
 * for a review without a sentiment label or with under 20 characters of text.
 */
export function storeSourceReview(r: {
  id: string;
  text: string;
  rating: number | null;
  product: string | null;
  label: string | null;
}): SourceReview | undefined {
  if (!r.label || !(SENTIMENTS as readonly string[]).includes(r.label)) return undefined;
  const text = r.text.replace(/\s+/g, ' ').trim();
  if (text.length < 20) return undefined;
  const sentiment = r.label as Sentiment;
  const stars = r.rating !== null ? Math.round(r.rating) : undefined;
  const rating =
    stars !== undefined && stars >= 1 && stars <= 5 && sentimentOfRating(stars) === sentiment
      ? stars
      : { negative: 1, neutral: 3, positive: 5 }[sentiment];
  return {
    id: r.id,
    text,
    rating,
    sentiment,
    ...(r.product ? { productId: r.product } : {}),
    category: 'store',
  };
}
