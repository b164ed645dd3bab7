import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { sha256 } from '../core/ids.js';
import { SENTIMENTS, type Sentiment } from '../core/types.js';
import { classificationMetrics } from '../evaluation/metrics.js';
import type { LoadedHeads, ModelArtifact } from '../models/artifact.js';
import { SoftmaxHead, type SoftmaxHeadJSON } from '../models/heads/softmax.js';
import { decodeImage } from '../models/image-input.js';
import { type Encoders, loadEncoders } from '../models/index.js';
import { type Example, loadMvsa, loadSst2, loadTweetEval, loadUci, sharedDataDir } from './datasets.js';
import { FeatureCache } from './feature-cache.js';
import { type Split, stratifiedSplit } from './split.js';

export const TEXT_ENCODER = 'all-MiniLM-L6-v2';
export const IMAGE_ENCODER = 'mobilenet_v2-nsfwjs';
export const MVSA_SPLIT_FILE = 'data/splits/mvsa-single.json';
const SPLIT_SEED = 20261125;
const SST2_SAMPLE = 8000;

const labelIndex = (s: Sentiment): number => SENTIMENTS.indexOf(s);

export interface BaselineOptions {
  modelsDir: string;
  cacheDir: string;
  out: string;
  threads: number;
  seed?: number;
  log?: (msg: string) => void;
}

