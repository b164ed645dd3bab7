import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sha256 } from '../core/ids.js';
import { seededRandom, shuffleInPlace } from '../core/random.js';
import { SENTIMENTS, type Sentiment } from '../core/types.js';
import { bootstrapMacroF1, expectedCalibrationError, pairedBootstrapDiff } from '../evaluation/bootstrap.js';
import { classificationMetrics } from '../evaluation/metrics.js';
import type { FusionArtifact } from '../models/artifact.js';
import {
  type FusionComponents,
  FusionModel,
  fusedMetaFeatures,
  generalMean,
  type TextParts,
  textMetaFeatures,
} from '../models/fusion.js';
import { NgramLogReg } from '../models/heads/ngram-logreg.js';
import { SoftmaxHead, type SoftmaxHeadJSON } from '../models/heads/softmax.js';
import { loadEncoders } from '../models/index.js';
import { lexiconFeatures } from '../models/lexicon.js';
import { IMAGE_ENCODER, imageFeatures, MVSA_SPLIT_FILE, mvsaSplit, TEXT_ENCODER, textFeatures } from './baseline.js';
import { generalTextCorpus, productPolaritySets } from './corpora.js';
import {
  type BinaryExample,
  type Example,
  loadMustard,
  loadMvsa,
  loadTwitterSarcasm,
  sharedDataDir,
} from './datasets.js';
import { FeatureCache } from './feature-cache.js';

export interface MultimodalOptions {
  modelsDir: string;
  cacheDir: string;
  out: string;
  threads: number;
  seed?: number;
  folds?: number;
  log?: (msg: string) => void;
}

const idx = (s: Sentiment) => SENTIMENTS.indexOf(s);
const argmax = (p: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < p.length; i++) if ((p[i] as number) > (p[b] as number)) b = i;
  return b;
};

/** Class weights: 'balanced' (n / (k * count)), its square root, or none. */
function classWeights(y: number[], mode: 'balanced' | 'sqrt' | 'none'): number[] {
  const c = [0, 0, 0];
  for (const v of y) c[v] = (c[v] as number) + 1;
  return c.map((n) => {
    if (mode === 'none' || !n) return n ? 1 : 0;
    const b = y.length / (3 * n);
    return mode === 'balanced' ? b : Math.sqrt(b);
  });
}

