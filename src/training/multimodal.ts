import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ValidationError } from '../core/errors.js';
import { sha256 } from '../core/ids.js';
import { SENTIMENTS, type Sentiment } from '../core/types.js';
import { bootstrapMacroF1, expectedCalibrationError, pairedBootstrapDiff } from '../evaluation/bootstrap.js';
import { classificationMetrics } from '../evaluation/metrics.js';
import { fitShippedCalibration } from '../labeling/shipped.js';
import type { FusionArtifact } from '../models/artifact.js';
import {
  type FusionComponents,
  FusionModel,
  fusedMetaFeatures,
  sarcasmProbabilityOf,
  type TextParts,
  textMetaFeatures,
  withWordMean,
} from '../models/fusion.js';
import { NgramLogReg } from '../models/heads/ngram-logreg.js';
import { SoftmaxHead, type SoftmaxHeadJSON } from '../models/heads/softmax.js';
import { type ImageEncoding, loadEncoders, loadWordVectorAsset } from '../models/index.js';
import type { SafeFetcher } from '../net/index.js';
import { composeReviews } from './augment.js';
import { productPolaritySets } from './corpora.js';
import { trainDamageModel } from './damage.js';
import { type Example, loadMvsa, sharedDataDir } from './datasets.js';
import { ECOMMERCE_SPLIT_FILE, type EcommerceData, loadEcommerce, type ReviewExample } from './ecommerce.js';
import { FeatureCache } from './feature-cache.js';
import {
  IMAGE_ENCODER,
  imageFeatures,
  MVSA_SPLIT_FILE,
  mvsaSplit,
  PHOTO_FEATURES,
  PHOTO_FEATURES_DIM,
  photoFeatureEncoder,
  photoVectors,
  TEXT_ENCODER,
  textFeatures,
} from './features.js';
import { argmax, classWeights, memoLexicon, stratifiedFoldsOf, trainReviewText, Z_CLIP } from './review-model.js';
import { type SarcasmModel, trainSarcasm } from './sarcasm.js';
import { stratifiedSplit } from './split.js';
import { type ClassCounts, classCounts, SYNTHETIC_SOURCE, type SyntheticTrainingData } from './synthetic-data.js';

export interface MultimodalOptions {
  /**
   * The in-domain labelled set (text, optional photo path or URL, label), split seeded and stratified
   * 70/10/20 into train/val/test. Default: MVSA-Single with the repository's fixed split.
   */
  data?: { examples: Example[]; name: string };
  /**
   * A trained model whose general text models and sarcasm model are reused as they are (only the
   * in-domain heads and the meta head are trained): how a shop adapts the model to its own reviews.
   */
  base?: FusionArtifact;
  modelsDir: string;
  cacheDir: string;
  out: string;
  threads: number;
  seed?: number;
  folds?: number;
  log?: (msg: string) => void;
  /**
   * Add composed reviews (src/training/augment.ts: contrast, sarcasm over a failure, long reviews) to the
   * review model's training. Off by default: it raised the behaviour suite's pass rate but lowered val macro-F1.
   */
  augment?: boolean;
  /**
   * Score the e-commerce test splits (default: when training the default model, not when adapting a base
   * model to a user's data, where the user's own test split decides and 7,000 more texts would be encoded).
   */
  scoreEcommerce?: boolean;
  /**
   * The damaged-product photo head to ship: default, trained here on ../shared/data/product-photos
   * (src/training/damage.ts); a base model's when adapting; `false` for none.
   */
  damage?: FusionComponents['damage'] | false;
  /** Fetches photo URLs in `data` (the SSRF guard with the config's allow list); default: no allow list. */
  fetcher?: SafeFetcher;
  /**
   * Word-vector asset whose mean vector joins MiniLM as the general text head's input (default
   * DEFAULT_WORDS; `false` for MiniLM alone). When adapting a base model, the base model's choice is kept.
   */
  words?: string | false;
  /** z-score clip of the review text heads (ReviewTextOptions.zClip): default Z_CLIP; `null` for none. */
  zClip?: number | null;
  /** Share of FDU-MTL's binary training reviews (14 Amazon domains) added to the training split (default FDU_TRAIN_SHARE). */
  fduTrainShare?: number;
  /**
   * Synthetic reviews (loadSyntheticTraining, src/training/synthetic-data.ts) added to the e-commerce training split
   * of the review text model only: never to val (class offsets, temperature, labeling calibration), test or any
   * scored set. Rows whose text equals a held-out review's are dropped and counted. Their file hash and count enter
   * the data hash, and the artifact's `params.synthetic` and the log count them apart from real reviews. Default:
   * none (the shipped recipe). Not allowed with `base` (the review text models are then reused, not trained).
   */
  synthetic?: SyntheticTrainingData;
}

