/**
 * The review text model: the text side of the product's default model, trained on real e-commerce
 * reviews (src/training/ecommerce.ts). Stacked generalisation (Wolpert 1992): base models (word n-grams,
 * a MiniLM head, a lexicon head) give out-of-fold class probabilities on the training reviews; a meta
 * head reads them together with the review's structure (stated rating, the clause after a contrast, the
 * strongest clause, sarcasm: `reviewFeatures` in src/models/fusion.ts). Class offsets of the meta head
 * are chosen on the star-balanced val split for macro-F1 (the neutral 3-star class is the thin one),
 * then a temperature is fitted on the same split. The test split is never used to choose anything.
 */

import { seededRandom, shuffleInPlace } from '../core/random.js';
import { SENTIMENTS, type Sentiment } from '../core/types.js';
import { classificationMetrics } from '../evaluation/metrics.js';
import { reviewFeatures } from '../models/fusion.js';
import { NgramLogReg } from '../models/heads/ngram-logreg.js';
import { SoftmaxHead } from '../models/heads/softmax.js';
import { lexiconFeatures } from '../models/lexicon.js';
import type { ReviewExample } from './ecommerce.js';

export interface ReviewTextOptions {
  train: ReviewExample[];
  val: ReviewExample[];
  /** MiniLM vector of a text (the served encoder's output). */
  emb: (text: string) => Float32Array;
  /** Calibrated sarcasm probability of a text (0 without a sarcasm model). */
  sarcasm: (text: string) => number;
  seed?: number;
  folds?: number;
  /** Weight of a source's examples in the loss (default 1). */
  sourceWeight?: (source: string) => number;
  /**
   * Which training reviews the meta head learns from (default: all of them; on the val split, learning from
   * the star-rated ones only scored lower).
   */
  metaFilter?: (e: ReviewExample) => boolean;
  /** Negation back-off of the n-gram model (NgramModelJSON.negation_backoff); default NEGATION_BACKOFF. */
  negationBackoff?: number;
  /** z-score clip of the dense heads (SoftmaxHeadJSON.clip); default Z_CLIP; `null` for none. */
  zClip?: number | null;
  log?: (m: string) => void;
}

export interface ReviewTextModel {
  general: SoftmaxHead;
  ngram: NgramLogReg;
  lexicon: SoftmaxHead;
  reviewMeta: SoftmaxHead;
  /** The offsets added to the meta head's class biases (chosen on val) and the fitted temperature. */
  choice: { offsets: number[]; temperature: number; val_macro_f1: number; val_accuracy: number };
}

const idx = (s: Sentiment) => SENTIMENTS.indexOf(s);
/**
 * Scale of the negation back-off: "not a single scratch" has `neg_scratch`, rare in training, which then
 * reads as `scratch` with negative and positive swapped, at 0.7 of its weight (negation flips polarity but
 * weakens it; cf. the negation shifters of VADER, Hutto & Gilbert 2014, which scale by -0.74).
 */
export const NEGATION_BACKOFF = 0.7;
/**
 * z-score clip of the review model's dense heads. A standardised feature far outside the training reviews
 * (emoji scores reach z = 36, a stated rating z = 12 on behaviour-suite inputs) is otherwise read at full
 * strength by weights fitted on a handful of examples; clipped at 5 it reads as 5. Chosen on the e-commerce
 * val split (docs/benchmarks.md, "Choices behind the review text model"): no clip 0.669 macro-F1 / 0.703
 * accuracy, clip 5 0.673 / 0.711, with MVSA-Single's cross-validated text + photo score unchanged.
 */
export const Z_CLIP: number | undefined = 5;
/** Index of the largest value (the first of equals). */
export const argmax = (p: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < p.length; i++) if ((p[i] as number) > (p[b] as number)) b = i;
  return b;
};

/** Class weights: 'balanced' (n / (k * count)), its square root, or none. */
export function classWeights(y: number[], mode: 'balanced' | 'sqrt' | 'none'): number[] {
  const c = [0, 0, 0];
  for (const v of y) c[v] = (c[v] as number) + 1;
  return c.map((n) => {
    if (mode === 'none' || !n) return n ? 1 : 0;
    const b = y.length / (3 * n);
    return mode === 'balanced' ? b : Math.sqrt(b);
  });
}

/** lexiconFeatures with a memo: the same text is scored once (training asks for each text many times). */
export function memoLexicon(): (text: string) => Float32Array {
  const memo = new Map<string, Float32Array>();
  return (t) => {
    let v = memo.get(t);
    if (!v) {
      v = lexiconFeatures(t);
      memo.set(t, v);
    }
    return v;
  };
}