/** Loads the fixed MVSA split from the repository, creating it (seeded, stratified) the first time. */
export function mvsaSplit(examples: Example[], file = MVSA_SPLIT_FILE): Split {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Split;
  const split = stratifiedSplit(examples, { val: 0.1, test: 0.2 }, SPLIT_SEED);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(split)}\n`);
  return split;
}

export async function textFeatures(
  enc: Encoders,
  cache: FeatureCache,
  texts: string[],
  log: (m: string) => void,
): Promise<Float32Array[]> {
  const keys = texts.map((t) => FeatureCache.key(t));
  const todo = [
    ...new Set(
      keys
        .map((k, i) => (cache.get(k) ? -1 : i))
        .filter((i) => i >= 0)
        .map((i) => texts[i] as string),
    ),
  ];
  const step = 512;
  for (let s = 0; s < todo.length; s += step) {
    const part = todo.slice(s, s + step);
    const vecs = await enc.text.encode(part);
    part.forEach((t, j) => {
      cache.set(FeatureCache.key(t), vecs[j] as Float32Array);
    });
    log(`  text features: ${Math.min(s + step, todo.length)}/${todo.length} encoded`);
    if ((s / step) % 10 === 9) cache.save();
  }
  cache.save();
  return keys.map((k) => cache.get(k) as Float32Array);
}

export async function imageFeatures(
  enc: Encoders,
  cache: FeatureCache,
  paths: string[],
  log: (m: string) => void,
): Promise<Array<Float32Array | null>> {
  const out: Array<Float32Array | null> = [];
  let encoded = 0;
  let failed = 0;
  for (let i = 0; i < paths.length; i++) {
    const bytes = await readFile(paths[i] as string);
    const key = FeatureCache.key(bytes);
    let v = cache.get(key);
    if (!v) {
      try {
        const img = await decodeImage(bytes, 224, { maxImageBytes: 50e6, maxImagePixels: 1e8 });
        v = (await enc.image.encode([img]))[0] as Float32Array;
        cache.set(key, v);
        encoded++;
      } catch (e) {
        failed++;
        log(`  image ${paths[i]} skipped: ${(e as Error).message.split('\n')[0]}`);
      }
      if (encoded % 200 === 0 && encoded > 0) {
        log(`  image features: ${i + 1}/${paths.length} (${encoded} encoded, ${failed} unreadable)`);
        cache.save();
      }
    }
    out.push(v ?? null);
  }
  cache.save();
  log(`  image features: ${paths.length} photos, ${encoded} newly encoded, ${failed} unreadable`);
  return out;
}

const concat = (a: Float32Array, b: Float32Array): Float32Array => {
  const v = new Float32Array(a.length + b.length);
  v.set(a);
  v.set(b, a.length);
  return v;
};

function round(h: SoftmaxHeadJSON): SoftmaxHeadJSON {
  const r = (x: number) => Number(x.toPrecision(6));
  return { ...h, mean: h.mean.map(r), std: h.std.map(r), weights: h.weights.map(r), bias: h.bias.map(r) };
}

function evalHead(head: SoftmaxHead, x: Float32Array[], y: number[]) {
  const pred = x.map((v) => {
    const p = head.predict(v);
    return p.indexOf(Math.max(...p));
  });
  const m = classificationMetrics(y, pred, 3);
  return { accuracy: m.accuracy, macro_f1: m.macro_f1, n: m.n, per_class_f1: m.per_class.map((c) => c.f1) };
}

/** Binary polarity accuracy: positive vs negative probability, neutral ignored. */
function evalPolarity(head: SoftmaxHead, x: Float32Array[], y: number[]) {
  let correct = 0;
  x.forEach((v, i) => {
    const p = head.predict(v);
    const pred = (p[2] as number) >= (p[0] as number) ? 2 : 0;
    if (pred === y[i]) correct++;
  });
  return { accuracy: correct / x.length, n: x.length };
}

/** The encoded data sets of the baseline: MVSA split, extra text sets, and held-out review sentences. */
export interface BaselineData {
  train: Example[];
  val: Example[];
  test: Example[];
  textExtra: Example[];
  amazon: Example[];
  yelp: Example[];
  split: Split;
  textOf: Map<string, Float32Array>;
  imageOf: Map<string, Float32Array | null>;
}

/** Loads the data sets and encodes every text and photo (through the feature cache). */
export async function prepareBaselineData(opts: {
  modelsDir: string;
  cacheDir: string;
  threads: number;
  log?: (msg: string) => void;
}): Promise<BaselineData> {
  const log = opts.log ?? (() => {});
  log(`data: ${sharedDataDir()}`);
  const mvsa = loadMvsa();
  const split = mvsaSplit(mvsa);
  const byId = new Map(mvsa.map((e) => [e.id, e]));
  const pick = (ids: string[]) => ids.map((id) => byId.get(id) as Example);
  const [train, val, test] = [pick(split.train), pick(split.val), pick(split.test)];
  const sst2 = loadSst2('train')
    .filter((_, i) => i % Math.floor(67349 / SST2_SAMPLE) === 0)
    .slice(0, SST2_SAMPLE);
  const textExtra = [...loadTweetEval('val'), ...loadTweetEval('test'), ...sst2, ...loadUci('imdb')];
  const amazon = loadUci('amazon_cells');
  const yelp = loadUci('yelp');
  log(`MVSA split train/val/test ${train.length}/${val.length}/${test.length}; extra text ${textExtra.length}`);

  log('loading encoders');
  const enc = await loadEncoders({
    modelsDir: opts.modelsDir,
    threads: opts.threads,
    text: TEXT_ENCODER,
    image: IMAGE_ENCODER,
  });
  try {
    const tcache = new FeatureCache(opts.cacheDir, TEXT_ENCODER, enc.text.dim);
    const icache = new FeatureCache(opts.cacheDir, IMAGE_ENCODER, enc.image.dim);
    const allText = [...mvsa, ...textExtra, ...amazon, ...yelp];
    log(`encoding ${allText.length} texts`);
    const tv = await textFeatures(
      enc,
      tcache,
      allText.map((e) => e.text),
      log,
    );
    log(`encoding ${mvsa.length} photos`);
    const iv = await imageFeatures(
      enc,
      icache,
      mvsa.map((e) => e.image as string),
      log,
    );
    return {
      train,
      val,
      test,
      textExtra,
      amazon,
      yelp,
      split,
      textOf: new Map(allText.map((e, i) => [e.id, tv[i] as Float32Array])),
      imageOf: new Map(mvsa.map((e, i) => [e.id, iv[i] ?? null])),
    };
  } finally {
    await enc.text.dispose();
    await enc.image.dispose();
  }
}

/** Feature matrices of a baseline data set, for the text, photo and fused heads. */
function views(d: BaselineData) {
  const withImg = (es: Example[]) => es.filter((e) => d.imageOf.get(e.id));
  const ys = (es: Example[]) => es.map((e) => labelIndex(e.label));
  return {
    tx: (es: Example[]) => es.map((e) => d.textOf.get(e.id) as Float32Array),
    ys,
    ix: (es: Example[]) => withImg(es).map((e) => d.imageOf.get(e.id) as Float32Array),
    fx: (es: Example[]) =>
      withImg(es).map((e) => concat(d.textOf.get(e.id) as Float32Array, d.imageOf.get(e.id) as Float32Array)),
    iy: (es: Example[]) => ys(withImg(es)),
  };
}

/** Scores heads on the MVSA test split (text, photo, fused) and on UCI Amazon and Yelp polarity. */
export function evaluateBaseline(heads: LoadedHeads, d: BaselineData) {
  const { tx, ys, ix, fx, iy } = views(d);
  return {
    mvsa_test: {
      text: evalHead(heads.text, tx(d.test), ys(d.test)),
      image: evalHead(heads.image, ix(d.test), iy(d.test)),
      fused: evalHead(heads.fused, fx(d.test), iy(d.test)),
      majority_class_accuracy: ys(d.test).filter((y) => y === 2).length / d.test.length,
    },
    uci_amazon_polarity: evalPolarity(heads.text, tx(d.amazon), ys(d.amazon)),
    uci_yelp_polarity: evalPolarity(heads.text, tx(d.yelp), ys(d.yelp)),
  };
}

/**
 * Trains the baseline model: softmax heads over MiniLM text embeddings, MobileNetV2 photo features,
 * and both concatenated. Text head: MVSA-Single train split + TweetEval + an SST-2 sample + UCI IMDB;
 * photo and fused heads: MVSA-Single train split. Early stopping and temperature on the val split;
 * scores on the test split and on UCI Amazon and Yelp sentences (never trained on).
 */
export async function trainBaseline(opts: BaselineOptions): Promise<ModelArtifact> {
  const log = opts.log ?? (() => {});
  const seed = opts.seed ?? 42;
  const started = Date.now();
  const d = await prepareBaselineData(opts);
  const { train, val, textExtra } = d;
  const { tx, ys, ix, fx, iy } = views(d);

  const common = { seed, epochs: 100, patience: 8, batchSize: 64 };
  log('training text head');
  const textTrain = [...train, ...textExtra];
  const textHead = SoftmaxHead.train(tx(textTrain), ys(textTrain), 3, {
    ...common,
    learningRate: 0.003,
    l2: 1e-3,
    validation: { x: tx(val), y: ys(val) },
  });
  log('training photo head');
  const imageHead = SoftmaxHead.train(ix(train), iy(train), 3, {
    ...common,
    learningRate: 0.003,
    l2: 1e-2,
    validation: { x: ix(val), y: iy(val) },
  });
  log('training fused head');
  const fusedHead = SoftmaxHead.train(fx(train), iy(train), 3, {
    ...common,
    learningRate: 0.003,
    l2: 1e-2,
    validation: { x: fx(val), y: iy(val) },
  });
  const temperatures = {
    text: textHead.fitTemperature(tx(val), ys(val)),
    image: imageHead.fitTemperature(ix(val), iy(val)),
    fused: fusedHead.fitTemperature(fx(val), iy(val)),
  };
  const heads = {
    text: new SoftmaxHead(round(textHead.toJSON())),
    image: new SoftmaxHead(round(imageHead.toJSON())),
    fused: new SoftmaxHead(round(fusedHead.toJSON())),
  };
  const metrics = evaluateBaseline(heads, d);
  const dataHash = sha256(JSON.stringify({ split: d.split, extra: textExtra.map((e) => e.id), sst2: SST2_SAMPLE }));
  const version = `1.0.0+${dataHash.slice(0, 8)}`;
  const artifact: ModelArtifact = {
    format: 'reviewlens.model/1',
    name: 'reviewlens-baseline',
    version,
    created_at: new Date().toISOString(),
    classes: ['negative', 'neutral', 'positive'],
    encoders: { text: TEXT_ENCODER, image: IMAGE_ENCODER },
    heads: { text: heads.text.toJSON(), image: heads.image.toJSON(), fused: heads.fused.toJSON() },
    metrics,
    params: {
      ...common,
      temperatures,
      split_file: MVSA_SPLIT_FILE,
      text_training_sets: [
        'mvsa-single train',
        'tweeteval sentiment val+test',
        `sst2 train (${SST2_SAMPLE} sampled)`,
        'uci imdb',
      ],
      train_seconds: Math.round((Date.now() - started) / 1000),
    },
    data_hash: dataHash,
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(artifact)}\n`);
  log(`wrote ${opts.out} (${version})`);
  log(JSON.stringify(metrics, null, 2));
  return artifact;
}