/**
 * The word vectors the default model reads: none. GloVe 6B 100-d (`--words glove-6b-100d`) raised a MiniLM head
 * alone by +3.0 val macro-F1 (docs/benchmarks.md, text feature candidates), but inside the stacked review model
 * it moved served val macro-F1 by +0.003 (paired bootstrap 95% interval [-0.014, +0.019]) for 71 MB more to load,
 * so the shipped recipe leaves it out (docs/benchmarks.md, "Choices behind the review text model").
 */
export const DEFAULT_WORDS: string | undefined = undefined;

const idx = (s: Sentiment) => SENTIMENTS.indexOf(s);

const r6 = (x: number) => Number(x.toPrecision(6));
/** The damage model's product-photo gate, when its trainer made one. */
const gateOf = (d: object) =>
  (d as { gate?: { head: SoftmaxHeadJSON; threshold: number } }).gate as {
    head: SoftmaxHeadJSON;
    threshold: number;
  };
function compact(h: SoftmaxHeadJSON): SoftmaxHeadJSON {
  return { ...h, mean: h.mean.map(r6), std: h.std.map(r6), weights: h.weights.map(r6), bias: h.bias.map(r6) };
}

function metricsOf(y: number[], probs: ArrayLike<number>[]) {
  const m = classificationMetrics(y, probs.map(argmax), 3);
  return { accuracy: m.accuracy, macro_f1: m.macro_f1, per_class_f1: m.per_class.map((c) => c.f1), n: m.n };
}

/**
 * Trains the multimodal model (stacked generalisation, see src/models/fusion.ts), scores it on data it
 * never saw, and writes the artifact with its metrics and evaluation record.
 *
 * - general text models: on the general corpus (tweets, review sentences, movie reviews; 5% held out
 *   for early stopping);
 * - in-domain text and photo heads: on MVSA-Single's train split, with out-of-fold predictions for the
 *   meta heads, so no meta feature of a training example comes from a model that saw it;
 * - meta heads: on those out-of-fold features, class weighting chosen on the val split; temperature
 *   fitted on the val split;
 * - sarcasm: word n-grams on the Twitter sarcasm train set.
 */
