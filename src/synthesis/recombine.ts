import { ValidationError } from '../core/errors.js';
import { seededRandom } from '../core/random.js';
import { aspectsOf, poolFor, sentences } from './corpus.js';
import {
  LENGTH_WORDS,
  type SourceReview,
  type SynthCandidate,
  type SynthGenerator,
  type SynthRequest,
} from './types.js';

/**
 * Label-preserving word swaps: each pair keeps the polarity and strength of the word it replaces (a word is only
 * swapped for one of the same sentiment), so a recombined review reads as its sources did. A small hand list.
 */
export const SWAPS: Record<string, readonly string[]> = {
  great: ['excellent', 'fantastic'],
  excellent: ['great', 'superb'],
  wonderful: ['lovely', 'great'],
  love: ['adore'],
  nice: ['lovely', 'pleasant'],
  terrible: ['awful', 'horrible'],
  awful: ['terrible', 'dreadful'],
  horrible: ['terrible', 'awful'],
  disappointed: ['let down'],
  disappointing: ['a letdown'],
  poor: ['bad', 'shoddy'],
  very: ['really', 'quite'],
  really: ['very', 'truly'],
  bought: ['purchased', 'got'],
  purchased: ['bought'],
  okay: ['ok', 'fine'],
  ok: ['okay', 'fine'],
};

/** Applies SWAPS to `text` with probability `p` per matching word; returns the text and the swaps made. */
export function swapWords(text: string, rand: () => number, p = 0.5): { text: string; edits: string[] } {
  const edits: string[] = [];
  const out = text.replace(/\b[A-Za-z]+\b/g, (w) => {
    const alts = SWAPS[w.toLowerCase()];
    if (!alts || rand() >= p) return w;
    let alt = alts[Math.floor(rand() * alts.length)] as string;
    if (w[0] && w[0] === w[0].toUpperCase()) alt = alt[0]?.toUpperCase() + alt.slice(1);
    edits.push(`${w}->${alt}`);
    return alt;
  });
  return { text: out, edits };
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

/**
 * The generator that needs no LLM: a review assembled from sentences of real reviews with the same sentiment (and
 * rating, when asked) of the same product, else category: an opening sentence from one review, sentences on the
 * requested aspects (else on random ones) from others, until the length asked for, then label-preserving word swaps
 * (SWAPS). The recipe records every source id and sentence and every swap. Persona is not applicable (recorded).
 */
export class RecombineGenerator implements SynthGenerator {
  readonly name = 'recombine' as const;
  private readonly cache = new Map<string, { pool: SourceReview[]; matched: string; split: string[][] }>();

  constructor(private readonly corpus: readonly SourceReview[]) {}

  private poolOf(req: SynthRequest) {
    const key = JSON.stringify([req.sentiment, req.rating, req.product, req.category]);
    let p = this.cache.get(key);
    if (!p) {
      const { pool, matched } = poolFor(this.corpus, req);
      p = { pool, matched, split: pool.map((r) => sentences(r.text)) };
      this.cache.set(key, p);
    }
    if (p.pool.length < 3) {
      throw new ValidationError(
        `only ${p.pool.length} real ${req.sentiment} review(s) match${req.category ? ` category "${req.category}"` : ''}${req.rating ? ` with rating ${req.rating}` : ''}: recombination needs at least 3`,
        'category',
      );
    }
    return p;
  }

  async generate(req: SynthRequest, _index: number, seed: number): Promise<SynthCandidate> {
    const { pool, matched, split } = this.poolOf(req);
    const rand = seededRandom(seed);
    const [lo, hi] = LENGTH_WORDS[req.length ?? 'medium'];
    const target = lo + Math.floor(rand() * (hi - lo));
    const pick = () => Math.floor(rand() * pool.length);
    const parts: Array<{ id: string; sentence: string; aspect?: string }> = [];
    const used = new Set<number>();
    // Opening: the first sentence of a review that has at least two.
    for (let tries = 0; tries < 50 && parts.length === 0; tries++) {
      const i = pick();
      const s = split[i] ?? [];
      if (s.length >= 2 && words(s[0] as string) <= hi) {
        parts.push({ id: (pool[i] as SourceReview).id, sentence: s[0] as string });
        used.add(i);
      }
    }
    const wanted = req.aspects?.length ? [...req.aspects] : [];
    const total = () => parts.reduce((n, p) => n + words(p.sentence), 0);
    for (let tries = 0; tries < 400 && (total() < target || wanted.length > 0); tries++) {
      const i = pick();
      if (used.has(i)) continue;
      const s = split[i] ?? [];
      const cand = s.slice(1);
      if (cand.length === 0) continue;
      const aspect = wanted[0];
      const sentence = aspect
        ? cand.find((x) => aspectsOf(x).includes(aspect))
        : (cand[Math.floor(rand() * cand.length)] as string);
      if (!sentence) continue;
      if (total() + words(sentence) > hi && total() >= lo) break;
      parts.push({ id: (pool[i] as SourceReview).id, sentence, ...(aspect ? { aspect } : {}) });
      used.add(i);
      if (aspect) wanted.shift();
    }
    const joined = parts.map((p) => p.sentence).join(' ');
    if (joined.trim() === '') throw new Error(`no sentence to recombine in ${pool.length} reviews (seed ${seed})`);
    const { text, edits } = swapWords(joined, rand);
    return {
      text,
      sourceIds: [...new Set(parts.map((p) => p.id))],
      recipe: {
        pool: { matched, size: pool.length },
        targetWords: target,
        sentences: parts,
        edits,
        aspectsMissing: wanted,
        ...(req.persona ? { persona: 'not applicable to recombination' } : {}),
      },
    };
  }
}