/** Fold of each item: stratified by label, seeded. */
export function stratifiedFoldsOf(y: number[], k: number, seed: number): number[] {
  const rand = seededRandom(seed);
  const fold = new Array<number>(y.length).fill(0);
  for (let c = 0; c < 3; c++) {
    const ids = shuffleInPlace(
      y.map((v, i) => (v === c ? i : -1)).filter((i) => i >= 0),
      rand,
    );
    ids.forEach((i, j) => {
      fold[i] = j % k;
    });
  }
  return fold;
}

interface BaseModels {
  general: SoftmaxHead;
  ngram: NgramLogReg;
  lexicon: SoftmaxHead;
}

function trainBase(
  es: ReviewExample[],
  emb: (t: string) => Float32Array,
  lex: (t: string) => Float32Array,
  seed: number,
  sw: (s: string) => number,
  negationBackoff: number,
  clip: { clip?: number },
): BaseModels {
  const y = es.map((e) => idx(e.label));
  const cw = classWeights(y, 'sqrt');
  const ngram = NgramLogReg.train(
    es.map((e) => e.text),
    y,
    3,
    {
      seed,
      epochs: 5,
      minCount: 2,
      classWeights: cw,
      sampleWeights: es.map((e) => sw(e.source)),
      negationBackoff,
    },
  );
  // 4% held out of these for early stopping of the dense heads.
  const rand = seededRandom(seed + 7);
  const order = shuffleInPlace(
    es.map((_, i) => i),
    rand,
  );
  const nHold = Math.max(50, Math.round(es.length * 0.04));
  const hold = order.slice(0, nHold);
  const fit = order.slice(nHold);
  const pick = <T>(ids: number[], f: (e: ReviewExample) => T) => ids.map((i) => f(es[i] as ReviewExample));
  const common = { seed, epochs: 40, patience: 4, batchSize: 128, ...clip };
  const general = SoftmaxHead.train(
    pick(fit, (e) => emb(e.text)),
    pick(fit, (e) => idx(e.label)),
    3,
    {
      ...common,
      learningRate: 0.002,
      l2: 1e-4,
      classWeights: cw,
      validation: { x: pick(hold, (e) => emb(e.text)), y: pick(hold, (e) => idx(e.label)) },
    },
  );
  const lexicon = SoftmaxHead.train(
    pick(fit, (e) => lex(e.text)),
    pick(fit, (e) => idx(e.label)),
    3,
    {
      ...common,
      learningRate: 0.01,
      classWeights: cw,
      validation: { x: pick(hold, (e) => lex(e.text)), y: pick(hold, (e) => idx(e.label)) },
    },
  );
  return { general, ngram, lexicon };
}

function featuresWith(
  m: BaseModels,
  e: ReviewExample,
  emb: (t: string) => Float32Array,
  lex: (t: string) => Float32Array,
  sarcasm: (t: string) => number,
): Float32Array {
  const raw = lex(e.text);
  return reviewFeatures(e.text, {
    general: m.general.predict(emb(e.text)),
    ngram: m.ngram.predict(e.text),
    lexicon: m.lexicon.predict(raw),
    lexiconRaw: raw,
    score: (t) => m.ngram.predict(t),
    sarcasm: sarcasm(e.text),
  });
}

/** Macro-F1 and accuracy of argmax(logits + offsets). */
function scoreOffsets(logits: Float64Array[], y: number[], off: number[]) {
  const pred = logits.map((z) => argmax([0, 1, 2].map((c) => (z[c] as number) + (off[c] as number))));
  const m = classificationMetrics(y, pred, 3);
  return { macro_f1: m.macro_f1, accuracy: m.accuracy };
}

/** The stacked features of a review set: out-of-fold on `train`, from the final base models on `val`. */
export interface ReviewStack {
  base: BaseModels;
  /** Out-of-fold features and labels of the training reviews the meta head learns from (`metaFilter`). */
  trainX: Float32Array[];
  trainY: number[];
  valX: Float32Array[];
  valY: number[];
  /** Features of any review from the final base models. */
  featuresOf: (e: ReviewExample) => Float32Array;
}