export async function trainMultimodal(opts: MultimodalOptions): Promise<FusionArtifact> {
  const log = opts.log ?? (() => {});
  const seed = opts.seed ?? 42;
  const K = opts.folds ?? 5;
  const started = Date.now();
  log(`data: ${sharedDataDir()}`);
  const inDomain = opts.data?.examples ?? loadMvsa();
  const split = opts.data ? stratifiedSplit(inDomain, { val: 0.1, test: 0.2 }, seed) : mvsaSplit(inDomain);
  const setName = opts.data ? opts.data.name : 'mvsa-single';
  const byId = new Map(inDomain.map((e) => [e.id, e]));
  const pick = (ids: string[]) => ids.map((id) => byId.get(id) as Example);
  const [train, val, test] = [pick(split.train), pick(split.val), pick(split.test)];
  const base = opts.base;
  // The product's own domain: real e-commerce reviews (src/training/ecommerce.ts). Trained on unless the text
  // models come from a base model; scored unless `scoreEcommerce` is false (by default when adapting a base).
  const scoreEcom = opts.scoreEcommerce ?? !base;
  const ecom: EcommerceData =
    base && !scoreEcom
      ? { train: [], val: [], test: [], fduTest: [] }
      : loadEcommerce(undefined, opts.fduTrainShare !== undefined ? { fduTrainShare: opts.fduTrainShare } : {});
  const { amazon, yelp } = productPolaritySets() as { amazon: Example[]; yelp: Example[] };
  if (opts.synthetic && base) {
    throw new ValidationError(
      `synthetic reviews join the e-commerce training split of the review text model, which is reused from ${base.name}@${base.version} here (use --base none)`,
      'synthetic',
    );
  }
  const realTrainCounts = classCounts(ecom.train);
  log(
    `${setName} train/val/test ${train.length}/${val.length}/${test.length}; ` +
      (base
        ? `review text models reused from ${base.name}@${base.version}`
        : `e-commerce reviews train/val/test ${ecom.train.length}/${ecom.val.length}/${ecom.test.length} ` +
          `(real training reviews ${countsLine(realTrainCounts)})`),
  );
  const synthetic = opts.synthetic ? syntheticForTraining(opts.synthetic, [ecom, inDomain, amazon, yelp], log) : null;

  // --- features ---------------------------------------------------------------------------
  log('loading encoders');
  const enc = await loadEncoders({
    modelsDir: opts.modelsDir,
    threads: opts.threads,
    text: TEXT_ENCODER,
    image: IMAGE_ENCODER,
  });
  const embOf = new Map<string, Float32Array>();
  // Each photo's pooled and inner-layer vectors (the image head reads the pooled one, the damage check the inner).
  const imgOf = new Map<string, ImageEncoding>();
  try {
    const tcache = new FeatureCache(opts.cacheDir, TEXT_ENCODER, enc.text.dim);
    const icache = new FeatureCache(opts.cacheDir, PHOTO_FEATURES, PHOTO_FEATURES_DIM);
    if (opts.augment && !base) ecom.train.push(...composeReviews(ecom.train, { seed }));
    // Synthetic reviews join the training split last (composed reviews are made from real ones only).
    if (synthetic) ecom.train.push(...synthetic.used);
    const ecomAll: ReviewExample[] = [...ecom.val, ...ecom.test, ...(base ? [] : ecom.train), ...ecom.fduTest];
    const texts = [...new Set([...ecomAll, ...inDomain, ...amazon, ...yelp].map((e) => e.text))];
    log(`text embeddings for ${texts.length} texts`);
    const tv = await textFeatures(enc.text, tcache, texts, log);
    texts.forEach((t, i) => {
      embOf.set(t, tv[i] as Float32Array);
    });
    const withPhoto = inDomain.filter((e) => e.image);
    log(`photo features for ${withPhoto.length} photos`);
    const iv = await imageFeatures(
      photoFeatureEncoder(enc.image),
      icache,
      withPhoto.map((e) => e.image as string),
      log,
      undefined,
      { fetcher: opts.fetcher },
    );
    withPhoto.forEach((e, i) => {
      const v = iv[i];
      if (v) imgOf.set(e.id, photoVectors(v));
    });
  } finally {
    await enc.text.dispose();
    await enc.image.dispose();
  }
  const lex = memoLexicon();
  const emb = (es: Example[]) => es.map((e) => embOf.get(e.text) as Float32Array);
  // The general text head's input: MiniLM, or MiniLM + the mean word vector (memoised: asked for many times).
  const wordsName = base
    ? base.components.general_text_words
    : opts.words === false
      ? undefined
      : (opts.words ?? DEFAULT_WORDS);
  const words = wordsName ? await loadWordVectorAsset(opts.modelsDir, wordsName) : undefined;
  if (words) log(`word vectors ${words.name}: ${words.size} words x ${words.dim}`);
  const generalIn = new Map<string, Float32Array>();
  const generalInput = (t: string): Float32Array => {
    const e = embOf.get(t) as Float32Array;
    if (!words) return e;
    let v = generalIn.get(t);
    if (!v) {
      v = withWordMean(words, t, e);
      generalIn.set(t, v);
    }
    return v;
  };
  const wordsOpt = words ? { words } : {};
  const ys = (es: Example[]) => es.map((e) => idx(e.label));
  // Photos that could not be read are left out of photo training (none in MVSA-Single as shipped).
  const withImg = (es: Example[]) => es.filter((e) => imgOf.has(e.id));

  // --- sarcasm, then the review text models ---------------------------------------------------
  const common = { seed, epochs: 60, patience: 6, batchSize: 64 };
  let sarcasmModel: SarcasmModel | undefined;
  let sarcasm: NgramLogReg | undefined;
  let sarcasmPlatt: { a: number; b: number } | undefined;
  if (base) {
    sarcasm = base.components.sarcasm ? new NgramLogReg(base.components.sarcasm) : undefined;
    sarcasmPlatt = base.components.sarcasm_platt;
  } else {
    sarcasmModel = trainSarcasm({ seed, log });
    sarcasm = sarcasmModel.model;
    sarcasmPlatt = sarcasmModel.platt;
  }
  const sarcP = (t: string) => (sarcasm ? sarcasmProbabilityOf(sarcasm, sarcasmPlatt, t) : 0);
  let general: SoftmaxHead;
  let ngram: NgramLogReg;
  let lexicon: SoftmaxHead;
  let reviewMeta: SoftmaxHead | undefined;
  let reviewChoice: Record<string, unknown> | null = null;
  if (base) {
    general = new SoftmaxHead(base.components.general_text);
    ngram = new NgramLogReg(base.components.ngram);
    lexicon = new SoftmaxHead(base.components.lexicon);
    reviewMeta = base.components.review_meta ? new SoftmaxHead(base.components.review_meta) : undefined;
  } else {
    const r = trainReviewText({
      train: ecom.train,
      val: ecom.val,
      emb: generalInput,
      sarcasm: sarcP,
      seed,
      ...(opts.zClip !== undefined ? { zClip: opts.zClip } : {}),
      log,
    });
    ({ general, ngram, lexicon, reviewMeta } = r);
    reviewChoice = r.choice;
  }

  // --- in-domain heads, out-of-fold on MVSA train -----------------------------------------
  const yTrain = ys(train);
  const fold = stratifiedFoldsOf(yTrain, K, seed);
  const domainOof = new Map<string, Float64Array>();
  const imageOof = new Map<string, Float64Array>();
  const domainOpts = { ...common, learningRate: 0.003, l2: 1e-2, classWeights: classWeights(yTrain, 'sqrt') };
  // The photo head's L2 is the one bench/image-features.ts chose on the val split for MobileNetV2 (0.1).
  const photoOpts = { ...domainOpts, l2: 0.1 };
  // The photo head and the text + photo head need photos to learn from; with too few, a base model's are kept.
  const photoOk = withImg(train).length >= 30 && withImg(val).length >= 5;
  if (!photoOk && !base) {
    throw new ValidationError(
      `${setName} has ${withImg(train).length} training photos; at least 30 (and 5 in val) are needed to train the photo heads without a base model`,
      'data',
    );
  }
  if (!photoOk)
    log(
      `too few photos (${withImg(train).length} in train): the photo heads of ${base?.name}@${base?.version} are kept`,
    );
  for (let k = 0; k < K; k++) {
    const inFold = train.filter((_, i) => fold[i] === k);
    const rest = train.filter((_, i) => fold[i] !== k);
    log(`fold ${k + 1}/${K}: in-domain text and photo heads`);
    const d = SoftmaxHead.train(emb(rest), ys(rest), 3, { ...domainOpts, validation: { x: emb(val), y: ys(val) } });
    for (const e of inFold) domainOof.set(e.id, d.predict(embOf.get(e.text) as Float32Array));
    const restI = withImg(rest);
    if (!photoOk) continue;
    const im = SoftmaxHead.train(
      restI.map((e) => (imgOf.get(e.id) as ImageEncoding).vector),
      ys(restI),
      3,
      {
        ...photoOpts,
        validation: { x: withImg(val).map((e) => (imgOf.get(e.id) as ImageEncoding).vector), y: ys(withImg(val)) },
      },
    );
    for (const e of withImg(inFold)) imageOof.set(e.id, im.predict((imgOf.get(e.id) as ImageEncoding).vector));
  }
  log('in-domain heads on the whole train split');
  const domain = SoftmaxHead.train(emb(train), yTrain, 3, { ...domainOpts, validation: { x: emb(val), y: ys(val) } });
  const trainI = withImg(train);
  const image = photoOk
    ? SoftmaxHead.train(
        trainI.map((e) => (imgOf.get(e.id) as ImageEncoding).vector),
        ys(trainI),
        3,
        {
          ...photoOpts,
          validation: { x: withImg(val).map((e) => (imgOf.get(e.id) as ImageEncoding).vector), y: ys(withImg(val)) },
        },
      )
    : new SoftmaxHead((base as FusionArtifact).components.image);

  // --- meta heads ---------------------------------------------------------------------------
  // The review text model's answer joins the meta features (it never saw MVSA, so no leak).
  const reviewModel = new FusionModel(
    {
      general_text: general.toJSON(),
      ...(wordsName ? { general_text_words: wordsName } : {}),
      ngram: ngram.toJSON(),
      lexicon: lexicon.toJSON(),
      domain_text: domain.toJSON(),
      image: image.toJSON(),
      fused_meta: image.toJSON(),
      text_temperature: 1,
      ...(sarcasm ? { sarcasm: sarcasm.toJSON() } : {}),
      ...(sarcasmPlatt ? { sarcasm_platt: sarcasmPlatt } : {}),
      ...(reviewMeta ? { review_meta: reviewMeta.toJSON() } : {}),
    },
    wordsOpt,
  );
  const parts = (e: Example, oof: boolean): TextParts => {
    const p = reviewModel.textParts(e.text, embOf.get(e.text) as Float32Array, lex(e.text));
    if (oof) p.domain = domainOof.get(e.id) as Float64Array;
    return p;
  };
  const imageP = (e: Example, oof: boolean) =>
    oof ? (imageOof.get(e.id) as Float64Array) : image.predict((imgOf.get(e.id) as ImageEncoding).vector);
  const tX = (es: Example[], oof: boolean) => es.map((e) => textMetaFeatures(parts(e, oof)));
  const fX = (es: Example[], oof: boolean) => withImg(es).map((e) => fusedMetaFeatures(parts(e, oof), imageP(e, oof)));
  // An in-domain text meta head (MVSA train, out-of-fold) is trained for the benchmark only: it is the
  // fair text-only rival of the text + photo head on MVSA. Served text-only answers use the general
  // text models (see FusionModel).
  const mvsaTX = tX(train, true);
  const trainFX = photoOk ? fX(train, true) : [];
  const valTX = tX(val, false);
  const valFX = fX(val, false);
  const yValI = ys(withImg(val));

  // The class weighting of a meta head is chosen by cross-validation on its (out-of-fold) training
  // features, pooled with the val split: a single val split of a few hundred examples is too noisy to
  // choose by. Criterion: the mean of accuracy and macro-F1.
  const choose = (name: string, X: Float32Array[], y: number[], vX: Float32Array[], vY: number[]) => {
    const metaOpts = { ...common, epochs: 150, patience: 12, learningRate: 0.01, l2: 1e-3 };
    const poolX = [...X, ...vX];
    const poolY = [...y, ...vY];
    const cvFold = stratifiedFoldsOf(poolY, K, seed + 1);
    let best: { head: SoftmaxHead; mode: string; score: number; val: ReturnType<typeof metricsOf> } | undefined;
    for (const mode of ['balanced', 'sqrt', 'none'] as const) {
      const cvProbs: Float64Array[] = new Array(poolX.length);
      for (let k = 0; k < K; k++) {
        const tr = poolX.map((_, i) => i).filter((i) => cvFold[i] !== k);
        const h = SoftmaxHead.train(
          tr.map((i) => poolX[i] as Float32Array),
          tr.map((i) => poolY[i] as number),
          3,
          { ...metaOpts, epochs: 60, classWeights: classWeights(poolY, mode) },
        );
        poolX.forEach((x, i) => {
          if (cvFold[i] === k) cvProbs[i] = h.predict(x);
        });
      }
      const cv = metricsOf(poolY, cvProbs);
      const score = (cv.accuracy + cv.macro_f1) / 2;
      log(
        `  ${name} meta, class weights ${mode}: cross-validated acc ${cv.accuracy.toFixed(3)} macro-F1 ${cv.macro_f1.toFixed(3)}`,
      );
      if (!best || score > best.score) {
        const head = SoftmaxHead.train(X, y, 3, {
          ...metaOpts,
          classWeights: classWeights(y, mode),
          validation: { x: vX, y: vY },
        });
        best = { head, mode, score, val: cv };
      }
    }
    return best as NonNullable<typeof best>;
  };
  log('meta heads');
  const inDomainText = choose('in-domain text (benchmark only)', mvsaTX, yTrain, valTX, ys(val));
  const fusedMeta = photoOk
    ? choose('text + photo', trainFX, ys(trainI), valFX, yValI)
    : {
        head: new SoftmaxHead(structuredClone((base as FusionArtifact).components.fused_meta)),
        mode: 'kept from base',
        val: null,
      };
  const uncalibrated = new SoftmaxHead(structuredClone(fusedMeta.head.toJSON()));
  // The text answer is the review text model (its temperature is fitted on the e-commerce val split).
  const textT = base?.components.text_temperature ?? 1;
  const temperatures = {
    text: textT,
    fused_meta: photoOk ? fusedMeta.head.fitTemperature(valFX, yValI) : fusedMeta.head.toJSON().temperature,
  };

  // --- damaged-product photo head (its own data: real damaged / intact product photos) --------
  let damage: FusionComponents['damage'] | undefined;
  let damageMetrics: unknown;
  if (opts.damage === false) damage = undefined;
  else if (opts.damage) damage = opts.damage;
  else if (base) damage = base.components.damage;
  else {
    log('damaged-product photo head');
    const d = await trainDamageModel({
      modelsDir: opts.modelsDir,
      cacheDir: opts.cacheDir,
      threads: opts.threads,
      log,
    });
    damage = {
      head: compact(d.head),
      threshold: d.threshold,
      input: d.input,
      ...(gateOf(d) ? { gate: { head: compact(gateOf(d).head), threshold: gateOf(d).threshold, input: d.input } } : {}),
    };
    damageMetrics = d.metrics;
  }

  // --- evaluation on held-out data ------------------------------------------------------------
  const components: FusionComponents = {
    general_text: compact(general.toJSON()),
    ...(wordsName ? { general_text_words: wordsName } : {}),
    ngram: ngram.toJSON(),
    lexicon: compact(lexicon.toJSON()),
    domain_text: compact(domain.toJSON()),
    image: compact(image.toJSON()),
    fused_meta: compact(fusedMeta.head.toJSON()),
    text_temperature: textT,
    ...(sarcasm ? { sarcasm: sarcasm.toJSON() } : {}),
    ...(sarcasmPlatt ? { sarcasm_platt: sarcasmPlatt } : {}),
    ...(reviewMeta ? { review_meta: compact(reviewMeta.toJSON()) } : {}),
    ...(damage ? { damage } : {}),
  };
  const model = new FusionModel(components, wordsOpt);
  log('scoring on the test split and the held-out sets');
  const emb1 = (e: Example) => embOf.get(e.text) as Float32Array;
  // Every test example, answered as the server would: with its photo when it has one.
  const served = test.map((e) => model.predict(e.text, emb1(e), imgOf.get(e.id)));
  const yAll = ys(test);
  const servedPred = served.map((o) => argmax(o.fused));
  const textAll = served.map((o) => o.text);
  const inDomainAll = test.map((e) => inDomainText.head.predict(textMetaFeatures(model.textParts(e.text, emb1(e)))));
  const polarity = (es: Example[], score: (e: Example) => Float64Array) =>
    es.filter((e) => {
      const p = score(e);
      return ((p[2] as number) >= (p[0] as number) ? 2 : 0) === idx(e.label);
    }).length / es.length;
  const textOnly = (e: Example) => model.predict(e.text, emb1(e)).text;
  // The product's own domain first: held-out e-commerce reviews, text only, as the server answers them.
  const ecomScore = (es: ReviewExample[]) => {
    const P = es.map((e) => model.predict(e.text, emb1(e)).text);
    const y = ys(es);
    const pred = P.map(argmax);
    const m = classificationMetrics(y, pred, 3);
    const polar = es.map((e, i) => [e, P[i] as Float64Array] as const).filter(([e]) => e.label !== 'neutral');
    return {
      accuracy: m.accuracy,
      macro_f1: m.macro_f1,
      macro_f1_ci: bootstrapMacroF1(y, pred, 3),
      per_class_f1: m.per_class.map((c) => c.f1),
      confusion: m.confusion,
      binary_polarity: polar.length
        ? polar.filter(([e, p]) => ((p[2] as number) >= (p[0] as number) ? 2 : 0) === idx(e.label)).length /
          polar.length
        : null,
      n: m.n,
    };
  };
  const bySource = (es: ReviewExample[], key: (e: ReviewExample) => string) =>
    Object.fromEntries([...new Set(es.map(key))].sort().map((k) => [k, ecomScore(es.filter((e) => key(e) === k))]));
  const ecommerce = scoreEcom
    ? {
        test_split: `${ECOMMERCE_SPLIT_FILE} (star-balanced, never tuned on)`,
        test: ecomScore(ecom.test),
        test_by_source: bySource(ecom.test, (e) => e.source),
        // Accuracy by review length (characters), so a verdict washed out in long reviews shows.
        test_by_length: bySource(ecom.test, (e) =>
          e.text.length < 200
            ? '1: < 200'
            : e.text.length < 500
              ? '2: 200-499'
              : e.text.length < 1000
                ? '3: 500-999'
                : '4: >= 1000',
        ),
        fdu_test_by_domain: Object.fromEntries(
          Object.entries(bySource(ecom.fduTest, (e) => e.domain ?? '')).map(([k, v]) => [
            k,
            { binary_polarity: v.binary_polarity, n: v.n },
          ]),
        ),
        val: ecomScore(ecom.val),
        ...(reviewChoice ? { val_choice: reviewChoice } : {}),
      }
    : undefined;
  if (ecommerce)
    log(
      `e-commerce test: accuracy ${ecommerce.test.accuracy.toFixed(3)} macro-F1 ${ecommerce.test.macro_f1.toFixed(3)} neutral F1 ${(ecommerce.test.per_class_f1[1] as number).toFixed(3)}`,
    );

  // Test pairs with a photo: text + photo against text alone, calibration, mismatch.
  const photoIdx = test.map((e, i) => (imgOf.has(e.id) ? i : -1)).filter((i) => i >= 0);
  const yP = photoIdx.map((i) => yAll[i] as number);
  const fusedP = photoIdx.map((i) => (served[i] as (typeof served)[number]).fused);
  const fusedPred = fusedP.map(argmax);
  const textPredP = photoIdx.map((i) => argmax(textAll[i] as Float64Array));
  const inDomainPredP = photoIdx.map((i) => argmax(inDomainAll[i] as Float64Array));
  const mismatchT = 0.6;
  const flagged = photoIdx.map((i) => {
    const o = served[i] as (typeof served)[number];
    const t = o.text;
    const im = o.image as Float64Array;
    return (
      ((t[2] as number) >= mismatchT && (im[0] as number) >= mismatchT) ||
      ((t[0] as number) >= mismatchT && (im[2] as number) >= mismatchT)
    );
  });
  const accOn = (sel: boolean[]) => {
    const ids = sel.map((f, j) => (f ? j : -1)).filter((j) => j >= 0);
    return {
      n: ids.length,
      fused_accuracy: ids.length ? ids.filter((j) => fusedPred[j] === yP[j]).length / ids.length : null,
      text_accuracy: ids.length ? ids.filter((j) => textPredP[j] === yP[j]).length / ids.length : null,
    };
  };
  const withPhotos =
    photoIdx.length === 0
      ? null
      : {
          fused: { ...metricsOf(yP, fusedP), macro_f1_ci: bootstrapMacroF1(yP, fusedPred, 3) },
          image: metricsOf(
            yP,
            photoIdx.map((i) => (served[i] as (typeof served)[number]).image as Float64Array),
          ),
          fused_minus_text_macro_f1: pairedBootstrapDiff(yP, fusedPred, textPredP, 3),
          fused_minus_text_in_domain_macro_f1: pairedBootstrapDiff(yP, fusedPred, inDomainPredP, 3),
          calibration: {
            ece_before: expectedCalibrationError(
              photoIdx.map((i) => {
                const o = served[i] as (typeof served)[number];
                return uncalibrated.predict(fusedMetaFeatures(o.parts, o.image as Float64Array));
              }),
              yP,
            ).ece,
            ece_after: expectedCalibrationError(fusedP, yP).ece,
            temperature: temperatures.fused_meta,
          },
          mismatch: { threshold: mismatchT, flagged: accOn(flagged), not_flagged: accOn(flagged.map((f) => !f)) },
        };

  const metrics = {
    ...(ecommerce ? { ecommerce } : {}),
    test_set: setName,
    test: {
      served: {
        ...metricsOf(
          yAll,
          served.map((o) => o.fused),
        ),
        macro_f1_ci: bootstrapMacroF1(yAll, servedPred, 3),
      },
      text: { ...metricsOf(yAll, textAll), macro_f1_ci: bootstrapMacroF1(yAll, textAll.map(argmax), 3) },
      text_in_domain: {
        ...metricsOf(yAll, inDomainAll),
        macro_f1_ci: bootstrapMacroF1(yAll, inDomainAll.map(argmax), 3),
      },
      majority_class_accuracy: Math.max(...[0, 1, 2].map((c) => yAll.filter((v) => v === c).length)) / yAll.length,
      photos: photoIdx.length,
      ...(withPhotos ?? {}),
    },
    product_polarity: {
      amazon: { accuracy: polarity(amazon, textOnly), n: amazon.length },
      yelp: { accuracy: polarity(yelp, textOnly), n: yelp.length },
    },
    ...(sarcasmModel ? { sarcasm: sarcasmModel.metrics } : {}),
    ...(damageMetrics ? { damage_photo: damageMetrics } : {}),
    val_choice: {
      fused_meta: fusedMeta.mode,
      text_in_domain: inDomainText.mode,
      fused_val: fusedMeta.val,
    },
    // The gate compares models on the product's own domain (the e-commerce test split), or on the
    // user's own test split when the model is adapted to their data.
    gate_eval:
      opts.data || !ecommerce
        ? {
            set: `${setName}-test:${sha256(JSON.stringify(split.test)).slice(0, 12)}`,
            ids: test.map((e) => e.id),
            labels: yAll,
            predictions: servedPred,
          }
        : {
            set: `ecommerce-test:${sha256(JSON.stringify(ecom.test.map((e) => e.id))).slice(0, 12)}`,
            ids: ecom.test.map((e) => e.id),
            labels: ys(ecom.test),
            predictions: ecom.test.map((e) => argmax(model.predict(e.text, emb1(e)).text)),
          },
  };
  const dataHash = sha256(
    JSON.stringify({
      set: setName,
      split,
      data: opts.data ? inDomain.map((e) => [e.text, e.image ?? '', e.label]) : undefined,
      base: base ? `${base.name}@${base.version}` : undefined,
      ecommerce_train: base ? 0 : ecom.train.length,
      augment: opts.augment === true,
      // The clip in effect (the option, else the shipped recipe's), so a run with the default and one that
      // names the same clip hash alike.
      z_clip: opts.zClip === undefined ? (Z_CLIP ?? null) : opts.zClip,
      ...(opts.fduTrainShare !== undefined ? { fdu_train_share: opts.fduTrainShare } : {}),
      // Only when given, so a run without synthetic data hashes as before.
      ...(synthetic ? { synthetic: { sha256: synthetic.record.sha256, used: synthetic.record.used } } : {}),
      ecommerce_split: ECOMMERCE_SPLIT_FILE,
      seed,
      K,
    }),
  );
  // The version names the weights: a different recipe or different data gives a different version.
  const weightsSha = sha256(JSON.stringify(components));
  const version = `${base ? '3.1.0' : '3.0.0'}+${weightsSha.slice(0, 8)}`;
  // The labeling agent's calibration and gating thresholds, shipped with the model (src/labeling/shipped.ts):
  // fitted on reviews the text models never trained on (the e-commerce val split, or the user's val split).
  const createdAt = new Date().toISOString();
  const calItems = (opts.data ? val : ecom.val).map((e) => ({
    text: e.text,
    classifierProbs: Array.from(model.predict(e.text, emb1(e), opts.data ? imgOf.get(e.id) : undefined).fused),
    label: idx(e.label) as 0 | 1 | 2,
  }));
  const labeling =
    calItems.length >= 40
      ? fitShippedCalibration(calItems, {
          source: opts.data ? `${setName} val split` : 'e-commerce val split (star-balanced)',
          at: createdAt,
        })
      : undefined;
  if (labeling)
    log(
      `labeling: shipped thresholds accept ${labeling.thresholds.accept} review ${labeling.thresholds.review}; held-out precision ${labeling.report?.precision?.toFixed(3)} at coverage ${labeling.report?.coverage.toFixed(3)}`,
    );
  const artifact: FusionArtifact = {
    format: 'reviewlens.model/2',
    name: 'reviewlens-fusion',
    version,
    created_at: createdAt,
    classes: ['negative', 'neutral', 'positive'],
    encoders: { text: TEXT_ENCODER, image: IMAGE_ENCODER, ...(wordsName ? { words: wordsName } : {}) },
    components,
    thresholds: { mismatch: mismatchT, sarcasm: 0.5 },
    metrics,
    params: {
      ...common,
      folds: K,
      temperatures,
      data: opts.data ? { name: setName, examples: inDomain.length } : { name: setName, split_file: MVSA_SPLIT_FILE },
      base: base ? `${base.name}@${base.version}` : null,
      text_training: base
        ? `reused from ${base.name}@${base.version}`
        : 'e-commerce reviews (MARC, womens-clothing, Yelp: train split; FDU-MTL train; Hu & Liu sentences)' +
          (synthetic ? `; plus ${synthetic.record.used} synthetic reviews (train split only)` : ''),
      ...(synthetic ? { synthetic: synthetic.record } : {}),
      train_seconds: Math.round((Date.now() - started) / 1000),
      weights_sha256: weightsSha,
    },
    data_hash: dataHash,
    ...(labeling ? { labeling } : {}),
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  // Written beside the target and renamed over it, so a process killed while writing never leaves a
  // truncated artifact (the default target is the model the repository ships).
  const tmp = `${opts.out}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(artifact)}\n`);
  renameSync(tmp, opts.out);
  log(`wrote ${opts.out} (${version})`);
  const { gate_eval: _omit, ...shown } = metrics;
  log(JSON.stringify(shown, (k, v) => (k === 'bins' ? undefined : typeof v === 'number' ? r6(v) : v), 2));
  return artifact;
}

