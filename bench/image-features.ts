/**
 * Do face, emotion and object features (Human: BlazeFace, emotion classifier, CenterNet COCO) add signal
 * for MVSA-Single sentiment beyond the MobileNetV2 photo features? Photo-only softmax heads on the fixed
 * split (train; early stopping and choices on val; scored on test), for MobileNetV2, Human, and both
 * concatenated, plus ablations of Human's feature groups and the Human encoder's per-photo time.
 *
 *   npx tsx bench/image-features.ts
 *
 * Features are cached in .cache/features (MobileNetV2 under the baseline's encoder id, so the vectors the
 * baseline training computed are reused); the first run encodes every photo with Human (~15 min on one
 * wasm thread), reruns take a minute.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/core/config.js';
import { SENTIMENTS, type Sentiment } from '../src/core/types.js';
import {
  bootstrapMacroF1,
  classificationMetrics,
  machineLine,
  pairedBootstrapDiff,
  percentile,
  writeSection,
} from '../src/evaluation/index.js';
import { resolveAsset } from '../src/models/assets.js';
import { SoftmaxHead } from '../src/models/heads/softmax.js';
import {
  HUMAN_ASSET,
  HUMAN_FEATURE_GROUPS,
  HUMAN_FEATURE_LAYOUT,
  HumanImageEncoder,
} from '../src/models/human-features.js';
import { MobileNetImageEncoder } from '../src/models/image-encoder.js';
import { decodeImage } from '../src/models/image-input.js';
import { MiniLmTextEncoder } from '../src/models/text-encoder.js';
import { type Example, loadMvsa } from '../src/training/datasets.js';
import { FeatureCache } from '../src/training/feature-cache.js';
import { IMAGE_ENCODER, imageFeatures, mvsaSplit, TEXT_ENCODER, textFeatures } from '../src/training/features.js';

const ROOT = join(import.meta.dirname, '..');
const CACHE_DIR = join(ROOT, '.cache', 'features');
const LIMITS = { maxImageBytes: 50e6, maxImagePixels: 1e8 };
const TIMING_SAMPLE = 120;
const SEED = 42;
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

const cfg = loadConfig({ cwd: ROOT });
const mvsa = loadMvsa();
const split = mvsaSplit(mvsa, join(ROOT, 'data', 'splits', 'mvsa-single.json'));
const byId = new Map(mvsa.map((e) => [e.id, e]));
const pick = (ids: string[]) => ids.map((id) => byId.get(id) as Example);
const bytesOf = new Map<string, Buffer>();
for (const e of mvsa) bytesOf.set(e.id, await readFile(e.image as string));
const keyOf = (e: Example) => FeatureCache.key(bytesOf.get(e.id) as Buffer);
log(
  `MVSA-Single: ${mvsa.length} labelled photos; split ${split.train.length}/${split.val.length}/${split.test.length}`,
);

// --- MobileNetV2 features: the baseline's cache; whatever is missing is encoded as the baseline does. ---
const mobileCache = new FeatureCache(CACHE_DIR, IMAGE_ENCODER, 1280);
const unreadable = new Set<string>();
let mobile: MobileNetImageEncoder | null = null;
const loadMobile = async () => {
  mobile ??= await MobileNetImageEncoder.load({
    assetDir: await resolveAsset(cfg.models.dir, IMAGE_ENCODER),
    id: IMAGE_ENCODER,
    threads: 1,
  });
  return mobile;
};
log(`MobileNetV2: ${mvsa.filter((e) => mobileCache.get(keyOf(e))).length} of ${mvsa.length} cached`);
const mobileVecs = await imageFeatures(
  await loadMobile(),
  mobileCache,
  mvsa.map((e) => e.image as string),
  log,
);
mvsa.forEach((e, i) => {
  if (!mobileVecs[i]) unreadable.add(e.id);
});

// --- Human features (cached under the asset name and the layout version). ---
const human = await HumanImageEncoder.fromModelsDir(cfg.models.dir, { threads: 1 });
const humanCache = new FeatureCache(CACHE_DIR, `${HUMAN_ASSET}.v${HUMAN_FEATURE_LAYOUT}`, human.dim);
const humanTodo = mvsa.filter((e) => !unreadable.has(e.id) && !humanCache.get(keyOf(e)));
log(`Human: ${mvsa.length - humanTodo.length} cached or unreadable, ${humanTodo.length} to encode`);
const started = Date.now();
for (let i = 0; i < humanTodo.length; i++) {
  const e = humanTodo[i] as Example;
  try {
    humanCache.set(keyOf(e), await human.encodeBytes(bytesOf.get(e.id) as Buffer, LIMITS));
  } catch (err) {
    unreadable.add(e.id);
    log(`  ${e.image} unreadable: ${(err as Error).message.split('\n')[0]}`);
  }
  if ((i + 1) % 200 === 0 || i + 1 === humanTodo.length) {
    humanCache.save();
    const rate = (Date.now() - started) / (i + 1);
    log(
      `  Human ${i + 1}/${humanTodo.length}, ${rate.toFixed(0)} ms/photo, ~${((rate * (humanTodo.length - i - 1)) / 60000).toFixed(1)} min left`,
    );
  }
}
humanCache.save();

// --- Per-photo time, one wasm thread, warm encoders, on a fixed sample of the test split. ---
const sample = pick(split.test)
  .filter((e) => !unreadable.has(e.id))
  .filter((_, i, a) => i % Math.max(1, Math.floor(a.length / TIMING_SAMPLE)) === 0)
  .slice(0, TIMING_SAMPLE);
const timeEach = async (f: (b: Buffer) => Promise<unknown>) => {
  const ms: number[] = [];
  for (const e of sample) {
    const t = performance.now();
    await f(bytesOf.get(e.id) as Buffer);
    ms.push(performance.now() - t);
  }
  return { p50: percentile(ms, 50), p95: percentile(ms, 95) };
};
const mob = await loadMobile();
const humanTime = await timeEach((b) => human.encodeBytes(b, LIMITS));
const mobileTime = await timeEach(async (b) => mob.encode([await decodeImage(b, 224, LIMITS)]));
await human.dispose();
// The same encoder without the object detector (faces and emotion only).
const faceOnly = await HumanImageEncoder.fromModelsDir(cfg.models.dir, { threads: 1, objects: false });
const faceTime = await timeEach((b) => faceOnly.encodeBytes(b, LIMITS));
const load1 = os.loadavg()[0] as number;
await faceOnly.dispose();
await mob.dispose();
const ms = (t: { p50: number; p95: number }) => `p50 ${t.p50.toFixed(0)} ms, p95 ${t.p95.toFixed(0)} ms`;
log(`encode: Human ${ms(humanTime)}; faces+emotion only ${ms(faceTime)}; MobileNetV2 ${ms(mobileTime)}`);

// --- Text features (MiniLM, the baseline's cache) for the fused comparison. ---
const textCache = new FeatureCache(CACHE_DIR, TEXT_ENCODER, 384);
{
  const te = await MiniLmTextEncoder.load({
    assetDir: await resolveAsset(cfg.models.dir, TEXT_ENCODER),
    id: TEXT_ENCODER,
    threads: 1,
  });
  await textFeatures(
    te,
    textCache,
    mvsa.map((e) => e.text),
    log,
  );
  await te.dispose();
}

// --- Heads. ---
const usable = (es: Example[]) => es.filter((e) => !unreadable.has(e.id));
const [train, val, test] = [usable(pick(split.train)), usable(pick(split.val)), usable(pick(split.test))];
const ys = (es: Example[]) => es.map((e) => SENTIMENTS.indexOf(e.label as Sentiment));
const mobileOf = (e: Example) => mobileCache.get(keyOf(e)) as Float32Array;
const humanOf = (e: Example) => humanCache.get(keyOf(e)) as Float32Array;
const textOf = (e: Example) => textCache.get(FeatureCache.key(e.text)) as Float32Array;
const slice = (v: Float32Array, [a, b]: readonly [number, number]) => v.subarray(a, b);
const cat = (...vs: Float32Array[]) => {
  const out = new Float32Array(vs.reduce((s, v) => s + v.length, 0));
  let o = 0;
  for (const v of vs) {
    out.set(v, o);
    o += v.length;
  }
  return out;
};
const faceEmotion = (e: Example) =>
  cat(slice(humanOf(e), HUMAN_FEATURE_GROUPS.faces), slice(humanOf(e), HUMAN_FEATURE_GROUPS.emotion));
const objects = (e: Example) => slice(humanOf(e), HUMAN_FEATURE_GROUPS.objects);

interface FeatureSet {
  name: string;
  of: (e: Example) => Float32Array;
}
const photoSets: FeatureSet[] = [
  { name: 'MobileNetV2 (1280)', of: mobileOf },
  { name: 'Human, all (179)', of: humanOf },
  { name: 'Human, faces + emotion (18)', of: faceEmotion },
  { name: 'Human, objects (161)', of: objects },
  { name: 'MobileNetV2 + Human, all (1459)', of: (e) => cat(mobileOf(e), humanOf(e)) },
  { name: 'MobileNetV2 + Human faces + emotion (1298)', of: (e) => cat(mobileOf(e), faceEmotion(e)) },
  { name: 'MobileNetV2 + Human objects (1441)', of: (e) => cat(mobileOf(e), objects(e)) },
];
const fusedSets: FeatureSet[] = [
  { name: 'MiniLM text only (384)', of: textOf },
  { name: 'MiniLM + MobileNetV2 (1664)', of: (e) => cat(textOf(e), mobileOf(e)) },
  {
    name: 'MiniLM + MobileNetV2 + Human faces + emotion (1682)',
    of: (e) => cat(textOf(e), mobileOf(e), faceEmotion(e)),
  },
  { name: 'MiniLM + MobileNetV2 + Human, all (1843)', of: (e) => cat(textOf(e), mobileOf(e), humanOf(e)) },
];

const counts = [0, 0, 0];
for (const c of ys(train)) counts[c] = (counts[c] as number) + 1;
const balanced = counts.map((c) => train.length / (3 * c));
const weightings = [
  { name: 'balanced', w: balanced },
  { name: 'sqrt-balanced', w: balanced.map(Math.sqrt) },
];
const L2 = [1e-3, 1e-2, 1e-1];
const SEEDS = [1, 2, 3, 4, 5];
const argmax = (p: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < p.length; i++) if ((p[i] as number) > (p[b] as number)) b = i;
  return b;
};
const yTrain = ys(train);
const yVal = ys(val);
const yTest = ys(test);

interface Row {
  set: string;
  weighting: string;
  l2: number;
  valF1: number;
  acc: number;
  f1: number;
  pred: number[];
  /** Test macro-F1 of the same choice over SEEDS (filled for the val-chosen row). */
  seeds?: { mean: number; sd: number };
}
const trainHead = (x: Float32Array[][], w: number[], l2: number, seed: number) => {
  const [xTrain, xVal, xTest] = x as [Float32Array[], Float32Array[], Float32Array[]];
  const head = SoftmaxHead.train(xTrain, yTrain, 3, {
    seed,
    epochs: 100,
    patience: 8,
    batchSize: 64,
    learningRate: 0.003,
    l2,
    classWeights: w,
    validation: { x: xVal, y: yVal },
  });
  return {
    valF1: classificationMetrics(
      yVal,
      xVal.map((v) => argmax(head.predict(v))),
      3,
    ).macro_f1,
    pred: xTest.map((v) => argmax(head.predict(v))),
  };
};

