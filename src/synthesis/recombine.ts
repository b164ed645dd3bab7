import { ValidationError } from '../core/errors.js';
import { seededRandom } from '../core/random.js';
import type { ClassScores } from '../core/types.js';
import { aspectsOf, poolFor, sentenceCount, sentences, wordCount as words } from './corpus.js';
import { isGoodPoint, pullsAgainst } from './polarity.js';
import {
  LENGTH_WORDS,
  type SentimentJudge,
  type SourceReview,
  type SynthCandidate,
  type SynthGenerator,
  type SynthLength,
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
  // Not "very": "really" also modifies verbs ("i really wanted"), where "very" is not English.
  really: ['truly'],
  bought: ['purchased', 'got'],
  purchased: ['bought'],
  okay: ['ok', 'fine'],
  ok: ['okay', 'fine'],
};

/**
 * Words after which "love" is a noun ("in love with it", "my love of linen"), where "adore" is not English ("in adore
 * with it" came out): "love" is swapped only as a verb.
 */
const BEFORE_NOUN_LOVE = new Set(['in', 'a', 'my', 'with', 'of', 'the', 'much', 'and', 'for', 'no', 'such', 'true']);

/** Degree words: one next to another ("really very soft") is not swapped, or "quite very soft" could come out. */
const INTENSIFIERS = new Set(['very', 'really', 'quite', 'truly', 'so', 'too', 'extremely', 'super']);

/** Applies SWAPS to `text` with probability `p` per matching word; returns the text and the swaps made. */
export function swapWords(text: string, rand: () => number, p = 0.5): { text: string; edits: string[] } {
  const edits: string[] = [];
  const out = text.replace(/\b[A-Za-z]+\b/g, (w, at: number) => {
    const alts = SWAPS[w.toLowerCase()];
    if (!alts || rand() >= p) return w;
    // The word before this one, lower-cased (undefined at the start).
    const before = /([A-Za-z]+)\W*$/.exec(text.slice(0, at))?.[1]?.toLowerCase();
    if (w.toLowerCase() === 'love' && before && BEFORE_NOUN_LOVE.has(before)) return w;
    if (INTENSIFIERS.has(w.toLowerCase())) {
      const after = /^\W*([A-Za-z]+)/.exec(text.slice(at + w.length))?.[1]?.toLowerCase();
      if ((before && INTENSIFIERS.has(before)) || (after && INTENSIFIERS.has(after))) return w;
    }
    let alt = alts[Math.floor(rand() * alts.length)] as string;
    // "a great" must not become "a excellent": no swap that changes the article the word takes.
    const vowel = (x: string) => /^[aeiou]/i.test(x);
    if ((before === 'a' || before === 'an') && vowel(w) !== vowel(alt)) return w;
    // The word's own casing: "VERY" -> "QUITE" (not "Quite" mid-sentence), "Great" -> "Excellent".
    if (w.length > 1 && w === w.toUpperCase()) alt = alt.toUpperCase();
    else if (w[0] && w[0] === w[0].toUpperCase()) alt = alt[0]?.toUpperCase() + alt.slice(1);
    edits.push(`${w}->${alt}`);
    return alt;
  });
  return { text: out, edits };
}

/** Later sentences are drawn first from this many of the pool's reviews most like the opening's (NEIGHBOURS_FROM sampled). */
const NEIGHBOURS = 30;
const NEIGHBOURS_FROM = 4000;
/** Sentences whose class probabilities are kept (RecombineGenerator.scoresOf). */
const GATE_CACHE = 100_000;
/** The distinct lower-case words of 3+ letters of a text (the terms of the opening-neighbour similarity). */
const termsOf = (t: string): string[] => [...new Set(t.toLowerCase().match(/[a-z]{3,}/g) ?? [])];

/** A pool review prepared for recombination. */
interface Source {
  review: SourceReview;
  /** Its first sentence when that one is usable (see `sentences`), else undefined. */
  opening?: string;
  /** Its usable sentences after the first. */
  later: string[];
  /** Its last piece (punctuated or not: "XL fits like a L") when it is not its first and the set did not cut it off. */
  closing?: string;
  /** Its distinct words (termsOf), for the neighbours of an opening. */
  terms: string[];
  /** Words and sentences of the whole review (sentenceCount), for the length templates. */
  words: number;
  count: number;
  /** `lower` when most of its sentences after the first start with a lower-case letter (its reviewer's habit). */
  casing: 'lower' | 'upper';
}

