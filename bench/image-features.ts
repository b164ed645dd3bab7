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
import { type Example, loadMvsa } from '../src/training/datasets.js';
import { FeatureCache } from '../src/training/feature-cache.js';
import { IMAGE_ENCODER, mvsaSplit } from '../src/training/features.js';

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
const mobileTodo = mvsa.filter((e) => !mobileCache.get(keyOf(e)));
log(`MobileNetV2: ${mvsa.length - mobileTodo.length} cached, ${mobileTodo.length} to encode`);
for (const e of mobileTodo) {
  try {
    const img = await decodeImage(bytesOf.get(e.id) as Buffer, 224, LIMITS);
    mobileCache.set(keyOf(e), (await (await loadMobile()).encode([img]))[0] as Float32Array);
  } catch (err) {
    unreadable.add(e.id);
    log(`  ${e.image} unreadable: ${(err as Error).message.split('\n')[0]}`);
  }
}
mobileCache.save();

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
const humanMs: number[] = [];
const mobileMs: number[] = [];
const mob = await loadMobile();
for (const e of sample) {
  const b = bytesOf.get(e.id) as Buffer;
  let t = performance.now();
  await human.encodeBytes(b, LIMITS);
  humanMs.push(performance.now() - t);
  t = performance.now();
  await mob.encode([await decodeImage(b, 224, LIMITS)]);
  mobileMs.push(performance.now() - t);
}
const load1 = os.loadavg()[0] as number;
await human.dispose();
await mob.dispose();
log(
  `encode ms p50/p95: Human ${percentile(humanMs, 50).toFixed(0)}/${percentile(humanMs, 95).toFixed(0)}, ` +
    `MobileNetV2 ${percentile(mobileMs, 50).toFixed(0)}/${percentile(mobileMs, 95).toFixed(0)} (load ${load1.toFixed(1)})`,
);

// --- Heads. ---
const usable = (es: Example[]) => es.filter((e) => !unreadable.has(e.id));
const [train, val, test] = [usable(pick(split.train)), usable(pick(split.val)), usable(pick(split.test))];
const ys = (es: Example[]) => es.map((e) => SENTIMENTS.indexOf(e.label as Sentiment));
const mobileOf = (e: Example) => mobileCache.get(keyOf(e)) as Float32Array;
const humanOf = (e: Example) => humanCache.get(keyOf(e)) as Float32Array;
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

const featureSets: Array<{ name: string; of: (e: Example) => Float32Array }> = [
  { name: 'MobileNetV2 (1280)', of: mobileOf },
  { name: 'Human, all (179)', of: humanOf },
  { name: 'Human, faces + emotion (18)', of: faceEmotion },
  { name: 'Human, objects (161)', of: objects },
  { name: 'MobileNetV2 + Human, all (1459)', of: (e) => cat(mobileOf(e), humanOf(e)) },
  { name: 'MobileNetV2 + Human faces + emotion (1298)', of: (e) => cat(mobileOf(e), faceEmotion(e)) },
  { name: 'MobileNetV2 + Human objects (1441)', of: (e) => cat(mobileOf(e), objects(e)) },
];

const counts = [0, 0, 0];
for (const c of ys(train)) counts[c] = (counts[c] as number) + 1;
const balanced = counts.map((c) => train.length / (3 * c));
const weightings = [
  { name: 'balanced', w: balanced },
  { name: 'sqrt-balanced', w: balanced.map(Math.sqrt) },
];
const L2 = [1e-3, 1e-2, 1e-1];
const argmax = (p: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < p.length; i++) if ((p[i] as number) > (p[b] as number)) b = i;
  return b;
};

interface Row {
  set: string;
  weighting: string;
  l2: number;
  valF1: number;
  acc: number;
  f1: number;
  pred: number[];
}
const rows: Row[] = [];
const yTrain = ys(train);
const yVal = ys(val);
const yTest = ys(test);
for (const fs of featureSets) {
  const [xTrain, xVal, xTest] = [train.map(fs.of), val.map(fs.of), test.map(fs.of)];
  for (const wt of weightings) {
    let best: Row | null = null;
    for (const l2 of L2) {
      const head = SoftmaxHead.train(xTrain, yTrain, 3, {
        seed: SEED,
        epochs: 100,
        patience: 8,
        batchSize: 64,
        learningRate: 0.003,
        l2,
        classWeights: wt.w,
        validation: { x: xVal, y: yVal },
      });
      const valF1 = classificationMetrics(
        yVal,
        xVal.map((v) => argmax(head.predict(v))),
        3,
      ).macro_f1;
      if (best && valF1 <= best.valF1) continue;
      const pred = xTest.map((v) => argmax(head.predict(v)));
      const m = classificationMetrics(yTest, pred, 3);
      best = { set: fs.name, weighting: wt.name, l2, valF1, acc: m.accuracy, f1: m.macro_f1, pred };
    }
    rows.push(best as Row);
    log(
      `${fs.name} / ${wt.name}: l2 ${best?.l2}, val F1 ${best?.valF1.toFixed(3)}, test acc ${best?.acc.toFixed(3)} F1 ${best?.f1.toFixed(3)}`,
    );
  }
}

