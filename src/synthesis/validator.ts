import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ValidationError } from '../core/errors.js';
import { seededRandom, shuffleInPlace } from '../core/random.js';
import { SENTIMENTS, type Sentiment } from '../core/types.js';
import { bootstrapMean, type Interval } from '../evaluation/index.js';
import { SoftmaxHead } from '../models/index.js';
import { poolFor, sentimentOfRating, wordCount } from './corpus.js';
import { STYLE_FEATURE_DESCRIPTIONS, STYLE_FEATURES, styleFeatures } from './style.js';
import { LENGTH_WORDS, type SourceReview, type SynthLength } from './types.js';

/** A text embedder: the product's MiniLM text encoder (src/models MiniLmTextEncoder) or anything with its shape. */
export interface TextEmbedder {
  readonly id: string;
  encode(texts: readonly string[]): Promise<Float32Array[]>;
}

/** A synthetic review as the validator reads it (a `reviewlens synth` JSONL line; other fields are ignored). */
export interface ValidatorInput {
  id: string;
  text: string;
  /** `recombine`, `llm`, ...; `unknown` when the record names none. */
  generator: string;
  sentiment?: Sentiment;
  rating?: number;
  product?: string;
  category?: string;
  /** The length it was asked for (its recipe's request), when one was: its real partner is of that length too. */
  length?: SynthLength;
  /** The record's `round` or `batch`, when it has one (accuracy is also reported per round). */
  round?: string;
  /** Real reviews it was made from or shown (recipe), kept out of the real half. */
  sourceIds: string[];
}

export interface ValidatorOptions {
  /** The text embedding (MiniLM); absent: style features only (the report says so). */
  embedder?: TextEmbedder;
  /** Cross-validation folds, 2-20 (default 5). */
  folds?: number;
  /** Seeds the real-review draw, the folds, the classifier and the bootstrap (default 1). */
  seed?: number;
  /** How many most-real-looking synthetic samples to list per generator (default 5). */
  topN?: number;
  /** Bootstrap resamples for the intervals (default 1000). */
  resamples?: number;
  /** Where the synthetic and real reviews came from, recorded in the report. */
  syntheticSource?: string;
  realSource?: string;
  onProgress?: (message: string) => void;
}

/** A style feature's power to tell synthetic from real on its own, and its weight in the style-only classifier. */
export interface Giveaway {
  feature: string;
  description: string;
  /** P(feature of a synthetic review > that of a real one), ties count half; 0.5: no tell, far from 0.5: a tell. */
  auc: number;
  syntheticMean: number;
  realMean: number;
  /** Log-odds of "synthetic" per standard deviation of the feature in the style-only classifier fitted on all pairs. */
  coefficient: number;
}

export interface GeneratorValidation {
  /** Synthetic reviews of this generator, each paired with one real review (the held-out set is balanced). */
  pairs: number;
  /** Accuracy of the discriminator (embedding + style) on held-out folds, bootstrap 95% interval over pairs. */
  accuracy: Interval | null;
  /** Area under the ROC curve of the held-out P(synthetic) (0.5: cannot tell). */
  auc: number | null;
  /** The same discriminator on one feature group only. */
  byFeatures: { style: Interval | null; embedding: Interval | null };
  /** Accuracy per `round` / `batch` of the records, when they name one. */
  byRound: Record<string, { pairs: number; accuracy: Interval }>;
  /** The synthetic reviews the held-out discriminator found most real (lowest P(synthetic)). */
  mostReal: Array<{ id: string; text: string; round: string | null; pSynthetic: number }>;
  /** Style features, strongest tell first (|auc - 0.5| descending). */
  giveaways: Giveaway[];
  /** Why the generator was not measured (too few reviews for the folds). */
  skipped?: string;
}