function prepare(review: SourceReview): Source {
  // The review split after . ! ? as `sentences` splits it, but every piece kept (fragments, an unpunctuated end).
  const pieces = review.text.trim().split(/(?<=[.!?])\s+/);
  const usable = sentences(review.text);
  const opening = usable[0] !== undefined && usable[0] === (pieces[0] ?? '').trim() ? usable[0] : undefined;
  const later = opening === undefined ? usable : usable.slice(1);
  const starts = pieces
    .slice(1)
    .map((x) => x.match(/[A-Za-z]/)?.[0])
    .filter((c): c is string => c !== undefined);
  const lower = starts.filter((c) => c === c.toLowerCase()).length;
  const casing = starts.length > 0 ? (lower * 2 >= starts.length ? 'lower' : 'upper') : 'upper';
  const last = (pieces[pieces.length - 1] ?? '').trim();
  const closing = pieces.length >= 2 && words(last) >= 2 && !review.truncated ? last : undefined;
  return {
    review,
    ...(opening ? { opening } : {}),
    later,
    ...(closing ? { closing } : {}),
    terms: termsOf(review.text),
    words: words(review.text),
    count: sentenceCount(review.text),
    casing,
  };
}

interface Prepared {
  pool: SourceReview[];
  matched: string;
  src: Source[];
  /** Indices into `src` of the reviews with at least one later sentence, by `${category}\u0000${casing}`. */
  groups: Map<string, number[]>;
  /** All indices of `groups`: the reviews with at least one later sentence. */
  all: number[];
  /** Indices into `src` of the reviews whose word count lies in each length's range (the length templates). */
  templates: Map<SynthLength, number[]>;
  /** Inverse document frequency of each word over the pool, log(N / df). */
  idf: Map<string, number>;
  /** The tf-idf norm of each source's words (binary term weights times `idf`), by index into `src`. */
  norms: Float64Array;
}

/**
 * The generator that needs no LLM: a review assembled from sentences of real reviews with the same sentiment (and
 * rating, when asked) of the same product, else category. Its shape follows a real review: a template review of the
 * pool whose word count lies in the requested length's range (LENGTH_WORDS) is drawn at random; its sentence count
 * (sentenceCount, at least 2) and word count are the targets (each further sentence is, of 3 drawn, the one closest
 * to the words per sentence left), so lengths and sentence counts follow the real distribution of that pool and
 * length; the text stays within the range. The opening is the first sentence of one review of the template's
 * category and casing habit (see below), the rest are later sentences of others (one each), on the requested aspects
 * first (else random), drawn from reviews of the opening's category and casing habit (`lower` when most of a
 * review's later sentences start in lower case) when at least 3 such exist, else from the whole pool: a review begun
 * by a reviewer who types in lower case goes on in lower case, and a clothing review does not go on about a phone.
 * Within that group, sentences come first from the NEIGHBOURS reviews most like the opening's (tf-idf cosine of their
 * words), so a broad category ("general") mixes fewer products (it still happens: check list COH-1); the last sentence is a real review's ending (its
 * last piece, which a quarter of real reviews leave unpunctuated) when one fits. Every sentence, the opening included,
 * passes the sentence-level polarity gate (polarity.ts `pullsAgainst`: no dealbreaker in a positive review, no
 * unqualified praise in a negative one, no strong verdict in a neutral one), read by `options.judge` (the production
 * classifier, per sentence, cached) when given and by the word rules alone otherwise. With the judge, a neutral review
 * that has no good point (polarity.ts isGoodPoint) by its last sentence ends on one when the pool has one (check list
 * NEU-1: mixed, not a run of complaints; recorded as `goodPointAsked` / `goodPointAdded`). Every sentence is kept verbatim
 * (no re-casing). Then label-preserving word swaps (SWAPS). The recipe records the template, every source id and
 * sentence, every swap and how many drawn sentences the gate turned away (`againstSkipped`). Persona is not
 * applicable (recorded).
 * @throws ValidationError when fewer than 3 real reviews match the request.
 */
