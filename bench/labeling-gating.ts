/**
 * Confidence-gated auto-labelling on MVSA-Single (issue 8). The gold labels are hidden from every
 * labeler and fitted part and used only to score: 5 stratified folds; for each test fold, the classifier
 * head is trained on three other folds, the ensemble's calibration and the proposed thresholds are fitted
 * on the remaining fold, and only the test fold is scored. Every scored item was unseen by every fitted part.
 *
 *   npm run bench:labeling
 *
 * Labelers: the classifier (a softmax head on MiniLM embeddings + lexicon features, the production model's
 * in-domain text head trained fresh per fold: the shipped model itself was trained on MVSA's train split and
 * would be scoring its own training items) and the lexicon (VADER). The LLM labeler is not run: no LLM
 * server is reachable here.
 *
 * Product reviews (a second section): the model artifact's shipped calibration and thresholds (its `labeling`
 * block, fitted at train time) applied to held-out e-commerce reviews it never trained on: the star-balanced test
 * split (`loadEcommerce().test`, 3 classes) and FDU-MTL's test split (binary). Reports coverage and precision of
 * auto-accepted labels, the queued share and how often the queued suggestion is right, and ECE before and after
 * calibration. An artifact without a `labeling` block: the bench says so and fits one on `loadEcommerce().val`.
 *
 *   npm run bench:labeling -- [--artifact artifacts/reviewlens-fusion.json] [--only mvsa|products] [--limit N]
 *
 * `--limit N` scores a seeded sample of N reviews per product set (and of the val split) and writes nothing to
 * docs/benchmarks.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadConfig } from '../src/core/index.js';
import { seededRandom, shuffleInPlace } from '../src/core/random.js';
import { SENTIMENTS, type Sentiment, scoresFromArray } from '../src/core/types.js';
import { machineLine, writeSection } from '../src/evaluation/index.js';
import {
  argmax,
  ClassifierLabeler,
  calibrate,
  calibrateOnLabelled,
  DEFAULT_THRESHOLDS,
  DEFAULT_WEIGHTS,
  type Decision,
  decisionReport,
  Ensemble,
  fitCalibration,
  fitShippedCalibration,
  type GateReport,
  gate,
  gateReport,
  HEAD_OPTIONS,
  LexiconLabeler,
  labelingFeatures,
  NO_CALIBRATION,
  poolVotes,
  proposeThresholds,
  reliability,
  reliabilitySvg,
  SHIPPED_LABELERS,
  type ShippedLabeling,
  shippedPooledLogits,
  stratifiedFolds,
  type Thresholds,
  type Vote,
} from '../src/labeling/index.js';
import { loadEncoders, parseArtifact, SoftmaxHead } from '../src/models/index.js';
import { Analyzer } from '../src/sentiment/index.js';
import { BUNDLED_ARTIFACT } from '../src/server/index.js';
import { loadEcommerce } from '../src/training/ecommerce.js';
import { loadMvsa, mvsaSplit } from '../src/training/index.js';

const ROOT = join(import.meta.dirname, '..');
const cfg = loadConfig({ cwd: ROOT });
const K = 5;
const SEED = 20261125;
const TARGET = 0.9;
const log = (m: string) => process.stderr.write(`${m}\n`);
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ARTIFACT = resolve(arg('--artifact') ?? BUNDLED_ARTIFACT);
const ONLY = arg('--only');
const LIMIT = arg('--limit') !== undefined ? Number(arg('--limit')) : undefined;
if (LIMIT !== undefined && !(Number.isInteger(LIMIT) && LIMIT >= 40))
  throw new Error('--limit must be an integer >= 40');
if (ONLY !== undefined && ONLY !== 'mvsa' && ONLY !== 'products') throw new Error('--only must be mvsa or products');

/** Wilson 95% interval of a proportion. */
function wilson(k: number, m: number): string {
  if (!m) return '-';
  const z = 1.96;
  const p = k / m;
  const d = 1 + (z * z) / m;
  const c = (p + (z * z) / (2 * m)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / m + (z * z) / (4 * m * m))) / d;
  return `[${(c - h).toFixed(3)}, ${(c + h).toFixed(3)}]`;
}
const f3 = (v: number | null) => (v === null ? '-' : v.toFixed(3));
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const gateRow = (name: string, t: string, g: GateReport) =>
  `| ${name} | ${t} | ${pct(g.coverage)} (${g.accepted}) | ${f3(g.precision)} | ${g.precision === null ? '-' : wilson(Math.round(g.precision * g.accepted), g.accepted)} | ${pct(g.queued / g.n)} (${g.queued}) | ${f3(g.queuedAccuracy)} | ${pct(g.discarded / g.n)} |`;