/** Per weighting, the L2 with the best val macro-F1; then the val-chosen weighting, re-fitted over SEEDS. */
function evaluate(sets: FeatureSet[]): { rows: Row[]; chosen: Row[] } {
  const rows: Row[] = [];
  const chosen: Row[] = [];
  for (const fs of sets) {
    const x = [train.map(fs.of), val.map(fs.of), test.map(fs.of)];
    const mine: Row[] = [];
    for (const wt of weightings) {
      let best: Row | null = null;
      for (const l2 of L2) {
        const r = trainHead(x, wt.w, l2, SEED);
        if (best && r.valF1 <= best.valF1) continue;
        const m = classificationMetrics(yTest, r.pred, 3);
        best = { set: fs.name, weighting: wt.name, l2, valF1: r.valF1, acc: m.accuracy, f1: m.macro_f1, pred: r.pred };
      }
      const b = best as Row;
      mine.push(b);
      log(
        `${fs.name} / ${wt.name}: l2 ${b.l2}, val F1 ${b.valF1.toFixed(3)}, test acc ${b.acc.toFixed(3)} F1 ${b.f1.toFixed(3)}`,
      );
    }
    const c = mine.reduce((a, b) => (b.valF1 > a.valF1 ? b : a));
    const w = weightings.find((wt) => wt.name === c.weighting)?.w as number[];
    const f1s = SEEDS.map((seed) => classificationMetrics(yTest, trainHead(x, w, c.l2, seed).pred, 3).macro_f1);
    const mean = f1s.reduce((a, b) => a + b, 0) / f1s.length;
    c.seeds = { mean, sd: Math.sqrt(f1s.reduce((a, b) => a + (b - mean) ** 2, 0) / (f1s.length - 1)) };
    rows.push(...mine);
    chosen.push(c);
  }
  return { rows, chosen };
}