export class RecombineGenerator implements SynthGenerator {
  readonly name = 'recombine' as const;
  private readonly cache = new Map<string, Prepared>();
  /** The judge's class probabilities by sentence, null when it gave none (bounded: cleared at GATE_CACHE entries). */
  private readonly gate = new Map<string, ClassScores | null>();

  /**
   * @param corpus the real reviews to draw from (loadSourceReviews).
   * @param options.judge the production classifier, asked per drawn sentence for its class probabilities (`scores`)
   *   by the polarity gate; absent, or when it gives no scores, the gate applies its word rules only.
   */
  constructor(
    private readonly corpus: readonly SourceReview[],
    private readonly options: { judge?: SentimentJudge } = {},
  ) {}

  /** The judge's class probabilities for `sentence` (cached); undefined without a judge or when it gives none. */
  private async scoresOf(sentence: string): Promise<ClassScores | undefined> {
    if (!this.options.judge) return undefined;
    const known = this.gate.get(sentence);
    if (known !== undefined) return known ?? undefined;
    const { scores } = await this.options.judge.judge(sentence);
    if (this.gate.size >= GATE_CACHE) this.gate.clear();
    this.gate.set(sentence, scores ?? null);
    return scores;
  }

  /** Whether `sentence` pulls against `sentiment` (polarity.ts `pullsAgainst`): the word rules, then the judge. */
  private async against(sentence: string, sentiment: SynthRequest['sentiment']): Promise<boolean> {
    if (pullsAgainst(sentence, sentiment)) return true;
    const scores = await this.scoresOf(sentence);
    return scores ? pullsAgainst(sentence, sentiment, scores) : false;
  }

  private poolOf(req: SynthRequest): Prepared {
    const key = JSON.stringify([req.sentiment, req.rating, req.product, req.category]);
    let p = this.cache.get(key);
    if (!p) {
      const { pool, matched } = poolFor(this.corpus, req);
      const src = pool.map(prepare);
      const groups = new Map<string, number[]>();
      src.forEach((s, i) => {
        if (s.later.length === 0) return;
        const k = `${s.review.category}\u0000${s.casing}`;
        const g = groups.get(k);
        if (g) g.push(i);
        else groups.set(k, [i]);
      });
      const templates = new Map<SynthLength, number[]>();
      for (const [len, [lo, hi]] of Object.entries(LENGTH_WORDS) as Array<[SynthLength, [number, number]]>) {
        // A cut-off text is no template: its length is the set's cut, not its reviewer's.
        templates.set(
          len,
          src.flatMap((s, i) => (s.words >= lo && s.words <= hi && !s.review.truncated ? [i] : [])),
        );
      }
      const df = new Map<string, number>();
      for (const x of src) for (const t of x.terms) df.set(t, (df.get(t) ?? 0) + 1);
      const idf = new Map([...df].map(([t, n]) => [t, Math.log(src.length / n)] as [string, number]));
      const norms = Float64Array.from(
        src,
        (x) => Math.sqrt(x.terms.reduce((n, t) => n + (idf.get(t) ?? 0) ** 2, 0)) || 1,
      );
      p = { pool, matched, src, groups, all: [...groups.values()].flat(), templates, idf, norms };
      this.cache.set(key, p);
    }
    if (p.pool.length < 3) {
      // Name the categories that do have enough, so a mistyped one can be put right.
      const counts = new Map<string, number>();
      for (const r of this.corpus)
        if (r.sentiment === req.sentiment && r.category) counts.set(r.category, (counts.get(r.category) ?? 0) + 1);
      const known = [...counts]
        .filter(([, n]) => n >= 3)
        .sort((x, y) => y[1] - x[1])
        .slice(0, 25)
        .map(([c]) => c);
      throw new ValidationError(
        `only ${p.pool.length} real ${req.sentiment} review(s) match${req.category ? ` category "${req.category}"` : ''}${req.rating ? ` with rating ${req.rating}` : ''}: recombination needs at least 3${known.length ? `; categories with enough: ${known.join(', ')}` : ''}`,
        'category',
      );
    }
    return p;
  }