/** What `reviewlens synth validate` prints and saves; `GET /api/synthesis` returns the last one saved. */
export interface ValidatorReport {
  kind: 'adversarial-validator';
  version: 1;
  createdAt: string;
  seed: number;
  folds: number;
  classifier: string;
  features: { embedding: string | null; style: string[] };
  synthetic: { source: string | null; records: number; used: number; unmatched: number };
  real: {
    source: string | null;
    pool: number;
    used: number;
    /**
     * How each real partner was found: same request (sentiment, rating, product/category, and length when one was
     * asked), the same request at another length (none of that length left), same sentiment, any.
     */
    matchedBy: { request: number; requestAnyLength: number; sentiment: number; any: number };
  };
  /** The seed's goal: a discriminator that cannot tell, accuracy about 0.5. */
  goal: number;
  byGenerator: Record<string, GeneratorValidation>;
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** Reads one synthetic record (an object from a JSONL line); throws ValidationError naming `where`. */
export function parseSyntheticRecord(o: unknown, where: string): ValidatorInput {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new ValidationError(`${where}: not a JSON object`);
  const r = o as Record<string, unknown>;
  const text = str(r.text);
  if (!text) throw new ValidationError(`${where}: no "text"`);
  const recipe = (typeof r.recipe === 'object' && r.recipe !== null ? r.recipe : {}) as Record<string, unknown>;
  const sourceIds = new Set<string>();
  if (Array.isArray(recipe.sentences)) {
    for (const s of recipe.sentences) if (typeof s?.id === 'string') sourceIds.add(s.id);
  }
  for (const key of ['fewShot', 'sourceIds'] as const) {
    const v = recipe[key] ?? r[key];
    if (Array.isArray(v)) for (const id of v) if (typeof id === 'string') sourceIds.add(id);
  }
  const sentiment = str(r.sentiment);
  const hasRating = typeof r.rating === 'number' && Number.isInteger(r.rating) && r.rating >= 1 && r.rating <= 5;
  const roundOf = r.round ?? r.batch;
  const product = str(r.product);
  const category = str(r.category);
  const request = (typeof recipe.request === 'object' && recipe.request !== null ? recipe.request : {}) as Record<
    string,
    unknown
  >;
  const length = str(request.length);
  return {
    id: str(r.id) ?? where,
    text: text.replace(/\s+/g, ' '),
    generator: str(r.generator) ?? 'unknown',
    ...(sentiment && (SENTIMENTS as readonly string[]).includes(sentiment)
      ? { sentiment: sentiment as Sentiment }
      : hasRating
        ? { sentiment: sentimentOfRating(r.rating as number) }
        : {}),
    ...(hasRating ? { rating: r.rating as number } : {}),
    ...(product ? { product } : {}),
    ...(category ? { category } : {}),
    ...(length && length in LENGTH_WORDS ? { length: length as SynthLength } : {}),
    ...(typeof roundOf === 'string' || typeof roundOf === 'number' ? { round: String(roundOf) } : {}),
    sourceIds: [...sourceIds],
  };
}

function jsonlLines(path: string, what: string): Array<{ value: unknown; line: number }> {
  if (!existsSync(path)) throw new ValidationError(`${what} file ${path} does not exist`);
  if (!statSync(path).isFile()) throw new ValidationError(`${what} file ${path} is not a file`);
  const out: Array<{ value: unknown; line: number }> = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((l, i) => {
      if (!l.trim()) return;
      try {
        out.push({ value: JSON.parse(l), line: i + 1 });
      } catch {
        throw new ValidationError(`${path} line ${i + 1} is not JSON`);
      }
    });
  if (out.length === 0) throw new ValidationError(`${what} file ${path} is empty`);
  return out;
}

/** Reads a synthetic-review JSONL (`reviewlens synth --out`). @throws ValidationError: missing, empty, bad line. */
export function readSyntheticJsonl(path: string): ValidatorInput[] {
  return jsonlLines(path, 'synthetic').map(({ value, line }) => parseSyntheticRecord(value, `${path} line ${line}`));
}

/**
 * Reads real reviews from a JSONL file: each line needs `text` and a `rating` (1-5) or a `sentiment` / `label`
 * (negative, neutral, positive); `id`, `department` or `category`, `product_id`, `product_class` are used when
 * present. Lines without a usable text and sentiment are skipped. @throws ValidationError when none is usable.
 */
export function readRealJsonl(path: string): SourceReview[] {
  const out: SourceReview[] = [];
  for (const { value, line } of jsonlLines(path, 'real')) {
    const r = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
    const text = str(r.text);
    if (!text) continue;
    const rating = typeof r.rating === 'number' && r.rating >= 1 && r.rating <= 5 ? Math.round(r.rating) : undefined;
    const named = str(r.sentiment) ?? str(r.label);
    const sentiment =
      named && (SENTIMENTS as readonly string[]).includes(named)
        ? (named as Sentiment)
        : rating !== undefined
          ? sentimentOfRating(rating)
          : undefined;
    if (!sentiment) continue;
    const productId = str(r.product_id) ?? str(r.product);
    const productClass = str(r.product_class);
    out.push({
      id: str(r.id) ?? `${path}:${line}`,
      text: text.replace(/\s+/g, ' '),
      rating: rating ?? (sentiment === 'negative' ? 1 : sentiment === 'neutral' ? 3 : 5),
      sentiment,
      ...(productId ? { productId } : {}),
      category: str(r.department) ?? str(r.category) ?? 'general',
      ...(productClass ? { productClass } : {}),
    });
  }
  if (out.length === 0) {
    throw new ValidationError(`real file ${path} has no line with a "text" and a "rating" 1-5 or "sentiment"`);
  }
  return out;
}

export interface Pair {
  synthetic: ValidatorInput;
  real: SourceReview;
  matchedBy: 'request' | 'requestAnyLength' | 'sentiment' | 'any';
}

/**
 * Pairs each synthetic review with one real review of the same domain, drawn without replacement per generator
 * (seeded): the same sentiment, rating, product or category as the synthetic review asked for (poolFor) and, when
 * a length was asked, a word count in that length's range (LENGTH_WORDS), else the same request at any length,
 * else the same sentiment, else any; so the discriminator is asked whether a review is synthetic, not whether it
 * is of the length requested. Real reviews a synthetic one was made from or shown (its recipe) are never drawn, nor
 * texts the source set cut off (`truncated`).
 */
export function pairWithReal(
  synthetic: readonly ValidatorInput[],
  real: readonly SourceReview[],
  seed: number,
): { pairs: Pair[]; unmatched: number } {
  const excluded = new Set(synthetic.flatMap((s) => s.sourceIds));
  // A text the source set cut off (loadSourceReviews) is not a real review's shape: its cut would be the tell.
  const usable = real.filter((r) => !excluded.has(r.id) && !r.truncated);
  const pools = new Map<string, { items: SourceReview[]; next: number }>();
  const used = new Map<string, Set<string>>();
  const rand = seededRandom(seed);
  const draw = (gen: string, key: string, build: () => SourceReview[]): SourceReview | undefined => {
    const k = `${gen}\u0000${key}`;
    let p = pools.get(k);
    if (!p) {
      p = { items: shuffleInPlace([...build()], rand), next: 0 };
      pools.set(k, p);
    }
    let u = used.get(gen);
    if (!u) {
      u = new Set();
      used.set(gen, u);
    }
    while (p.next < p.items.length) {
      const r = p.items[p.next++] as SourceReview;
      if (!u.has(r.id)) {
        u.add(r.id);
        return r;
      }
    }
    return undefined;
  };
  const pairs: Pair[] = [];
  let unmatched = 0;
  for (const s of synthetic) {
    let real: SourceReview | undefined;
    let matchedBy: Pair['matchedBy'] = 'request';
    if (s.sentiment) {
      const req = {
        sentiment: s.sentiment,
        ...(s.rating !== undefined ? { rating: s.rating } : {}),
        ...(s.product ? { product: s.product } : {}),
        ...(s.category ? { category: s.category } : {}),
      };
      if (s.length) {
        const [lo, hi] = LENGTH_WORDS[s.length];
        real = draw(s.generator, JSON.stringify({ ...req, length: s.length }), () =>
          poolFor(usable, req).pool.filter((r) => {
            const n = wordCount(r.text);
            return n >= lo && n <= hi;
          }),
        );
      }
      if (!real) {
        if (s.length) matchedBy = 'requestAnyLength';
        real = draw(s.generator, JSON.stringify(req), () => poolFor(usable, req).pool);
      }
      if (!real) {
        matchedBy = 'sentiment';
        real = draw(s.generator, `sentiment:${s.sentiment}`, () => usable.filter((r) => r.sentiment === s.sentiment));
      }
    }
    if (!real) {
      matchedBy = 'any';
      real = draw(s.generator, 'any', () => usable);
    }
    if (real) pairs.push({ synthetic: s, real, matchedBy });
    else unmatched++;
  }
  return { pairs, unmatched };
}

/** Mann-Whitney AUC: P(a score of `pos` > one of `neg`), ties counted half. */
export function rankAuc(pos: readonly number[], neg: readonly number[]): number {
  if (pos.length === 0 || neg.length === 0) return 0.5;
  const all = [...pos.map((v) => ({ v, p: 1 })), ...neg.map((v) => ({ v, p: 0 }))].sort((a, b) => a.v - b.v);
  let rankSumPos = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && (all[j] as { v: number }).v === (all[i] as { v: number }).v) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let q = i; q < j; q++) if ((all[q] as { p: number }).p) rankSumPos += avgRank;
    i = j;
  }
  return (rankSumPos - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
const round = (i: Interval): Interval => ({ estimate: r4(i.estimate), low: r4(i.low), high: r4(i.high) });

/** The classifier settings: logistic regression (SoftmaxHead, 2 classes) on standardised, clipped features. */
const HEAD = { epochs: 100, batchSize: 32, learningRate: 0.01, l2: 1e-2, patience: 8, clip: 5 } as const;
const CLASSIFIER =
  'logistic regression (SoftmaxHead, 2 classes, Adam, L2 0.01, features standardised and clipped at 5 SD, ' +
  'early stopping on 15% of the pairs of each training fold) on the style features plus, stacked, the logit of an ' +
  'embedding-only logistic regression scored out of fold within the training pairs';

function trainHead(x: Float32Array[], y: number[], pairOf: number[], seed: number): SoftmaxHead {
  // An inner validation split by pairs (both halves of a pair on the same side) for early stopping.
  const pairIds = [...new Set(pairOf)];
  const inner = new Set(
    shuffleInPlace([...pairIds], seededRandom(seed + 101)).slice(0, Math.floor(pairIds.length * 0.15)),
  );
  if (inner.size === 0) return SoftmaxHead.train(x, y, 2, { ...HEAD, seed });
  const tx: Float32Array[] = [];
  const ty: number[] = [];
  const vx: Float32Array[] = [];
  const vy: number[] = [];
  x.forEach((v, i) => {
    if (inner.has(pairOf[i] as number)) {
      vx.push(v);
      vy.push(y[i] as number);
    } else {
      tx.push(v);
      ty.push(y[i] as number);
    }
  });
  return SoftmaxHead.train(tx, ty, 2, { ...HEAD, seed, validation: { x: vx, y: vy } });
}

/** A fitted discriminator: P(synthetic) of item `i` (item 2p is pair p's synthetic review, 2p + 1 its real one). */
type Predictor = (item: number) => number;
/** Fits a discriminator on the given pairs (both items of each). */
type Fit = (trainPairs: readonly number[], seed: number) => Predictor;

/**
 * Out-of-fold P(synthetic) for both items of every pair in `pairIds`, folds by pair (seeded), so every held-out
 * fold is balanced; returns a map item -> probability.
 */
function outOfFold(pairIds: readonly number[], folds: number, seed: number, fitter: Fit): Map<number, number> {
  const order = shuffleInPlace([...pairIds], seededRandom(seed));
  const out = new Map<number, number>();
  for (let f = 0; f < folds; f++) {
    const test = order.filter((_, i) => i % folds === f);
    if (test.length === 0) continue;
    const predict = fitter(
      order.filter((_, i) => i % folds !== f),
      seed + f,
    );
    for (const p of test) {
      out.set(2 * p, predict(2 * p));
      out.set(2 * p + 1, predict(2 * p + 1));
    }
  }
  return out;
}

/** A logistic-regression discriminator on one feature matrix (one row per item). */
function headFit(feats: readonly Float32Array[]): Fit {
  return (trainPairs, seed) => {
    const x = trainPairs.flatMap((p) => [feats[2 * p] as Float32Array, feats[2 * p + 1] as Float32Array]);
    const head = trainHead(
      x,
      trainPairs.flatMap(() => [1, 0]),
      trainPairs.flatMap((p) => [p, p]),
      seed,
    );
    return (i) => head.predict(feats[i] as Float32Array, 1)[1] as number;
  };
}

const logit = (p: number) => Math.log(Math.max(1e-6, p) / Math.max(1e-6, 1 - p));

/**
 * Stacked generalisation (Wolpert 1992): the embedding's 384 dimensions enter the final classifier as one feature,
 * the logit of an embedding-only discriminator's out-of-fold P(synthetic) (inner folds within the training pairs),
 * beside the style features. One logistic regression on all 401 raw features overfit: in a trial on 120 recombined
 * reviews it scored 0.74 where the style features alone scored 0.91; stacked, the embedding adds what it knows
 * without drowning the 17 style features.
 */
function stackedFit(style: readonly Float32Array[], emb: readonly Float32Array[], folds: number): Fit {
  const embFit = headFit(emb);
  return (trainPairs, seed) => {
    const inner = outOfFold(trainPairs, Math.min(folds, trainPairs.length), seed + 1000, embFit);
    const embAll = embFit(trainPairs, seed);
    const row = (i: number, e: number) => concat(style[i], [logit(e)]);
    const x = trainPairs.flatMap((p) => [
      row(2 * p, inner.get(2 * p) as number),
      row(2 * p + 1, inner.get(2 * p + 1) as number),
    ]);
    const head = trainHead(
      x,
      trainPairs.flatMap(() => [1, 0]),
      trainPairs.flatMap((p) => [p, p]),
      seed,
    );
    return (i) => head.predict(row(i, embAll(i)), 1)[1] as number;
  };
}

/** Out-of-fold probabilities as an array over items 0 .. 2n-1. */
function oofArray(nPairs: number, folds: number, seed: number, fitter: Fit): number[] {
  const m = outOfFold(
    Array.from({ length: nPairs }, (_, i) => i),
    folds,
    seed,
    fitter,
  );
  return Array.from({ length: 2 * nPairs }, (_, i) => m.get(i) as number);
}

/** Per pair: the share of its two reviews the discriminator got right (P(synthetic) >= 0.5 means "synthetic"). */
const pairScores = (p: readonly number[]) =>
  Array.from(
    { length: p.length / 2 },
    (_, i) => (((p[2 * i] as number) >= 0.5 ? 1 : 0) + ((p[2 * i + 1] as number) < 0.5 ? 1 : 0)) / 2,
  );

function concat(a: Float32Array | undefined, b: readonly number[]): Float32Array {
  const out = new Float32Array((a?.length ?? 0) + b.length);
  if (a) out.set(a);
  out.set(b, a?.length ?? 0);
  return out;
}

/**
 * The adversarial validator: per generator, a discriminator (logistic regression on STYLE_FEATURES plus, stacked,
 * an embedding-only logistic regression on the MiniLM text embedding; see stackedFit) trained to tell its synthetic
 * reviews from as many real reviews of the same domain (pairWithReal), k-fold cross-validated by pair, so each
 * held-out fold is balanced and 0.5 means it cannot tell. Reports per generator: held-out accuracy with a
 * bootstrap 95% interval over pairs (also per round, and for the style and embedding features alone), the AUC, the
 * synthetic reviews it found most real, and the style features that give synthetic text away (single-feature AUC
 * and standardised coefficients). Deterministic for a seed.
 * @throws ValidationError when there is no synthetic or no real review, bad options, or no generator has enough
 *   reviews for the folds (at least `folds` pairs).
 */
export async function validateSynthetic(
  synthetic: readonly ValidatorInput[],
  real: readonly SourceReview[],
  opts: ValidatorOptions = {},
): Promise<ValidatorReport> {
  const folds = opts.folds ?? 5;
  const seed = opts.seed ?? 1;
  const topN = opts.topN ?? 5;
  const resamples = opts.resamples ?? 1000;
  const log = opts.onProgress ?? (() => {});
  if (!Number.isInteger(folds) || folds < 2 || folds > 20) {
    throw new ValidationError('folds must be a whole number from 2 to 20', 'folds');
  }
  if (!Number.isInteger(seed)) throw new ValidationError('seed must be a whole number', 'seed');
  if (!Number.isInteger(topN) || topN < 0) throw new ValidationError('top must be a whole number >= 0', 'top');
  if (synthetic.length === 0) throw new ValidationError('no synthetic reviews to validate', 'synthetic');
  if (real.length === 0) throw new ValidationError('no real reviews to compare with', 'real');

  const { pairs, unmatched } = pairWithReal(synthetic, real, seed);
  const byGen = new Map<string, Pair[]>();
  for (const p of pairs) {
    const list = byGen.get(p.synthetic.generator);
    if (list) list.push(p);
    else byGen.set(p.synthetic.generator, [p]);
  }
  const measurable = [...byGen.values()].filter((ps) => ps.length >= folds);
  if (measurable.length === 0) {
    throw new ValidationError(
      `too few synthetic reviews: ${folds}-fold cross-validation needs at least ${folds} of one generator ` +
        `(have ${[...byGen].map(([g, ps]) => `${g} ${ps.length}`).join(', ') || 'none paired'})`,
      'synthetic',
    );
  }
  log(
    `validate: ${pairs.length} synthetic reviews paired with as many real ones (${[...byGen].map(([g, ps]) => `${g} ${ps.length}`).join(', ')})`,
  );

  // Features: the embedding (each distinct text once) and the style features.
  const texts = [...new Set(pairs.flatMap((p) => [p.synthetic.text, p.real.text]))];
  const emb = new Map<string, Float32Array>();
  if (opts.embedder) {
    const step = 64;
    for (let s = 0; s < texts.length; s += step) {
      const part = texts.slice(s, s + step);
      const vecs = await opts.embedder.encode(part);
      part.forEach((t, i) => {
        emb.set(t, vecs[i] as Float32Array);
      });
      log(`validate: embedded ${Math.min(s + step, texts.length)}/${texts.length} texts (${opts.embedder.id})`);
    }
  }
  const style = new Map(texts.map((t) => [t, styleFeatures(t)]));

  const byGenerator: Record<string, GeneratorValidation> = {};
  for (const [gen, ps] of [...byGen].sort(([a], [b]) => a.localeCompare(b))) {
    const giveaways = styleGiveaways(ps, style, seed);
    if (ps.length < folds) {
      byGenerator[gen] = {
        pairs: ps.length,
        accuracy: null,
        auc: null,
        byFeatures: { style: null, embedding: null },
        byRound: {},
        mostReal: [],
        giveaways,
        skipped: `${ps.length} pair(s): ${folds}-fold cross-validation needs at least ${folds}`,
      };
      continue;
    }
    const items = ps.flatMap((p) => [p.synthetic.text, p.real.text]);
    const styleX = items.map((t) => Float32Array.from(style.get(t) as number[]));
    const embX = opts.embedder ? items.map((t) => emb.get(t) as Float32Array) : undefined;
    log(`validate: ${gen}: ${folds}-fold cross-validation over ${ps.length} pairs`);
    const pStyle = oofArray(ps.length, folds, seed, headFit(styleX));
    const pEmb = embX ? oofArray(ps.length, folds, seed, headFit(embX)) : undefined;
    const pAll = embX ? oofArray(ps.length, folds, seed, stackedFit(styleX, embX, folds)) : pStyle;
    const scoresAll = pairScores(pAll);
    const ci = (v: number[]) => round(bootstrapMean(v, { seed, resamples }));
    const rounds = new Map<string, number[]>();
    ps.forEach((p, i) => {
      if (p.synthetic.round === undefined) return;
      rounds.set(p.synthetic.round, [...(rounds.get(p.synthetic.round) ?? []), scoresAll[i] as number]);
    });
    const mostReal = ps
      .map((p, i) => ({ p, prob: pAll[2 * i] as number }))
      .sort((a, b) => a.prob - b.prob || a.p.synthetic.id.localeCompare(b.p.synthetic.id))
      .slice(0, topN)
      .map(({ p, prob }) => ({
        id: p.synthetic.id,
        text: p.synthetic.text,
        round: p.synthetic.round ?? null,
        pSynthetic: r4(prob),
      }));
    byGenerator[gen] = {
      pairs: ps.length,
      accuracy: ci(scoresAll),
      auc: r4(
        rankAuc(
          pAll.filter((_, i) => i % 2 === 0),
          pAll.filter((_, i) => i % 2 === 1),
        ),
      ),
      byFeatures: { style: ci(pairScores(pStyle)), embedding: pEmb ? ci(pairScores(pEmb)) : null },
      byRound: Object.fromEntries(
        [...rounds]
          .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
          .map(([r, v]) => [r, { pairs: v.length, accuracy: ci(v) }]),
      ),
      mostReal,
      giveaways,
    };
    log(
      `validate: ${gen}: accuracy ${byGenerator[gen].accuracy?.estimate.toFixed(3)} ` +
        `[${byGenerator[gen].accuracy?.low.toFixed(3)}, ${byGenerator[gen].accuracy?.high.toFixed(3)}]`,
    );
  }

  const matchedBy = { request: 0, requestAnyLength: 0, sentiment: 0, any: 0 };
  for (const p of pairs) matchedBy[p.matchedBy]++;
  return {
    kind: 'adversarial-validator',
    version: 1,
    createdAt: new Date().toISOString(),
    seed,
    folds,
    classifier: CLASSIFIER,
    features: { embedding: opts.embedder?.id ?? null, style: [...STYLE_FEATURES] },
    synthetic: { source: opts.syntheticSource ?? null, records: synthetic.length, used: pairs.length, unmatched },
    real: { source: opts.realSource ?? null, pool: real.length, used: pairs.length, matchedBy },
    goal: 0.5,
    byGenerator,
  };
}

/** Single-feature AUCs and the standardised coefficients of a style-only classifier fitted on all pairs. */
function styleGiveaways(ps: readonly Pair[], style: Map<string, number[]>, seed: number): Giveaway[] {
  const syn = ps.map((p) => style.get(p.synthetic.text) as number[]);
  const rea = ps.map((p) => style.get(p.real.text) as number[]);
  const x = ps.flatMap((_, i) => [Float32Array.from(syn[i] as number[]), Float32Array.from(rea[i] as number[])]);
  const y = ps.flatMap(() => [1, 0]);
  const head = SoftmaxHead.train(x, y, 2, { ...HEAD, seed });
  const { weights, inputDim } = head.toJSON();
  const mean = (rows: number[][], j: number) => rows.reduce((s, r) => s + (r[j] as number), 0) / rows.length;
  return STYLE_FEATURES.map((f, j) => ({
    feature: f,
    description: STYLE_FEATURE_DESCRIPTIONS[f],
    auc: r4(
      rankAuc(
        syn.map((r) => r[j] as number),
        rea.map((r) => r[j] as number),
      ),
    ),
    syntheticMean: r4(mean(syn, j)),
    realMean: r4(mean(rea, j)),
    coefficient: r4((weights[inputDim + j] as number) - (weights[j] as number)),
  })).sort((a, b) => Math.abs(b.auc - 0.5) - Math.abs(a.auc - 0.5) || a.feature.localeCompare(b.feature));
}

/** Where `reviewlens synth validate --save` keeps the last report: `<dataDir>/synthesis/validator-report.json`. */
export function validatorReportPath(dataDir: string): string {
  return join(dataDir, 'synthesis', 'validator-report.json');
}

/** Saves a report as the last one (written to a temporary file, then renamed: never half-written). */
export function saveValidatorReport(dataDir: string, report: ValidatorReport): string {
  const file = validatorReportPath(dataDir);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(tmp, file);
  return file;
}

/**
 * The last saved report, or null when none was saved.
 * @throws Error when the file exists but is not a validator report (its message names the file).
 */
export function loadValidatorReport(dataDir: string): ValidatorReport | null {
  const file = validatorReportPath(dataDir);
  if (!existsSync(file)) return null;
  let r: unknown;
  try {
    r = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file} is not JSON: ${(e as Error).message}`);
  }
  if ((r as { kind?: unknown })?.kind !== 'adversarial-validator') {
    throw new Error(`${file} is not an adversarial-validator report`);
  }
  return r as ValidatorReport;
}
