/**
 * Active learning vs random sampling on MVSA-Single (issue 8): a simulated human answers with the gold
 * labels; the model (softmax head on MiniLM embeddings + lexicon features) is retrained after every batch
 * and scored by macro-F1 on a fixed, stratified test set no strategy may pick from.
 *
 *   npm run bench:active-learning
 *
 * Strategies (same seeds, same random start): random; uncertainty (margin) alone; uncertainty + diversity
 * (k-center greedy on the embeddings, weight 0.5: what the review queue uses).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/core/index.js';
import { seededRandom, shuffleInPlace } from '../src/core/random.js';
import { SENTIMENTS } from '../src/core/types.js';
import { classificationMetrics, machineLine, writeSection } from '../src/evaluation/index.js';
import { argmax, HEAD_OPTIONS, labelingFeatures, selectBatch, stratifiedFolds } from '../src/labeling/index.js';
import { SoftmaxHead } from '../src/models/index.js';
import { loadMvsa } from '../src/training/index.js';

const ROOT = join(import.meta.dirname, '..');
const cfg = loadConfig({ cwd: ROOT });
const SEEDS = [1, 2, 3, 4, 5];
const START = 50;
const BATCH = 50;
const MAX = 800;
const log = (m: string) => process.stderr.write(`${m}\n`);

const data = loadMvsa();
const y = data.map((e) => SENTIMENTS.indexOf(e.label));
const { features, embeddings } = await labelingFeatures(
  data.map((e) => e.text),
  { modelsDir: cfg.models.dir, cacheDir: join(ROOT, '.cache', 'features'), threads: cfg.models.threads, log },
);
// A fixed test fifth (stratified), the rest is the pool.
const fold = stratifiedFolds(y, 5, 20261125);
const test = data.map((_, i) => i).filter((i) => fold[i] === 0);
const pool = data.map((_, i) => i).filter((i) => fold[i] !== 0);

function trainAndScore(labelled: number[], seed: number): { f1: number; head: SoftmaxHead } {
  const head = SoftmaxHead.train(
    labelled.map((i) => features[i] as Float32Array),
    labelled.map((i) => y[i] as number),
    3,
    { ...HEAD_OPTIONS, seed },
  );
  const pred = test.map((i) => argmax(head.predict(features[i] as Float32Array)));
  return {
    f1: classificationMetrics(
      test.map((i) => y[i] as number),
      pred,
      3,
    ).macro_f1,
    head,
  };
}

type Strategy = 'random' | 'uncertainty' | 'uncertainty+diversity';
const STRATEGIES: Strategy[] = ['random', 'uncertainty', 'uncertainty+diversity'];
const sizes: number[] = [];
for (let n = START; n <= MAX; n += BATCH) sizes.push(n);
const curves: Record<Strategy, number[][]> = { random: [], uncertainty: [], 'uncertainty+diversity': [] };

for (const seed of SEEDS) {
  const order = shuffleInPlace([...pool], seededRandom(seed));
  const start = order.slice(0, START);
  for (const s of STRATEGIES) {
    const labelled = [...start];
    const taken = new Set(labelled);
    const curve: number[] = [];
    for (;;) {
      const { f1, head } = trainAndScore(labelled, seed);
      curve.push(f1);
      if (labelled.length >= MAX) break;
      const rest = pool.filter((i) => !taken.has(i));
      let pick: number[];
      if (s === 'random') {
        pick = order.filter((i) => !taken.has(i)).slice(0, BATCH);
      } else {
        const probs = rest.map((i) => head.predict(features[i] as Float32Array));
        const chosen = selectBatch(
          probs,
          rest.map((i) => embeddings[i] as Float32Array),
          labelled.map((i) => embeddings[i] as Float32Array),
          BATCH,
          { alpha: s === 'uncertainty' ? 1 : 0.5, kind: 'margin' },
        );
        pick = chosen.map((c) => rest[c.index] as number);
      }
      for (const i of pick) {
        labelled.push(i);
        taken.add(i);
      }
    }
    curves[s].push(curve);
    log(`seed ${seed} ${s}: ${curve.map((v) => v.toFixed(3)).join(' ')}`);
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const meanCurve = (s: Strategy) => sizes.map((_, k) => mean(curves[s].map((c) => c[k] as number)));
const sdCurve = (s: Strategy) => sizes.map((_, k) => sd(curves[s].map((c) => c[k] as number)));
const m = Object.fromEntries(STRATEGIES.map((s) => [s, meanCurve(s)])) as Record<Strategy, number[]>;
const v = Object.fromEntries(STRATEGIES.map((s) => [s, sdCurve(s)])) as Record<Strategy, number[]>;

/** Labels a mean curve needs to reach `target` (linear between measured sizes); null when it never does. */
function labelsToReach(curve: number[], target: number): number | null {
  for (let k = 0; k < curve.length; k++) {
    if ((curve[k] as number) >= target) {
      if (k === 0) return sizes[0] as number;
      const a = curve[k - 1] as number;
      const b = curve[k] as number;
      return Math.round((sizes[k - 1] as number) + ((target - a) / (b - a)) * BATCH);
    }
  }
  return null;
}