  async generate(req: SynthRequest, _index: number, seed: number): Promise<SynthCandidate> {
    const prepared = this.poolOf(req);
    const { pool, matched, src, groups, all, templates } = prepared;
    const rand = seededRandom(seed);
    const length = req.length ?? 'medium';
    const [lo, hi] = LENGTH_WORDS[length];
    const inRange = templates.get(length) ?? [];
    const pickOf = (xs: readonly number[]) => xs[Math.floor(rand() * xs.length)] as number;
    const template = src[inRange.length > 0 ? pickOf(inRange) : Math.floor(rand() * src.length)] as Source;
    const targetSentences = Math.max(2, template.count);
    const targetWords = Math.min(hi, Math.max(lo, template.words));
    const parts: Array<{ id: string; sentence: string; aspect?: string; closing?: boolean }> = [];
    const used = new Set<number>();
    let againstSkipped = 0;
    /** Whether a neutral review had no good point by its last sentence, so one was asked for (see below). */
    let askedGood = false;
    const gated = async (sentence: string): Promise<boolean> => {
      const no = await this.against(sentence, req.sentiment);
      if (no) againstSkipped++;
      return !no;
    };
    const total = () => parts.reduce((n, p) => n + words(p.sentence), 0);
    // Opening: the first sentence of a review that goes on (has a later sentence), short enough for the range, from
    // a review of the template's category and casing habit when there are enough, else from the pool.
    const like = groups.get(`${template.review.category}\u0000${template.casing}`) ?? [];
    const openFrom = like.length >= 3 ? like : all;
    let opening: Source | undefined;
    let openingAt = -1;
    for (let tries = 0; tries < 200 && !opening && openFrom.length > 0; tries++) {
      const i = tries < 100 ? pickOf(openFrom) : Math.floor(rand() * src.length);
      const s = src[i] as Source;
      if (s.opening && s.later.length > 0 && words(s.opening) < hi && (await gated(s.opening))) {
        opening = s;
        openingAt = i;
        parts.push({ id: s.review.id, sentence: s.opening });
        used.add(i);
      }
    }
    // The rest: from reviews of the opening's category and casing habit when there are enough, else the pool.
    const own = opening ? (groups.get(`${opening.review.category}\u0000${opening.casing}`) ?? []) : [];
    const group = own.length >= 3 ? own : all;
    // Of those, the NEIGHBOURS most like the opening's review (tf-idf cosine of their words, over NEIGHBOURS_FROM
    // sampled), so a review about a phone case goes on about phone cases when the category is broad ("general").
    const neighbours = opening ? nearest(openingAt, group, prepared, rand) : [];
    const near = neighbours.length >= 3 ? neighbours : group;
    const draw = async (
      from: readonly number[],
      aspect?: string,
      closing = false,
      good = false,
    ): Promise<{ i: number; sentence: string } | undefined> => {
      for (let tries = 0; tries < 200; tries++) {
        const i = pickOf(from);
        if (used.has(i)) continue;
        const s = src[i] as Source;
        const later = s.later;
        const sentence = closing
          ? s.closing
          : aspect
            ? later.find((x) => aspectsOf(x).includes(aspect))
            : (later[Math.floor(rand() * later.length)] as string);
        if (!sentence) continue;
        if (total() + words(sentence) > hi && !(aspect && parts.length <= 1)) continue;
        if (!(await gated(sentence))) continue;
        if (good && !isGoodPoint(sentence, await this.scoresOf(sentence))) continue;
        return { i, sentence };
      }
      return undefined;
    };
    const wanted = req.aspects?.length ? [...req.aspects] : [];
    const missing: string[] = [];
    // A neutral review's last sentence is a good point when none came before (check list NEU-1: mixed, not a run of
    // complaints), if the judge finds one (polarity.ts isGoodPoint).
    const noGoodYet = async () => {
      for (const p of parts) if (isGoodPoint(p.sentence, await this.scoresOf(p.sentence))) return false;
      return true;
    };
    if (all.length > 0) {
      for (const aspect of wanted) {
        const got =
          (await draw(near, aspect)) ??
          (await draw(group, aspect)) ??
          (group === all ? undefined : await draw(all, aspect));
        if (!got) {
          missing.push(aspect);
          continue;
        }
        parts.push({ id: (src[got.i] as Source).review.id, sentence: got.sentence, aspect });
        used.add(got.i);
      }
      // Each further sentence: of 3 drawn, the one closest to the words per sentence the template has left. The
      // last one is a real review's ending (its last piece, punctuated or not) when one fits.
      for (let tries = 0; tries < 50 && (parts.length < targetSentences || total() < lo); tries++) {
        const ideal = (targetWords - total()) / Math.max(1, targetSentences - parts.length);
        const last = parts.length === targetSentences - 1 && total() + ideal >= lo;
        const needGood =
          req.sentiment === 'neutral' &&
          this.options.judge !== undefined &&
          parts.length >= targetSentences - 1 &&
          (await noGoodYet());
        askedGood ||= needGood;
        const pick = async (good: boolean) =>
          (last
            ? ((await draw(near, undefined, true, good)) ?? (await draw(group, undefined, true, good)))
            : undefined) ??
          (await draw(near, undefined, false, good)) ??
          (await draw(group, undefined, false, good)) ??
          (group === all ? undefined : await draw(all, undefined, false, good));
        let got: { i: number; sentence: string } | undefined;
        for (let k = 0; k < 3; k++) {
          const c = (needGood ? await pick(true) : undefined) ?? (await pick(false));
          if (c && (!got || Math.abs(words(c.sentence) - ideal) < Math.abs(words(got.sentence) - ideal))) got = c;
        }
        if (!got) break;
        parts.push({
          id: (src[got.i] as Source).review.id,
          sentence: got.sentence,
          ...(last && got.sentence === (src[got.i] as Source).closing ? { closing: true } : {}),
        });
        used.add(got.i);
      }
    } else {
      missing.push(...wanted);
    }
    const goodPointAdded = askedGood && !(await noGoodYet());
    const joined = parts.map((p) => p.sentence).join(' ');
    if (joined.trim() === '') throw new Error(`no sentence to recombine in ${pool.length} reviews (seed ${seed})`);
    // A swap may add a word ("disappointing" -> "a letdown"): past the range, the sentences stay as they were.
    const swapped = swapWords(joined, rand);
    const { text, edits } = words(swapped.text) <= hi ? swapped : { text: joined, edits: [] };
    return {
      text,
      sourceIds: [...new Set(parts.map((p) => p.id))],
      recipe: {
        pool: { matched, size: pool.length },
        template: { id: template.review.id, words: template.words, sentences: template.count, inRange: inRange.length },
        targetWords,
        targetSentences,
        range: [lo, hi],
        neighbours: neighbours.length,
        sentences: parts,
        edits,
        aspectsMissing: missing,
        againstSkipped,
        ...(askedGood ? { goodPointAsked: true, goodPointAdded } : {}),
        gate: this.options.judge ? `words and ${this.options.judge.model}` : 'words only',
        ...(req.persona ? { persona: 'not applicable to recombination' } : {}),
      },
    };
  }
}