const photo = evaluate(photoSets);
const fused = evaluate(fusedSets);

const f = (x: number) => x.toFixed(3);
const ci = (i: { low: number; high: number }) => `[${f(i.low)}, ${f(i.high)}]`;
const majority = Math.max(...[0, 1, 2].map((c) => yTest.filter((y) => y === c).length)) / yTest.length;
const everyone = [...train, ...val, ...test];
const faceShare = everyone.filter((e) => (humanOf(e)[0] as number) > 0).length;
const objShare = everyone.filter((e) => (humanOf(e)[HUMAN_FEATURE_GROUPS.objects[0]] as number) > 0).length;
const pctOf = (n: number) => `${((100 * n) / everyone.length).toFixed(0)}%`;

const table = (r: {
  rows: Row[];
  chosen: Row[];
}) => `| features | class weights | L2 | val macro-F1 | test acc | test macro-F1 | test macro-F1 95% CI | test macro-F1, seeds ${SEEDS[0]}-${SEEDS[SEEDS.length - 1]} (mean ± sd) |
|---|---|---|---|---|---|---|---|
${r.rows
  .map((row) => {
    const c = r.chosen.includes(row);
    const b = c ? '**' : '';
    const seeds = row.seeds ? `${f(row.seeds.mean)} ± ${f(row.seeds.sd)}` : '';
    return `| ${row.set} | ${b}${row.weighting}${b} | ${row.l2} | ${f(row.valF1)} | ${f(row.acc)} | ${b}${f(row.f1)}${b} | ${ci(bootstrapMacroF1(yTest, row.pred, 3))} | ${seeds} |`;
  })
  .join('\n')}`;
