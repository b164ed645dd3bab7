import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sentiment } from '../core/types.js';
import { ECOMMERCE_SPLIT_PATH } from '../training/ecommerce.js';
import type { SourceReview } from './types.js';

/**
 * The real reviews synthesis draws on: `ecommerce-reviews/womens-clothing.jsonl` (product id, department, class)
 * and `marc-en.jsonl` (Amazon, category `general`) from the shared data, minus the reviews of the fixed e-commerce
 * test and val splits (data/splits/ecommerce.json), so synthetic text never carries held-out reviews' sentences.
 * A review whose text the set cut off (`truncated`: within TRUNCATION_SHARE of the file's longest text and ending
 * without . ! ? or a closing bracket or quote; the women's-clothing file stops most texts past ~500 characters, 86% of
 * those of 500-600 characters end mid-sentence) is kept as a source of sentences but flagged, so that neither a
 * generator's length templates and endings nor the validator's real partners take the cut for a reviewer's habit.
 */
export function loadSourceReviews(sharedDataDir: string): SourceReview[] {
  const dir = join(sharedDataDir, 'ecommerce-reviews');
  const held = new Set<string>();
  if (existsSync(ECOMMERCE_SPLIT_PATH)) {
    const s = JSON.parse(readFileSync(ECOMMERCE_SPLIT_PATH, 'utf8')) as { test: string[]; val: string[] };
    for (const id of [...s.test, ...s.val]) held.add(id);
  }
  const out: SourceReview[] = [];
  type Row = {
    id: string;
    text: string;
    rating: number;
    product_id?: string;
    department?: string;
    product_class?: string;
  };
  for (const file of ['womens-clothing.jsonl', 'marc-en.jsonl']) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    const rows: Row[] = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as Row;
      if (held.has(r.id) || typeof r.text !== 'string' || r.text.trim().length < 20) continue;
      if (!(r.rating >= 1 && r.rating <= 5)) continue;
      rows.push(r);
    }
    const texts = rows.map((r) => r.text.replace(/\s+/g, ' ').trim());
    const cut = TRUNCATION_SHARE * texts.reduce((m, t) => Math.max(m, t.length), 0);
    for (const [i, r] of rows.entries()) {
      const text = texts[i] as string;
      out.push({
        id: r.id,
        text,
        ...(text.length >= cut && !ENDED.test(text) ? { truncated: true } : {}),
        rating: r.rating,
        sentiment: sentimentOfRating(r.rating),
        ...(r.product_id ? { productId: r.product_id } : {}),
        category: r.department || 'general',
        ...(r.product_class ? { productClass: r.product_class } : {}),
      });
    }
  }
  return out;
}

/** A text within this share of its file's longest one and not ended (ENDED) counts as cut off by the set. */
export const TRUNCATION_SHARE = 0.9;
/** How a finished text ends: . ! ? … or a closing bracket or quote (after any of them), or an emoji. */
const ENDED = /([.!?…)\]"'’”]|\p{Extended_Pictographic})\s*$/u;

export function sentimentOfRating(rating: number): Sentiment {
  return rating <= 2 ? 'negative' : rating === 3 ? 'neutral' : 'positive';
}

/** Aspect words (lower case, whole words) that tag a sentence; a small hand-made list for product reviews. */
export const ASPECTS: Record<string, readonly string[]> = {
  battery: ['battery', 'batteries', 'charge', 'charging', 'charger'],
  fit: ['fit', 'fits', 'fitted', 'size', 'sizing', 'small', 'large', 'tight', 'loose', 'petite', 'length', 'runs'],
  delivery: ['delivery', 'delivered', 'shipping', 'shipped', 'arrived', 'arrive', 'came', 'package arrived'],
  packaging: ['package', 'packaging', 'box', 'packed', 'wrapped'],
  price: ['price', 'cost', 'money', 'value', 'cheap', 'expensive', 'sale', 'worth'],
  quality: ['quality', 'material', 'fabric', 'stitching', 'broke', 'broken', 'durable', 'cheaply', 'seams', 'made'],
  comfort: ['comfortable', 'comfort', 'soft', 'itchy', 'cozy', 'scratchy'],
  look: ['color', 'colour', 'pattern', 'looks', 'pretty', 'beautiful', 'style', 'cute', 'flattering'],
  service: ['seller', 'service', 'support', 'refund', 'return', 'returned', 'returning', 'customer'],
};

/** The aspects a sentence mentions. */
export function aspectsOf(sentence: string): string[] {
  const words = new Set(sentence.toLowerCase().match(/[a-z']+/g) ?? []);
  return Object.entries(ASPECTS)
    .filter(([, ws]) => ws.some((w) => (w.includes(' ') ? sentence.toLowerCase().includes(w) : words.has(w))))
    .map(([a]) => a);
}

/**
 * Sentences of a review: split after . ! ? and a space, trimmed, at least 2 words and ending in . ! or ?. Each is
 * kept exactly as its reviewer typed it (casing, inner spacing and punctuation untouched: many reviewers write in
 * lower case after the first sentence, and synthetic text made from their sentences should too).
 */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s.split(/\s+/).length >= 2 && /[.!?]$/.test(s));
}

/** How many words a text has (pieces between whitespace): the unit of LENGTH_WORDS. */
export const wordCount = (text: string): number => text.split(/\s+/).filter(Boolean).length;

/**
 * How many sentences a review has as a reader counts them: pieces split after . ! ? and whitespace, fragments and an
 * unpunctuated ending included (the same split as the style feature `sentences`). At least 1 for a non-empty text.
 */
export function sentenceCount(text: string): number {
  return text
    .trim()
    .split(/(?<=[.!?])\s+/)
    .filter((s) => s.trim() !== '').length;
}

/** The reviews matching a request's sentiment, rating, product and category (product falls back to category). */
export function poolFor(
  all: readonly SourceReview[],
  req: { sentiment: Sentiment; rating?: number; product?: string; category?: string },
): { pool: SourceReview[]; matched: 'product' | 'category' | 'any' } {
  const base = all.filter(
    (r) => r.sentiment === req.sentiment && (req.rating === undefined || r.rating === req.rating),
  );
  const eq = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();
  if (req.product) {
    const p = req.product;
    const byProduct = base.filter((r) => eq(r.productId, p) || eq(r.productClass, p));
    if (byProduct.length >= 3) return { pool: byProduct, matched: 'product' };
  }
  if (req.category && req.category !== 'any') {
    const c = req.category;
    const byCat = base.filter((r) => eq(r.category, c) || eq(r.productClass, c));
    return { pool: byCat, matched: 'category' };
  }
  return { pool: base, matched: 'any' };
}