// The plot.
const W = 560;
const H = 360;
const P = 50;
const lo = Math.floor(Math.min(...STRATEGIES.flatMap((s) => m[s])) * 20) / 20;
const hi = Math.ceil(Math.max(...STRATEGIES.flatMap((s) => m[s])) * 20) / 20;
const px = (n: number) => P + ((n - START) / (MAX - START)) * (W - 2 * P);
const py = (f: number) => H - P - ((f - lo) / (hi - lo)) * (H - 2 * P);
const colors: Record<Strategy, string> = {
  random: '#7f7f7f',
  uncertainty: '#ff7f0e',
  'uncertainty+diversity': '#1f77b4',
};
const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
  '<rect width="100%" height="100%" fill="white"/>',
  `<line x1="${P}" y1="${H - P}" x2="${W - P}" y2="${H - P}" stroke="black"/>`,
  `<line x1="${P}" y1="${P}" x2="${P}" y2="${H - P}" stroke="black"/>`,
  `<text x="${W / 2}" y="${H - 12}" text-anchor="middle">human labels</text>`,
  `<text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">macro-F1 (MVSA-Single test fifth, mean of ${SEEDS.length} seeds)</text>`,
  ...sizes
    .filter((_, k) => k % 3 === 0)
    .map((n) => `<text x="${px(n)}" y="${H - P + 14}" text-anchor="middle">${n}</text>`),
  ...Array.from({ length: Math.round((hi - lo) / 0.05) + 1 }, (_, k) => lo + k * 0.05).map(
    (f) => `<text x="${P - 6}" y="${py(f) + 4}" text-anchor="end">${f.toFixed(2)}</text>`,
  ),
  ...STRATEGIES.map(
    (s) =>
      `<polyline fill="none" stroke="${colors[s]}" stroke-width="2" points="${sizes.map((n, k) => `${px(n).toFixed(1)},${py(m[s][k] as number).toFixed(1)}`).join(' ')}"/>`,
  ),
  ...STRATEGIES.map(
    (s, k) => `<text x="${W - P - 150}" y="${H - P - 14 * (STRATEGIES.length - k)}" fill="${colors[s]}">${s}</text>`,
  ),
  '</svg>',
].join('\n');
writeFileSync(join(ROOT, 'docs', 'active-learning.svg'), `${svg}\n`);

const f3 = (x: number) => x.toFixed(3);
const table = sizes
  .map(
    (n, k) => `| ${n} | ${STRATEGIES.map((s) => `${f3(m[s][k] as number)} ± ${f3(v[s][k] as number)}`).join(' | ')} |`,
  )
  .join('\n');
const savings = [200, 400, 600, 800]
  .map((n) => {
    const target = m.random[sizes.indexOf(n)] as number;
    const al = labelsToReach(m['uncertainty+diversity'], target);
    const un = labelsToReach(m.uncertainty, target);
    const fmt = (x: number | null) =>
      x === null ? `not reached by ${MAX}` : `${x} (saves ${n - x}, ${((100 * (n - x)) / n).toFixed(0)}%)`;
    return `| ${n} | ${f3(target)} | ${fmt(al)} | ${fmt(un)} |`;
  })
  .join('\n');

// Paired by seed: mean macro-F1 difference to random over the rounds from 400 labels on.
const from = sizes.indexOf(400);
const paired = (st: Strategy) =>
  SEEDS.map((_, r) =>
    mean(
      sizes.slice(from).map((_, k) => (curves[st][r]?.[from + k] as number) - (curves.random[r]?.[from + k] as number)),
    ),
  );
const pairedRow = (st: Strategy) => {
  const d = paired(st);
  return `| ${st} | ${d.map((x) => (x >= 0 ? '+' : '') + x.toFixed(3)).join(' | ')} | ${(mean(d) >= 0 ? '+' : '') + mean(d).toFixed(3)} |`;
};

const md = `## Labeling: active learning vs random (issue 8)

Command: \`npm run bench:active-learning\`. A simulated human answers with MVSA-Single's gold labels. Test set: a fixed
stratified fifth of \`labeled.jsonl\` (n = ${test.length}), never picked; pool: the other ${pool.length}. Each run starts from the same
${START} random labels (per seed), adds ${BATCH} labels per round up to ${MAX}, and retrains the softmax head (MiniLM
embeddings + lexicon features) after each round. Seeds ${SEEDS.join(', ')}; mean ± standard deviation of macro-F1
over the seeds. Diversity = k-center greedy on the MiniLM embeddings against everything already labelled, mixed
0.5 : 0.5 with the margin uncertainty (the review queue's order). Plot: [active-learning.svg](active-learning.svg).
Machine: ${machineLine()}.

| human labels | ${STRATEGIES.join(' | ')} |
|---|---|---|---|
${table}

Labels needed to reach the macro-F1 random sampling reaches with N labels (linear between measured points, on the mean curves):

| N (random) | macro-F1 of random | uncertainty + diversity needs | uncertainty alone needs |
|---|---|---|---|
${savings}

Random sampling levels off from about 400 labels, so the savings at 600 and 800 mostly measure how early each
strategy passes that plateau. Per seed, the mean macro-F1 difference to random over the rounds from 400 to ${MAX} labels
(same seed, same start):

| strategy | ${SEEDS.map((x) => `seed ${x}`).join(' | ')} | mean |
|---|${SEEDS.map(() => '---|').join('')}---|
${pairedRow('uncertainty')}
${pairedRow('uncertainty+diversity')}
`;
writeSection('active-learning', md);
log(md);