/** `negative 5621 / neutral 4449 / positive 20729`. */
const countsLine = (c: ClassCounts) => SENTIMENTS.map((k) => `${k} ${c[k]}`).join(' / ');

/** What `params.synthetic` of an artifact trained with synthetic reviews records. */
export interface SyntheticRecord {
  file: string;
  sha256: string;
  /** Rows in the file. */
  rows: number;
  /** Rows added to the e-commerce training split. */
  used: number;
  /** Rows left out because their text equals a val, test or other scored review's (normalised: case, spacing). */
  dropped_heldout: number;
  /** Used rows per class, and the real training reviews per class beside them. */
  by_label: ClassCounts;
  real_by_label: ClassCounts;
  by_generator: Record<string, number>;
  photos_ignored: number;
}

/**
 * The synthetic rows that may train: every row whose text (lower-cased, spacing collapsed) is not the text of a
 * review in a held-out or scored set (e-commerce val, test, FDU-MTL test; MVSA-Single; UCI Amazon / Yelp), tagged
 * source `synthetic`; and the record the artifact keeps. Logs the counts apart from the real training reviews.
 */
export function syntheticForTraining(
  s: SyntheticTrainingData,
  scored: [EcommerceData, Example[], Example[], Example[]],
  log: (m: string) => void,
): { used: ReviewExample[]; record: SyntheticRecord } {
  const norm = (t: string) => t.toLowerCase().replace(/\s+/g, ' ').trim();
  const [ecom, ...others] = scored;
  const held = new Set([...ecom.val, ...ecom.test, ...ecom.fduTest, ...others.flat()].map((e) => norm(e.text)));
  const used = s.examples.filter((e) => !held.has(norm(e.text))).map((e) => ({ ...e, source: SYNTHETIC_SOURCE }));
  const record: SyntheticRecord = {
    file: s.file,
    sha256: s.sha256,
    rows: s.examples.length,
    used: used.length,
    dropped_heldout: s.examples.length - used.length,
    by_label: classCounts(used),
    real_by_label: classCounts(ecom.train),
    by_generator: s.byGenerator,
    photos_ignored: s.photosIgnored,
  };
  log(
    `synthetic reviews (${s.file}, sha256 ${s.sha256.slice(0, 12)}): ${used.length} of ${s.examples.length} added to the ` +
      `e-commerce training split only (${countsLine(record.by_label)}; generators ${Object.entries(s.byGenerator)
        .map(([g, n]) => `${g} ${n}`)
        .join(', ')})` +
      (record.dropped_heldout ? `; ${record.dropped_heldout} left out: same text as a held-out review` : '') +
      (s.photosIgnored ? `; ${s.photosIgnored} photos not used (text only)` : ''),
  );
  return { used, record };
}
