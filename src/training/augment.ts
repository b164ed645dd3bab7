/**
 * Label-preserving compositions of real review sentences, so that the review model sees the structures users
 * write and star-rated data rarely isolates (in the spirit of CheckList's templates, Ribeiro et al. 2020, and of
 * compositional data augmentation): two clauses joined by a contrast marker (the clause after it decides), a
 * long review of plain product facts with a verdict at its end or start (the verdict decides), and an
 * exclamation of delight before a plain product failure (sarcasm over a negative fact: negative). Every
 * sentence comes from real reviews: positive ones from 5-star reviews and negative ones from 1-star reviews
 * whose VADER compound agrees, facts from Hu & Liu's sentences tagged as carrying no opinion.
 */

import { seededRandom } from '../core/random.js';
import type { Sentiment } from '../core/types.js';
import { vaderCompound } from '../models/lexicon.js';
import { splitSentences } from '../models/review-text.js';
import { loadHuLiu, type ReviewExample } from './ecommerce.js';

/** Contrast markers that put the next clause in charge, and concessive openers whose main clause decides. */
const CONTRAST = ['but', 'however,', 'yet', 'though', 'still,'];
const CONCESSIVE = ['Although', 'Even though', 'While'];
/** Exclamations of delight that, before a failure, read as sarcasm. */
const DELIGHT = ['Oh great', 'Wonderful', 'Just perfect', 'Fantastic', 'Oh good', 'Brilliant', 'Amazing', 'Lovely'];

export interface AugmentOptions {
  seed?: number;
  /** How many of each composition (default 1500 contrast, 500 sarcasm, 400 long). */
  contrast?: number;
  sarcasm?: number;
  long?: number;
}

const lower = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const bare = (s: string) => s.replace(/[.!?]+$/, '');

/**
 * Composed training reviews (source `augment:<kind>`) from the sentences of `train`'s 1-star and 5-star
 * reviews and Hu & Liu's no-opinion sentences. Deterministic for a seed. Returns [] when the pools are empty.
 */
export function composeReviews(train: readonly ReviewExample[], opts: AugmentOptions = {}): ReviewExample[] {
  const rand = seededRandom(opts.seed ?? 7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)] as T;
  const pos: string[] = [];
  const neg: string[] = [];
  for (const e of train) {
    if (e.rating !== 1 && e.rating !== 5) continue;
    for (const s of splitSentences(e.text)) {
      if (s.length < 20 || s.length > 140 || /\b(but|however|although|though|yet)\b/i.test(s)) continue;
      const c = vaderCompound(s);
      if (e.rating === 5 && c >= 0.5) pos.push(s);
      if (e.rating === 1 && c <= -0.3) neg.push(s);
    }
  }
  const facts = loadHuLiu()
    .filter((e) => e.label === 'neutral' && e.text.length >= 30 && e.text.length <= 200)
    .map((e) => e.text);
  if (pos.length < 10 || neg.length < 10 || facts.length < 10) return [];
  const out: ReviewExample[] = [];
  const add = (kind: string, text: string, label: Sentiment) =>
    out.push({ id: `augment:${kind}:${out.length}`, text, label, source: `augment:${kind}` });
  for (let i = 0; i < (opts.contrast ?? 1500); i++) {
    const toNeg = rand() < 0.5;
    const [a, b] = toNeg ? [pick(pos), pick(neg)] : [pick(neg), pick(pos)];
    const label: Sentiment = toNeg ? 'negative' : 'positive';
    if (rand() < 0.3) add('contrast', `${pick(CONCESSIVE)} ${lower(bare(a))}, ${lower(b)}`, label);
    else add('contrast', `${bare(a)}, ${pick(CONTRAST)} ${lower(b)}`, label);
  }
  for (let i = 0; i < (opts.sarcasm ?? 500); i++) {
    add(
      'sarcasm',
      `${pick(DELIGHT)}${rand() < 0.5 ? ',' : '.'} ${rand() < 0.5 ? lower(pick(neg)) : pick(neg)}`,
      'negative',
    );
  }
  for (let i = 0; i < (opts.long ?? 400); i++) {
    const n = 8 + Math.floor(rand() * 30);
    const body = Array.from({ length: n }, () => pick(facts));
    const r = rand();
    const label: Sentiment = r < 0.4 ? 'negative' : r < 0.8 ? 'positive' : 'neutral';
    const verdict = label === 'negative' ? [pick(neg), pick(neg)] : label === 'positive' ? [pick(pos), pick(pos)] : [];
    const text = rand() < 0.7 ? [...body, ...verdict].join(' ') : [...verdict, ...body].join(' ');
    add('long', text, label);
  }
  return out;
}