/** Base models out-of-fold on `train` (K folds, stratified) and on all of it; the meta head's inputs. */
export function reviewStack(opts: ReviewTextOptions): ReviewStack {
  const log = opts.log ?? (() => {});
  const seed = opts.seed ?? 42;
  const K = opts.folds ?? 4;
  const sw = opts.sourceWeight ?? (() => 1);
  const lex = memoLexicon();
  const clip = clipOpt(opts.zClip);
  const { train, val, emb, sarcasm } = opts;
  const y = train.map((e) => idx(e.label));
  const fold = stratifiedFoldsOf(y, K, seed);
  const oof: Float32Array[] = new Array(train.length);
  for (let k = 0; k < K; k++) {
    const rest = train.filter((_, i) => fold[i] !== k);
    log(`review text model: fold ${k + 1}/${K}, base models on ${rest.length} reviews`);
    const m = trainBase(rest, emb, lex, seed + k, sw, opts.negationBackoff ?? NEGATION_BACKOFF, clip);
    train.forEach((e, i) => {
      if (fold[i] === k) oof[i] = featuresWith(m, e, emb, lex, sarcasm);
    });
  }
  log(`review text model: base models on all ${train.length} training reviews`);
  const base = trainBase(train, emb, lex, seed, sw, opts.negationBackoff ?? NEGATION_BACKOFF, clip);
  const featuresOf = (e: ReviewExample) => featuresWith(base, e, emb, lex, sarcasm);
  const metaFilter = opts.metaFilter ?? (() => true);
  const keep = train.map((e, i) => (metaFilter(e) ? i : -1)).filter((i) => i >= 0);
  log(`review text model: meta head learns from ${keep.length} of ${train.length} training reviews`);
  return {
    base,
    trainX: keep.map((i) => oof[i] as Float32Array),
    trainY: keep.map((i) => y[i] as number),
    valX: val.map(featuresOf),
    valY: val.map((e) => idx(e.label)),
    featuresOf,
  };
}

/** `{ clip }` for SoftmaxHead.train from a zClip option (default Z_CLIP; null: none). */
const clipOpt = (z: number | null | undefined): { clip?: number } => {
  const c = z === null ? undefined : (z ?? Z_CLIP);
  return c === undefined ? {} : { clip: c };
};

/**
 * The meta head on stacked features: class-weighted softmax regression (early stopping on val), then class
 * offsets chosen on val for macro-F1 and folded into its biases, then a temperature fitted on val.
 */
export function fitReviewMeta(
  st: Pick<ReviewStack, 'trainX' | 'trainY' | 'valX' | 'valY'>,
  opts: { seed?: number; l2?: number; log?: (m: string) => void; zClip?: number | null } = {},
): { head: SoftmaxHead; choice: ReviewTextModel['choice'] } {
  const { trainX, trainY, valX, valY } = st;
  const seed = opts.seed ?? 42;
  const head = SoftmaxHead.train(trainX, trainY, 3, {
    seed,
    epochs: 80,
    patience: 6,
    batchSize: 128,
    learningRate: 0.005,
    l2: opts.l2 ?? 1e-4,
    classWeights: classWeights(trainY, 'balanced'),
    validation: { x: valX, y: valY },
    ...clipOpt(opts.zClip),
  });
  const valLogits = valX.map((x) => head.logits(x));
  let best = { off: [0, 0, 0], ...scoreOffsets(valLogits, valY, [0, 0, 0]) };
  for (let a = -2; a <= 2.0001; a += 0.1) {
    for (let b = -2; b <= 2.0001; b += 0.1) {
      const off = [a, b, 0];
      const s = scoreOffsets(valLogits, valY, off);
      if (s.macro_f1 > best.macro_f1 + 1e-9) best = { off, ...s };
    }
  }
  const j = head.toJSON();
  j.bias = j.bias.map((v, c) => v + (best.off[c] as number));
  const temperature = head.fitTemperature(valX, valY);
  opts.log?.(
    `review text model: offsets ${best.off.map((v) => v.toFixed(1)).join(', ')}; val macro-F1 ${best.macro_f1.toFixed(3)} accuracy ${best.accuracy.toFixed(3)}; T ${temperature}`,
  );
  return {
    head,
    choice: {
      offsets: best.off.map((v) => Math.round(v * 10) / 10),
      temperature,
      val_macro_f1: best.macro_f1,
      val_accuracy: best.accuracy,
    },
  };
}

/**
 * Trains the review text model (see the file's comment). Returns the base models trained on all of
 * `train`, and the meta head with the chosen class offsets folded into its biases and its temperature set.
 */
export function trainReviewText(opts: ReviewTextOptions): ReviewTextModel {
  const st = reviewStack(opts);
  opts.log?.('review text model: meta head');
  const { head, choice } = fitReviewMeta(st, {
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.zClip !== undefined ? { zClip: opts.zClip } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  return { ...st.base, reviewMeta: head, choice };
}