function stratifiedFolds(y: number[], k: number, seed: number): number[] {
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

const r6 = (x: number) => Number(x.toPrecision(6));
function compact(h: SoftmaxHeadJSON): SoftmaxHeadJSON {
  return { ...h, mean: h.mean.map(r6), std: h.std.map(r6), weights: h.weights.map(r6), bias: h.bias.map(r6) };
}

function metricsOf(y: number[], probs: ArrayLike<number>[]) {
  const m = classificationMetrics(y, probs.map(argmax), 3);
  return { accuracy: m.accuracy, macro_f1: m.macro_f1, per_class_f1: m.per_class.map((c) => c.f1), n: m.n };
}

function binaryMetrics(y: number[], p: number[], threshold: number) {
  const pred = p.map((v) => (v >= threshold ? 1 : 0));
  const m = classificationMetrics(y, pred, 2);
  const pc = m.per_class[1] as { precision: number; recall: number; f1: number };
  return { accuracy: m.accuracy, precision: pc.precision, recall: pc.recall, f1: pc.f1, n: m.n };
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
  const mvsa = loadMvsa();
  const split = mvsaSplit(mvsa);
  const byId = new Map(mvsa.map((e) => [e.id, e]));
  const pick = (ids: string[]) => ids.map((id) => byId.get(id) as Example);
  const [train, val, test] = [pick(split.train), pick(split.val), pick(split.test)];
  const corpus = generalTextCorpus();
  const { amazon, yelp } = productPolaritySets() as { amazon: Example[]; yelp: Example[] };
  const sarcTrain = loadTwitterSarcasm('train');
  const sarcValid = loadTwitterSarcasm('valid2');
  const mustard = loadMustard();
  log(`MVSA train/val/test ${train.length}/${val.length}/${test.length}; general corpus ${corpus.length}`);

  // --- features ---------------------------------------------------------------------------
  log('loading encoders');
  const enc = await loadEncoders({
    modelsDir: opts.modelsDir,
    threads: opts.threads,
    text: TEXT_ENCODER,
    image: IMAGE_ENCODER,
  });
  const embOf = new Map<string, Float32Array>();
  const imgOf = new Map<string, Float32Array>();
  try {
    const tcache = new FeatureCache(opts.cacheDir, TEXT_ENCODER, enc.text.dim);
    const icache = new FeatureCache(opts.cacheDir, IMAGE_ENCODER, enc.image.dim);
    const texts = [...new Set([...corpus, ...mvsa, ...amazon, ...yelp].map((e) => e.text))];
    log(`text embeddings for ${texts.length} texts`);
    const tv = await textFeatures(enc, tcache, texts, log);
    texts.forEach((t, i) => {
      embOf.set(t, tv[i] as Float32Array);
    });
    log(`photo features for ${mvsa.length} photos`);
    const iv = await imageFeatures(
      enc,
      icache,
      mvsa.map((e) => e.image as string),
      log,
    );
    mvsa.forEach((e, i) => {
      const v = iv[i];
      if (v) imgOf.set(e.id, v);
    });
  } finally {
    await enc.text.dispose();
    await enc.image.dispose();
  }
  const lexMemo = new Map<string, Float32Array>();
  const lex = (t: string) => {
    let v = lexMemo.get(t);
    if (!v) {
      v = lexiconFeatures(t);
      lexMemo.set(t, v);
    }
    return v;
  };
  const emb = (es: Example[]) => es.map((e) => embOf.get(e.text) as Float32Array);
  const ys = (es: Example[]) => es.map((e) => idx(e.label));
  // Photos that could not be read are left out of photo training (none in MVSA-Single as shipped).
  const withImg = (es: Example[]) => es.filter((e) => imgOf.has(e.id));

  // --- general text models ----------------------------------------------------------------
  const rand = seededRandom(seed);
  const shuffled = shuffleInPlace([...corpus], rand);
  // 5% of the corpus is kept from the general models for the text meta head (so it learns how far to
  // trust them beyond tweets), 3% for their early stopping, the rest fits them.
  const nMeta = Math.round(shuffled.length * 0.05);
  const nHold = Math.round(shuffled.length * 0.03);
  const metaCorpus = shuffled.slice(0, nMeta);
  const hold = shuffled.slice(nMeta, nMeta + nHold);
  const fit = shuffled.slice(nMeta + nHold);
  const common = { seed, epochs: 60, patience: 6, batchSize: 64 };
  log(`general MiniLM head on ${fit.length} texts`);
  const general = SoftmaxHead.train(emb(fit), ys(fit), 3, {
    ...common,
    learningRate: 0.002,
    l2: 1e-3,
    classWeights: classWeights(ys(fit), 'sqrt'),
    validation: { x: emb(hold), y: ys(hold) },
  });
  log('general word n-gram model');
  const ngram = NgramLogReg.train(
    fit.map((e) => e.text),
    ys(fit),
    3,
    { seed, epochs: 6, minCount: 3, classWeights: classWeights(ys(fit), 'sqrt') },
  );
  log('lexicon head');
  const lexicon = SoftmaxHead.train(
    fit.map((e) => lex(e.text)),
    ys(fit),
    3,
    {
      ...common,
      learningRate: 0.01,
      classWeights: classWeights(ys(fit), 'sqrt'),
      validation: { x: hold.map((e) => lex(e.text)), y: ys(hold) },
    },
  );

  // --- in-domain heads, out-of-fold on MVSA train -----------------------------------------
  const yTrain = ys(train);
  const fold = stratifiedFolds(yTrain, K, seed);
  const domainOof = new Map<string, Float64Array>();
  const imageOof = new Map<string, Float64Array>();
  const domainOpts = { ...common, learningRate: 0.003, l2: 1e-2, classWeights: classWeights(yTrain, 'sqrt') };
  for (let k = 0; k < K; k++) {
    const inFold = train.filter((_, i) => fold[i] === k);
    const rest = train.filter((_, i) => fold[i] !== k);
    log(`fold ${k + 1}/${K}: in-domain text and photo heads`);
    const d = SoftmaxHead.train(emb(rest), ys(rest), 3, { ...domainOpts, validation: { x: emb(val), y: ys(val) } });
    for (const e of inFold) domainOof.set(e.id, d.predict(embOf.get(e.text) as Float32Array));
    const restI = withImg(rest);
    const im = SoftmaxHead.train(
      restI.map((e) => imgOf.get(e.id) as Float32Array),
      ys(restI),
      3,
      {
        ...domainOpts,
        validation: { x: withImg(val).map((e) => imgOf.get(e.id) as Float32Array), y: ys(withImg(val)) },
      },
    );
    for (const e of withImg(inFold)) imageOof.set(e.id, im.predict(imgOf.get(e.id) as Float32Array));
  }
  log('in-domain heads on the whole train split');
  const domain = SoftmaxHead.train(emb(train), yTrain, 3, { ...domainOpts, validation: { x: emb(val), y: ys(val) } });
  const trainI = withImg(train);
  const image = SoftmaxHead.train(
    trainI.map((e) => imgOf.get(e.id) as Float32Array),
    ys(trainI),
    3,
    { ...domainOpts, validation: { x: withImg(val).map((e) => imgOf.get(e.id) as Float32Array), y: ys(withImg(val)) } },
  );

  // --- meta heads ---------------------------------------------------------------------------
  const parts = (e: Example, oof: boolean): TextParts => {
    const v = embOf.get(e.text) as Float32Array;
    const raw = lex(e.text);
    return {
      general: general.predict(v),
      ngram: ngram.predict(e.text),
      lexicon: lexicon.predict(raw),
      lexiconRaw: raw,
      domain: oof ? (domainOof.get(e.id) as Float64Array) : domain.predict(v),
    };
  };
  const imageP = (e: Example, oof: boolean) =>
    oof ? (imageOof.get(e.id) as Float64Array) : image.predict(imgOf.get(e.id) as Float32Array);
  const tX = (es: Example[], oof: boolean) => es.map((e) => textMetaFeatures(parts(e, oof)));
  const fX = (es: Example[], oof: boolean) => withImg(es).map((e) => fusedMetaFeatures(parts(e, oof), imageP(e, oof)));
  // An in-domain text meta head (MVSA train, out-of-fold) is trained for the benchmark only: it is the
  // fair text-only rival of the text + photo head on MVSA. Served text-only answers use the general
  // text models (see FusionModel).
  const mvsaTX = tX(train, true);
  const trainFX = fX(train, true);
  const valTX = tX(val, false);
  const valFX = fX(val, false);
  const yValI = ys(withImg(val));

  const choose = (name: string, X: Float32Array[], y: number[], vX: Float32Array[], vY: number[]) => {
    let best: { head: SoftmaxHead; mode: string; score: number; val: ReturnType<typeof metricsOf> } | undefined;
    for (const mode of ['balanced', 'sqrt', 'none'] as const) {
      const head = SoftmaxHead.train(X, y, 3, {
        ...common,
        epochs: 150,
        patience: 12,
        learningRate: 0.01,
        l2: 1e-3,
        classWeights: classWeights(y, mode),
        validation: { x: vX, y: vY },
      });
      const m = metricsOf(
        vY,
        vX.map((x) => head.predict(x)),
      );
      const score = (m.accuracy + m.macro_f1) / 2;
      log(`  ${name} meta, class weights ${mode}: val acc ${m.accuracy.toFixed(3)} macro-F1 ${m.macro_f1.toFixed(3)}`);
      if (!best || score > best.score) best = { head, mode, score, val: m };
    }
    return best as NonNullable<typeof best>;
  };
  log('meta heads');
  const inDomainText = choose('in-domain text (benchmark only)', mvsaTX, yTrain, valTX, ys(val));
  const fusedMeta = choose('text + photo', trainFX, ys(trainI), valFX, yValI);
  const uncalibrated = new SoftmaxHead(structuredClone(fusedMeta.head.toJSON()));
  // Temperature of the text answer on corpus text no general model trained on.
  const metaParts = metaCorpus.map((e) => parts(e, false));
  let textT = 1;
  let bestLoss = Infinity;
  for (let t = 0.3; t <= 3.0001; t += 0.05) {
    const loss = metaParts.reduce(
      (acc, p, i) =>
        acc - Math.log(Math.max(1e-12, generalMean(p, t)[idx(metaCorpus[i]?.label as Sentiment)] as number)),
      0,
    );
    if (loss < bestLoss) {
      bestLoss = loss;
      textT = Math.round(t * 100) / 100;
    }
  }
  const temperatures = { text: textT, fused_meta: fusedMeta.head.fitTemperature(valFX, yValI) };

  // --- sarcasm ------------------------------------------------------------------------------
  log(`sarcasm model on ${sarcTrain.length} tweets`);
  const bin = (es: BinaryExample[]) => es.map((e) => e.label as number);
  const sarcasm = NgramLogReg.train(
    sarcTrain.map((e) => e.text),
    bin(sarcTrain),
    2,
    { seed, epochs: 5, minCount: 3, classWeights: [1, 1] },
  );

  // --- evaluation on held-out data ------------------------------------------------------------
  const components: FusionComponents = {
    general_text: compact(general.toJSON()),
    ngram: ngram.toJSON(),
    lexicon: compact(lexicon.toJSON()),
    domain_text: compact(domain.toJSON()),
    image: compact(image.toJSON()),
    fused_meta: compact(fusedMeta.head.toJSON()),
    text_temperature: textT,
    sarcasm: sarcasm.toJSON(),
  };
  const model = new FusionModel(components);
  log('scoring on the test split and the held-out sets');
  const testI = withImg(test);
  const yTest = ys(testI);
  const outs = testI.map((e) => model.predict(e.text, embOf.get(e.text) as Float32Array, imgOf.get(e.id)));
  const fusedP = outs.map((o) => o.fused);
  const textP = outs.map((o) => o.text);
  const imageOnly = outs.map((o) => o.image as Float64Array);
  const polarity = (es: Example[], score: (e: Example) => Float64Array) =>
    es.filter((e) => {
      const p = score(e);
      return ((p[2] as number) >= (p[0] as number) ? 2 : 0) === idx(e.label);
    }).length / es.length;
  const textOnly = (e: Example) => model.predict(e.text, embOf.get(e.text) as Float32Array).text;
  const sarcP = (es: BinaryExample[]) => es.map((e) => model.sarcasmProbability(e.text) as number);
  const fusedPred = fusedP.map(argmax);
  const textPred = textP.map(argmax);
  const inDomainP = testI.map((e) =>
    inDomainText.head.predict(textMetaFeatures(model.textParts(e.text, embOf.get(e.text) as Float32Array))),
  );
  const inDomainPred = inDomainP.map(argmax);

  // Mismatch: text and photo heads confidently on opposite sides.
  const mismatchT = 0.6;
  const flagged = outs.map((o) => {
    const t = o.text;
    const i = o.image as Float64Array;
    return (
      ((t[2] as number) >= mismatchT && (i[0] as number) >= mismatchT) ||
      ((t[0] as number) >= mismatchT && (i[2] as number) >= mismatchT)
    );
  });
  const accOn = (sel: boolean[]) => {
    const ids = sel.map((s, i) => (s ? i : -1)).filter((i) => i >= 0);
    return {
      n: ids.length,
      fused_accuracy: ids.length ? ids.filter((i) => fusedPred[i] === yTest[i]).length / ids.length : null,
      text_accuracy: ids.length ? ids.filter((i) => textPred[i] === yTest[i]).length / ids.length : null,
    };
  };

  const metrics = {
    mvsa_test: {
      fused: { ...metricsOf(yTest, fusedP), macro_f1_ci: bootstrapMacroF1(yTest, fusedPred, 3) },
      text: { ...metricsOf(yTest, textP), macro_f1_ci: bootstrapMacroF1(yTest, textPred, 3) },
      text_in_domain: { ...metricsOf(yTest, inDomainP), macro_f1_ci: bootstrapMacroF1(yTest, inDomainPred, 3) },
      image: metricsOf(yTest, imageOnly),
      fused_minus_text_macro_f1: pairedBootstrapDiff(yTest, fusedPred, textPred, 3),
      fused_minus_text_in_domain_macro_f1: pairedBootstrapDiff(yTest, fusedPred, inDomainPred, 3),
      majority_class_accuracy: yTest.filter((v) => v === 2).length / yTest.length,
      calibration: {
        ece_before: expectedCalibrationError(
          testI.map((e) => {
            const o = model.predict(e.text, embOf.get(e.text) as Float32Array, imgOf.get(e.id));
            return uncalibrated.predict(fusedMetaFeatures(o.parts, o.image as Float64Array));
          }),
          yTest,
        ).ece,
        ece_after: expectedCalibrationError(fusedP, yTest).ece,
        temperature: temperatures.fused_meta,
      },
      mismatch: { threshold: mismatchT, flagged: accOn(flagged), not_flagged: accOn(flagged.map((f) => !f)) },
    },
    product_polarity: {
      amazon: { accuracy: polarity(amazon, textOnly), n: amazon.length },
      yelp: { accuracy: polarity(yelp, textOnly), n: yelp.length },
    },
    sarcasm: {
      twitter_valid2_human: binaryMetrics(bin(sarcValid), sarcP(sarcValid), 0.5),
      mustard_utterances: binaryMetrics(bin(mustard), sarcP(mustard), 0.5),
    },
    val_choice: {
      fused_meta: fusedMeta.mode,
      text_in_domain: inDomainText.mode,
      fused_val: fusedMeta.val,
    },
    gate_eval: {
      set: `mvsa-single-test:${sha256(JSON.stringify(split.test)).slice(0, 12)}`,
      ids: testI.map((e) => e.id),
      labels: yTest,
      predictions: fusedPred,
    },
  };
  const dataHash = sha256(JSON.stringify({ split, corpus: corpus.length, sarcasm: sarcTrain.length, seed, K }));
  const version = `2.0.0+${dataHash.slice(0, 8)}`;
  const artifact: FusionArtifact = {
    format: 'reviewlens.model/2',
    name: 'reviewlens-fusion',
    version,
    created_at: new Date().toISOString(),
    classes: ['negative', 'neutral', 'positive'],
    encoders: { text: TEXT_ENCODER, image: IMAGE_ENCODER },
    components,
    thresholds: { mismatch: mismatchT, sarcasm: 0.5 },
    metrics,
    params: {
      ...common,
      folds: K,
      temperatures,
      split_file: MVSA_SPLIT_FILE,
      corpus: 'generalTextCorpus(): TweetEval, Twitter-2015/2017, SemEval-2014, SST-2 (all), UCI IMDB',
      train_seconds: Math.round((Date.now() - started) / 1000),
    },
    data_hash: dataHash,
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(artifact)}\n`);
  log(`wrote ${opts.out} (${version})`);
  const { gate_eval: _omit, ...shown } = metrics;
  log(JSON.stringify(shown, (k, v) => (k === 'bins' ? undefined : typeof v === 'number' ? r6(v) : v), 2));
  return artifact;
}