const diffs = (r: { chosen: Row[] }, base: Row) => `| features | Δ macro-F1 | 95% interval |
|---|---|---|
${r.chosen
  .filter((row) => row !== base)
  .map((row) => {
    const d = pairedBootstrapDiff(yTest, row.pred, base.pred, 3);
    return `| ${row.set} | ${d.estimate >= 0 ? '+' : ''}${f(d.estimate)} | ${ci(d)} |`;
  })
  .join('\n')}`;

const md = `## Photo features: MobileNetV2 vs Human face / emotion / object features (issue 3)

Command: \`npx tsx bench/image-features.ts\`. Machine: ${machineLine()}; load average ${load1.toFixed(1)} after the timing.

Softmax heads on MVSA-Single's fixed split (train ${train.length} / val ${val.length} / test ${test.length}${unreadable.size ? `; ${unreadable.size} unreadable photos left out` : ''}),
Adam lr 0.003, early stopping on val loss (patience 8), seed ${SEED}. For each feature set and class weighting
(balanced, or its square root) the L2 strength (${L2.join(', ')}) is chosen by val macro-F1; **bold**: the weighting
chosen by val macro-F1, which is also re-fitted with seeds ${SEEDS.join(', ')} (last column) to show how much a
single seed moves the score. Majority class on test: accuracy ${f(majority)}.

Human (\`@vladmandic/human\` 3.3.6 models, asset \`${HUMAN_ASSET}\`, \`src/models/human-features.ts\`): BlazeFace
(min score 0.5, up to 10 faces) → emotion (7 classes) on each face crop; CenterNet COCO (min score 0.3, up to 20
objects); the photo decoded at up to 512 px on its longest side. Vector (179): faces (count, best score, summed and
largest face-box share), emotion (area-weighted mean and per-class max over faces of the 7 probabilities), objects
(count; per class the summed and maximum score). A face was found in ${faceShare} of ${everyone.length} photos (${pctOf(faceShare)}), an object in
${objShare} (${pctOf(objShare)}).

### Photo only

${table(photo)}

Test macro-F1 difference to MobileNetV2 alone (val-chosen rows, seed ${SEED}; paired bootstrap, 1000 resamples):

${diffs(photo, photo.chosen[0] as Row)}

### With the text (MiniLM sentence embedding, concatenated; heads trained on MVSA train only)

${table(fused)}

Test macro-F1 difference to MiniLM + MobileNetV2 (paired bootstrap, 1000 resamples):

${diffs({ chosen: fused.chosen.slice(1) }, fused.chosen[1] as Row)}

### Cost

Encode time per photo on one wasm thread, warm, ${sample.length} test photos, decode included:
Human with objects (faces + emotion + CenterNet, up to 512 px) ${ms(humanTime)}; Human faces + emotion only
(\`objects: false\`) ${ms(faceTime)}; MobileNetV2 (224 px) ${ms(mobileTime)}.
Model files: BlazeFace 0.6 MB, emotion 0.8 MB, CenterNet 4.2 MB (asset 5.7 MB).
`;
writeSection('image-features', md);
process.stdout.write(md);