/** MVSA-Single: cross-validated gating, and the production model on MVSA's test split. */
async function mvsaSection(): Promise<void> {
  const data = loadMvsa();
  const y = data.map((e) => SENTIMENTS.indexOf(e.label));
  log(`MVSA-Single: ${data.length} labelled items`);
  const { features } = await labelingFeatures(
    data.map((e) => e.text),
    { modelsDir: cfg.models.dir, cacheDir: join(ROOT, '.cache', 'features'), threads: cfg.models.threads, log },
  );
  const lexicon = new LexiconLabeler();
  const lexVotes: Vote[] = [];
  for (const e of data) {
    const o = await lexicon.label({ id: e.id, text: e.text });
    lexVotes.push({
      labeler: 'lexicon',
      label: o.label,
      confidence: o.confidence,
      ...(o.probs ? { probs: o.probs } : {}),
    });
  }

  const fold = stratifiedFolds(y, K, SEED);
  const n = data.length;
  const raw = new Array<number>(n).fill(0);
  const cal = new Array<number>(n).fill(0);
  const rawCorrect = new Array<boolean>(n).fill(false);
  const calCorrect = new Array<boolean>(n).fill(false);
  const clfCorrect = new Array<boolean>(n).fill(false);
  const lexCorrect = new Array<boolean>(n).fill(false);
  const proposedGate = new Array<Decision>(n);
  const proposals: Array<Thresholds & { coverage: number; precision: number | null }> = [];
  for (let f = 0; f < K; f++) {
    const c = (f + 1) % K;
    const tr = data.map((_, i) => i).filter((i) => fold[i] !== f && fold[i] !== c);
    const head = SoftmaxHead.train(
      tr.map((i) => features[i] as Float32Array),
      tr.map((i) => y[i] as number),
      3,
      { ...HEAD_OPTIONS, seed: SEED },
    );
    const votesOf = (i: number): Vote[] => {
      const p = head.predict(features[i] as Float32Array, 1);
      return [{ labeler: 'classifier', label: null, confidence: 0, probs: scoresFromArray(p) }, lexVotes[i] as Vote];
    };
    const calIdx = data.map((_, i) => i).filter((i) => fold[i] === c);
    const calibration = fitCalibration(
      calIdx.map((i) => poolVotes(votesOf(i)) as Float64Array),
      calIdx.map((i) => y[i] as number),
      { source: `fold ${c}` },
    );
    const onCal = calIdx.map((i) => calibrate(calibration, poolVotes(votesOf(i)) as Float64Array));
    const proposal = proposeThresholds(
      onCal.map((r) => r.confidence),
      onCal.map((r, j) => r.label === y[calIdx[j] as number]),
      { targetPrecision: TARGET },
    );
    proposals.push(proposal);
    for (let i = 0; i < n; i++) {
      if (fold[i] !== f) continue;
      const v = votesOf(i);
      const z = poolVotes(v) as Float64Array;
      const r0 = calibrate({ method: 'none', temperature: 1 }, z);
      const r1 = calibrate(calibration, z);
      raw[i] = r0.rawConfidence;
      rawCorrect[i] = r0.label === y[i];
      cal[i] = r1.confidence;
      calCorrect[i] = r1.label === y[i];
      clfCorrect[i] = argmax(head.predict(features[i] as Float32Array, 1)) === y[i];
      lexCorrect[i] = SENTIMENTS.indexOf(lexVotes[i]?.label ?? 'neutral') === y[i];
      proposedGate[i] = gate(r1.confidence, proposal);
    }
    log(
      `fold ${f}: calibration T=${calibration.temperature}, proposed accept ${proposal.accept} review ${proposal.review}`,
    );
  }

  const share = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;
  const relRaw = reliability(raw, rawCorrect);
  const relCal = reliability(cal, calCorrect);
  const seedRaw = gateReport(raw, rawCorrect, DEFAULT_THRESHOLDS);
  const seedCal = gateReport(cal, calCorrect, DEFAULT_THRESHOLDS);
  // The proposed thresholds differ per fold: score each item at its own fold's thresholds.
  const prop = decisionReport(proposedGate, calCorrect);

  const meanOf = (k: 'accept' | 'review') => proposals.reduce((s, p) => s + p[k], 0) / proposals.length;

  // --- the shipped production model as the classifier labeler, on the MVSA test split it never trained on ---
  const artifact = parseArtifact(readFileSync(ARTIFACT), ARTIFACT);
  const testIds = new Set(mvsaSplit(data).test);
  const testItems = data.filter((e) => testIds.has(e.id));
  log(`production model ${artifact.version} on the ${testItems.length} MVSA test-split items (text + photo)`);
  const enc = await loadEncoders({
    modelsDir: cfg.models.dir,
    threads: cfg.models.threads,
    ...artifact.encoders,
  });
  const prodReport = await calibrateOnLabelled(
    new Ensemble([new ClassifierLabeler(new Analyzer(artifact, enc, { ...cfg.limits }, true)), lexicon]),
    testItems.map((e) => ({
      id: e.id,
      text: e.text,
      label: e.label,
      ...(e.image ? { photo: readFileSync(e.image) } : {}),
    })),
    {
      targetPrecision: TARGET,
      seedThresholds: DEFAULT_THRESHOLDS,
      source: 'mvsa test split',
      progress: (d, t) => log(`  ${d}/${t}`),
    },
  );
  await enc.text.dispose();
  await enc.image.dispose();

  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  writeFileSync(
    join(ROOT, 'docs', 'labeling-reliability.svg'),
    reliabilitySvg([
      { name: `pooled, uncalibrated (ECE ${relRaw.ece.toFixed(3)})`, bins: relRaw.bins, color: '#d62728' },
      { name: `calibrated (ECE ${relCal.ece.toFixed(3)})`, bins: relCal.bins, color: '#1f77b4' },
    ]),
  );

  const md = `## Labeling: confidence-gated auto-labels (issue 8)

Command: \`npm run bench:labeling\`. Data: MVSA-Single \`labeled.jsonl\` (n = ${n}); gold labels hidden from the
labelers and used only to score. ${K} stratified folds (seed ${SEED}); for each test fold the classifier head is
trained on three other folds, the calibration (temperature + isotonic) and the proposed thresholds are fitted on
the fifth, and only the test fold is scored; the tables pool the ${K} test folds, so each of the ${n} items is scored
once, by parts that never saw it. Labelers: **classifier** (softmax head on MiniLM embeddings + lexicon features,
trained fresh per fold; the shipped production model was trained on MVSA's train split, so it is not scored here)
and **lexicon** (VADER), pooled log-linearly (weights classifier 1, lexicon ${DEFAULT_WEIGHTS.lexicon}). **No LLM labeler ran**: no LLM
server is reachable on this machine (its code path is tested against a local stand-in server only). Text only:
photos are not used by these two labelers. Machine: ${machineLine()}.

Accuracy of the top label: classifier ${f3(share(clfCorrect))}, lexicon ${f3(share(lexCorrect))}, ensemble ${f3(share(calCorrect))}.

| gate | thresholds (accept / review) | auto-accepted (coverage) | precision of accepted | 95% CI (Wilson) | to human queue | suggestion right in queue | discarded |
|---|---|---|---|---|---|---|---|
${gateRow('seed thresholds, uncalibrated confidence', '0.90 / 0.70', seedRaw)}
${gateRow('seed thresholds, calibrated confidence', '0.90 / 0.70', seedCal)}
${gateRow(`calibrated thresholds (target precision ${TARGET}, chosen on the calibration fold)`, `${meanOf('accept').toFixed(3)} / ${meanOf('review').toFixed(3)} (mean of ${K} folds)`, prop)}

### The shipped production model as the classifier labeler

The production model (\`${artifact.name}@${artifact.version}\`, text + photo) with the lexicon, on the ${prodReport.n} items of
MVSA's fixed test split (\`data/splits/mvsa-single.json\`), which that model never trained on (it trained on the train split).
Calibration and proposed thresholds are 2-fold cross-fitted on these items (each half scored by parts fitted on the other
half), the same procedure as \`reviewlens label calibrate\`. Ensemble accuracy ${f3(prodReport.accuracy)}; ECE uncalibrated
${prodReport.heldOut.eceBefore.toFixed(3)}, calibrated ${prodReport.heldOut.eceAfter.toFixed(3)}.

| gate | thresholds (accept / review) | auto-accepted (coverage) | precision of accepted | 95% CI (Wilson) | to human queue | suggestion right in queue | discarded |
|---|---|---|---|---|---|---|---|
${gateRow('seed thresholds, uncalibrated confidence', '0.90 / 0.70', prodReport.heldOut.seedUncalibrated)}
${gateRow('seed thresholds, calibrated confidence', '0.90 / 0.70', prodReport.heldOut.seed)}
${gateRow(`calibrated thresholds (target ${TARGET}, fitted on the other half)`, 'per half', prodReport.heldOut.proposed)}

Thresholds proposed on all ${prodReport.n} items: accept ${prodReport.proposed.accept.toFixed(3)}, review ${prodReport.proposed.review.toFixed(3)}.

### Fold details (cross-validated classifier head)

Proposed thresholds per fold (accept / review): ${proposals.map((p) => `${p.accept.toFixed(3)} / ${p.review.toFixed(3)}`).join('; ')}.

Reliability (10 equal-width bins; ECE uncalibrated ${relRaw.ece.toFixed(3)}, calibrated ${relCal.ece.toFixed(3)}); diagram: [labeling-reliability.svg](labeling-reliability.svg).

| confidence bin | n uncalibrated | mean conf. | accuracy | n calibrated | mean conf. | accuracy |
|---|---|---|---|---|---|---|
${relRaw.bins
  .map((b, i) => {
    const c = relCal.bins[i] as (typeof relCal.bins)[number];
    return `| ${b.lower.toFixed(1)}-${b.upper.toFixed(1)} | ${b.count} | ${b.count ? b.confidence.toFixed(3) : '-'} | ${b.count ? b.accuracy.toFixed(3) : '-'} | ${c.count} | ${c.count ? c.confidence.toFixed(3) : '-'} | ${c.count ? c.accuracy.toFixed(3) : '-'} |`;
  })
  .join('\n')}
`;
  writeSection('labeling-gating', md);
  log(md);
}