/**
 * Indices of the NEIGHBOURS reviews of `from` (the opening's own, `src[opening]`, excluded) most like the opening's
 * review: tf-idf cosine over their distinct words (binary term weights times the pool's `idf`, norms precomputed),
 * among NEIGHBOURS_FROM drawn with `rand` (all when fewer). Returns [] when `from` is too small to be worth narrowing.
 */
function nearest(opening: number, from: readonly number[], p: Prepared, rand: () => number): number[] {
  if (from.length <= NEIGHBOURS * 2) return [];
  const sample =
    from.length <= NEIGHBOURS_FROM
      ? [...from]
      : Array.from({ length: NEIGHBOURS_FROM }, () => from[Math.floor(rand() * from.length)] as number);
  const mine = new Set((p.src[opening] as Source).terms);
  const mineNorm = p.norms[opening] as number;
  const scored = [...new Set(sample)]
    .filter((i) => i !== opening)
    .map((i) => {
      let dot = 0;
      for (const t of (p.src[i] as Source).terms) if (mine.has(t)) dot += (p.idf.get(t) ?? 0) ** 2;
      return { i, score: dot / (mineNorm * (p.norms[i] as number)) };
    });
  scored.sort((a, b) => b.score - a.score || a.i - b.i);
  return scored.slice(0, NEIGHBOURS).map((x) => x.i);
}