// The val-chosen weighting per feature set, and paired bootstraps against MobileNetV2 alone.
const chosen = featureSets.map((fs) =>
  rows.filter((r) => r.set === fs.name).reduce((a, b) => (b.valF1 > a.valF1 ? b : a)),
);
const base = chosen[0] as Row;
const f = (x: number) => x.toFixed(3);
const ci = (i: { low: number; high: number }) => `[${f(i.low)}, ${f(i.high)}]`;
const majority = Math.max(...[0, 1, 2].map((c) => yTest.filter((y) => y === c).length)) / yTest.length;
const faceShare = [...train, ...val, ...test].filter((e) => (humanOf(e)[0] as number) > 0).length;
const objShare = [...train, ...val, ...test].filter(
  (e) => (humanOf(e)[HUMAN_FEATURE_GROUPS.objects[0]] as number) > 0,
).length;
const all = train.length + val.length + test.length;

const md = `## Photo features: MobileNetV2 vs Human face / emotion / object features (issue 3)

Command: \`npx tsx bench/image-features.ts\`. Machine: ${machineLine()}; load average ${load1.toFixed(1)} during the timing.

Photo-only softmax heads on MVSA-Single's fixed split (train ${train.length} / val ${val.length} / test ${test.length} photos${unreadable.size ? `; ${unreadable.size} unreadable photos left out` : ''}),
seed ${SEED}, Adam lr 0.003, early stopping on val loss (patience 8). For each feature set and class weighting the L2
strength (${L2.join(', ')}) is chosen by val macro-F1; **bold**: the weighting chosen by val macro-F1. Majority class
on test: accuracy ${f(majority)}.

Human (\`@vladmandic/human\` 3.3.6 models, asset \`${HUMAN_ASSET}\`, \`src/models/human-features.ts\`): BlazeFace
(min score 0.5, up to 10 faces) → emotion (7 classes) on each face crop; CenterNet COCO (min score 0.3, up to 20
objects); the photo decoded at up to 512 px on its longest side. Vector: faces (count, best score, summed and largest
face-box share), emotion (area-weighted mean and max over faces of the 7 probabilities), objects (count; per class the
summed and maximum score). A face was found in ${faceShare} of ${all} photos (${((100 * faceShare) / all).toFixed(0)}%), an object in ${objShare} (${((100 * objShare) / all).toFixed(0)}%).

| photo features | class weights | L2 | val macro-F1 | test acc | test macro-F1 | test macro-F1 95% CI |
|---|---|---|---|---|---|---|
${rows
  .map((r) => {
    const b = chosen.includes(r) ? '**' : '';
    return `| ${r.set} | ${b}${r.weighting}${b} | ${r.l2} | ${f(r.valF1)} | ${f(r.acc)} | ${b}${f(r.f1)}${b} | ${ci(bootstrapMacroF1(yTest, r.pred, 3))} |`;
  })
  .join('\n')}

Test macro-F1 difference to MobileNetV2 alone (val-chosen weightings; paired bootstrap, 1000 resamples, 95% interval):

| photo features | Δ macro-F1 | 95% interval |
|---|---|---|
${chosen
  .slice(1)
  .map((r) => {
    const d = pairedBootstrapDiff(yTest, r.pred, base.pred, 3);
    return `| ${r.set} | ${d.estimate >= 0 ? '+' : ''}${f(d.estimate)} | ${ci(d)} |`;
  })
  .join('\n')}

Encode time per photo, one wasm thread, warm, ${sample.length} test photos (decode included):
Human (face + emotion + objects, up to 512 px) p50 ${percentile(humanMs, 50).toFixed(0)} ms, p95 ${percentile(humanMs, 95).toFixed(0)} ms;
MobileNetV2 (224 px) p50 ${percentile(mobileMs, 50).toFixed(0)} ms, p95 ${percentile(mobileMs, 95).toFixed(0)} ms.
Model files: BlazeFace 0.6 MB, emotion 0.8 MB, CenterNet 4.2 MB (5.7 MB in all).
`;
writeSection('image-features', md);
process.stdout.write(md);