// --- product reviews: the shipped calibration and thresholds on held-out e-commerce reviews ---

/** Gate figures and ECE of pooled (classifier + lexicon) confidences on labelled items, raw and calibrated. */
function scoreSet(
  items: ReadonlyArray<{ text: string; label: Sentiment }>,
  probs: ReadonlyArray<readonly number[]>,
  block: ShippedLabeling,
) {
  const rawConf: number[] = [];
  const rawRight: boolean[] = [];
  const calConf: number[] = [];
  const calRight: boolean[] = [];
  let clfRight = 0;
  items.forEach((e, i) => {
    const p = probs[i] as readonly number[];
    const y = SENTIMENTS.indexOf(e.label);
    const z = shippedPooledLogits(e.text, p);
    const r0 = calibrate(NO_CALIBRATION, z);
    const r1 = calibrate(block.calibration, z);
    rawConf.push(r0.rawConfidence);
    rawRight.push(r0.label === y);
    calConf.push(r1.confidence);
    calRight.push(r1.label === y);
    if (argmax(p) === y) clfRight++;
  });
  return {
    n: items.length,
    classifierAccuracy: clfRight / items.length,
    ensembleAccuracy: calRight.filter(Boolean).length / items.length,
    eceBefore: reliability(rawConf, rawRight).ece,
    eceAfter: reliability(calConf, calRight).ece,
    before: gateReport(rawConf, rawRight, DEFAULT_THRESHOLDS),
    seedCalibrated: gateReport(calConf, calRight, DEFAULT_THRESHOLDS),
    shipped: gateReport(calConf, calRight, block.thresholds),
  };
}

async function productSection(): Promise<void> {
  const artifact = parseArtifact(readFileSync(ARTIFACT), ARTIFACT);
  const eco = loadEcommerce();
  // Reviews longer than the analyzer's text limit are left out (\`label run\` records them as failed).
  const maxChars = cfg.limits.maxTextChars;
  const tooLong: Record<string, number> = {};
  const sample = <T extends { text: string }>(xs: T[], name: string): T[] => {
    const ok = xs.filter((e) => e.text.length <= maxChars);
    tooLong[name] = xs.length - ok.length;
    return LIMIT === undefined ? ok : shuffleInPlace(ok, seededRandom(SEED)).slice(0, LIMIT);
  };
  const sets = [
    {
      name: 'star-rated test split',
      what: `\`loadEcommerce().test\`: star-balanced MARC, women's clothing and Yelp reviews (3 classes from stars), never trained on`,
      items: sample(eco.test, 'star-rated test split'),
    },
    {
      name: 'FDU-MTL test split',
      what: '`loadEcommerce().fduTest`: 14 Amazon product domains, binary (a neutral answer counts as wrong)',
      items: sample(eco.fduTest, 'FDU-MTL test split'),
    },
  ];
  const enc = await loadEncoders({
    modelsDir: cfg.models.dir,
    threads: cfg.models.threads,
    ...artifact.encoders,
  });
  const analyzer = new Analyzer(artifact, enc, { ...cfg.limits }, false);
  const probsOf = async (name: string, xs: ReadonlyArray<{ text: string }>): Promise<number[][]> => {
    const out: number[][] = [];
    for (const [i, e] of xs.entries()) {
      const a = await analyzer.analyze({ text: e.text });
      out.push([a.scores.negative, a.scores.neutral, a.scores.positive]);
      if ((i + 1) % 500 === 0 || i + 1 === xs.length) log(`  ${name}: ${i + 1}/${xs.length}`);
    }
    return out;
  };
  let block = artifact.labeling;
  let origin: string;
  if (block) {
    origin = `shipped with the artifact (fitted at train time${block.calibration.fittedOn ? ` on ${block.calibration.fittedOn.source}, n = ${block.calibration.fittedOn.n}` : ''})`;
    if (block.labelers.join(',') !== SHIPPED_LABELERS.join(','))
      log(
        `warning: the shipped calibration is for labelers ${block.labelers.join(', ')}, scored here as classifier + lexicon`,
      );
  } else {
    const val = sample(eco.val, 'val');
    log(
      `the artifact ${ARTIFACT} has no labeling block: fitting one here on loadEcommerce().val (${val.length} reviews)`,
    );
    const p = await probsOf('val', val);
    block = fitShippedCalibration(
      val.map((e, i) => ({
        text: e.text,
        classifierProbs: p[i] as number[],
        label: SENTIMENTS.indexOf(e.label) as 0 | 1 | 2,
      })),
      { source: 'loadEcommerce().val (bench fallback)' },
    );
    origin = `**not shipped**: the artifact has no \`labeling\` block, so this bench fitted one with \`fitShippedCalibration\` on \`loadEcommerce().val\` (n = ${val.length}, star-balanced, disjoint from the test split)`;
  }
  const results = [];
  for (const s of sets) {
    log(`${s.name}: ${s.items.length} reviews`);
    results.push({ ...s, r: scoreSet(s.items, await probsOf(s.name, s.items), block) });
  }
  await enc.text.dispose();
  await enc.image.dispose();
  const t = block.thresholds;
  const md = `## Labeling on product reviews: the model's shipped calibration and thresholds

Command: \`npm run bench:labeling -- --only products${LIMIT !== undefined ? ` --limit ${LIMIT}` : ''}\`${LIMIT !== undefined ? ` (**a sample of ${LIMIT} per set**, seed ${SEED})` : ''}. Model \`${artifact.name}@${artifact.version}\`
(\`${relative(ROOT, ARTIFACT)}\`), text only (these reviews have no photos), with the lexicon (VADER), pooled as the runtime
ensemble pools them; no LLM. Calibration and thresholds: ${origin}: ${block.calibration.method}, temperature
${block.calibration.temperature}; accept >= ${t.accept.toFixed(3)}, review >= ${t.review.toFixed(3)}${block.report ? ` (held-out at fit time: precision ${f3(block.report.precision)}, coverage ${pct(block.report.coverage)}, ECE ${block.report.ece_before.toFixed(3)} -> ${block.report.ece_after.toFixed(3)})` : ''}.
"Before" is what a fresh install did without a calibration: the seed thresholds 0.90 / 0.70 on the uncalibrated
pooled confidence. Machine: ${machineLine()}.

${results
  .map(
    ({ name, what, r }) => `### ${name} (n = ${r.n})

${what}${tooLong[name] ? ` (${tooLong[name]} review${tooLong[name] === 1 ? '' : 's'} of the set over ${maxChars} characters left out)` : ''}. Accuracy of the top label: classifier ${f3(r.classifierAccuracy)}, ensemble ${f3(r.ensembleAccuracy)}. ECE uncalibrated ${r.eceBefore.toFixed(3)}, calibrated ${r.eceAfter.toFixed(3)}.

| gate | thresholds (accept / review) | auto-accepted (coverage) | precision of accepted | 95% CI (Wilson) | to human queue | suggestion right in queue | discarded |
|---|---|---|---|---|---|---|---|
${gateRow('before: seed thresholds, uncalibrated confidence', '0.90 / 0.70', r.before)}
${gateRow('seed thresholds, calibrated confidence', '0.90 / 0.70', r.seedCalibrated)}
${gateRow('shipped thresholds, calibrated confidence (a fresh install now)', `${t.accept.toFixed(3)} / ${t.review.toFixed(3)}`, r.shipped)}
`,
  )
  .join('\n')}`;
  if (LIMIT === undefined) writeSection('labeling-gating-products', md);
  else log('(--limit given: docs/benchmarks.md not written)');
  log(md);
}

if (ONLY !== 'products') await mvsaSection();
if (ONLY !== 'mvsa') await productSection();
