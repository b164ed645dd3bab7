/**
 * Keep synthetic data only if it helps (issue 16): two artifacts trained alike (same seed, the shipped recipe), one
 * with synthetic reviews in its e-commerce training split (`reviewlens train --synthetic FILE`), scored on real
 * reviews only, each answered as the server answers it (src/sentiment Analyzer through `analyzerUnderTest` and
 * `scoreItems`, as `reviewlens eval` scores a model): the e-commerce val split (the decision), the star-balanced
 * e-commerce test split and MVSA-Single's test split (text + photo; reported only). Per set: accuracy, macro-F1,
 * F1 per class for both, and the paired bootstrap 95% interval of the difference (with - without) of macro-F1
 * (`pairedBootstrapDiff`) and accuracy (`pairedMeanDiff`), 2,000 resamples from a fixed seed.
 *
 *   npm run bench:synthetic-training -- --without tmp/base.json --with tmp/with-synth.json
 *
 * Writes the section `synthetic-training` of docs/benchmarks.md and data/synthesis/with-without.json (served by
 * GET /api/synthesis, shown on the Synthesis page). Decision rule: DECISION_RULE in src/synthesis.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { loadConfig } from '../src/core/index.js';
import { machineLine, writeSection } from '../src/evaluation/index.js';
import { analyzerUnderTest, argmax, type EvalSet, scoreItems } from '../src/evaluation/report/index.js';
import { type FusionArtifact, loadArtifactEncoders, parseArtifact } from '../src/models/index.js';
import { Analyzer } from '../src/sentiment/index.js';
import {
  compareOnSet,
  DECISION_RULE,
  decide,
  type SetComparison,
  TRAINING_COMPARISON_FILE,
  TRAINING_COMPARISON_PATH,
  type TrainingComparison,
} from '../src/synthesis/index.js';
import { readImageSource } from '../src/training/image-source.js';
import { ECOMMERCE_SPLIT_FILE, loadEcommerce, loadMvsa, MVSA_SPLIT_FILE, mvsaSplit } from '../src/training/index.js';

const ROOT = join(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const withPath = arg('--with');
const withoutPath = arg('--without');
if (!withPath || !withoutPath) {
  process.stderr.write('usage: npm run bench:synthetic-training -- --without BASE.json --with WITH-SYNTH.json\n');
  process.exit(2);
}
/** `--dry N`: the first N reviews of each set, nothing written (a smoke test of the bench itself). */
const DRY = arg('--dry') === undefined ? undefined : Number(arg('--dry'));
const BOOT = { resamples: Number(arg('--resamples') ?? 2000), seed: Number(arg('--seed') ?? 11) };
const log = (m: string) => process.stderr.write(`${m}\n`);
const cfg = loadConfig({ cwd: ROOT });

// Real reviews only: the e-commerce val split decides; its test split and MVSA-Single's test split are reported.
const ecom = loadEcommerce();
const mvsa = loadMvsa();
const mvsaTest = new Set(mvsaSplit(mvsa).test);
const ecomItems = (es: typeof ecom.val) =>
  es.map((e) => ({
    id: e.id,
    text: e.text,
    label: e.label,
    source: e.source,
    ...(e.domain ? { domain: e.domain } : {}),
  }));
const sets: Array<EvalSet & { role: SetComparison['role'] }> = [
  {
    name: 'e-commerce val',
    role: 'decision',
    origin: `val split of ${ECOMMERCE_SPLIT_FILE} (MARC + women's clothing, star-balanced)`,
    items: ecomItems(ecom.val),
    skipped: [],
    notes: [],
  },
  {
    name: 'e-commerce test',
    role: 'reported',
    origin: `test split of ${ECOMMERCE_SPLIT_FILE} (MARC, women's clothing, Yelp; star-balanced)`,
    items: ecomItems(ecom.test),
    skipped: [],
    notes: [],
  },
  {
    name: 'MVSA-Single test',
    role: 'reported',
    origin: `test split of ${MVSA_SPLIT_FILE} (text + photo)`,
    items: mvsa.filter((e) => mvsaTest.has(e.id)).map((e) => ({ ...e })),
    skipped: [],
    notes: [],
  },
];
for (const s of sets) {
  const before = s.items.length;
  s.items = s.items.filter((e) => e.text.length <= cfg.limits.maxTextChars);
  if (s.items.length < before) log(`${s.name}: ${before - s.items.length} reviews over limits.maxTextChars left out`);
  if (DRY !== undefined) s.items = s.items.slice(0, DRY);
}

const load = (p: string) => parseArtifact(readFileSync(p), p) as FusionArtifact;
const without = load(withoutPath);
const withSynth = load(withPath);
const synth = (withSynth.params as { synthetic?: TrainingComparison['with']['synthetic'] & { rows?: number } })
  .synthetic;
if (!synth) log(`warning: ${withPath} records no synthetic training data (params.synthetic)`);
if ((without.params as { synthetic?: unknown }).synthetic)
  log(`warning: ${withoutPath} was trained with synthetic data`);

/** Served predictions (argmax of the answer the server gives) of one artifact on every set, in set order. */
async function served(a: FusionArtifact): Promise<Map<string, number[]>> {
  const enc = await loadArtifactEncoders(cfg.models, a);
  try {
    const analyzer = new Analyzer(a, enc, { ...cfg.limits }, cfg.models.useImage);
    const t0 = Date.now();
    const items = await scoreItems(analyzerUnderTest(analyzer), sets, {
      readImage: (ref) => readImageSource(ref),
      log,
    });
    log(`${a.name}@${a.version}: ${items.length} reviews in ${Math.round((Date.now() - t0) / 1000)} s`);
    const out = new Map<string, number[]>();
    for (const s of sets) out.set(s.name, []);
    for (const r of items) out.get(r.set)?.push(argmax(r.fused));
    return out;
  } finally {
    await enc.text.dispose();
    await enc.image.dispose();
  }
}

const pWithout = await served(without);
const pWith = await served(withSynth);
const comparisons = sets.map((s) =>
  compareOnSet(
    s.name,
    s.role,
    s.items.map((e) => ['negative', 'neutral', 'positive'].indexOf(e.label)),
    pWithout.get(s.name) as number[],
    pWith.get(s.name) as number[],
    BOOT,
  ),
);
const decision = decide(comparisons);
const command = `npm run bench:synthetic-training -- --without ${relative(ROOT, withoutPath)} --with ${relative(ROOT, withPath)}`;
const result: TrainingComparison = {
  created_at: new Date().toISOString(),
  command,
  machine: machineLine(),
  bootstrap: BOOT,
  decision_rule: DECISION_RULE,
  decision,
  without: { model: `${without.name}@${without.version}`, artifact: basename(withoutPath) },
  with: {
    model: `${withSynth.name}@${withSynth.version}`,
    artifact: basename(withPath),
    synthetic: synth
      ? {
          file: synth.file,
          sha256: synth.sha256,
          used: synth.used,
          by_label: synth.by_label,
          real_by_label: synth.real_by_label,
          by_generator: synth.by_generator,
        }
      : null,
  },
  sets: comparisons,
};
if (DRY === undefined) {
  mkdirSync(dirname(TRAINING_COMPARISON_PATH), { recursive: true });
  writeFileSync(`${TRAINING_COMPARISON_PATH}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(`${TRAINING_COMPARISON_PATH}.tmp`, TRAINING_COMPARISON_PATH);
}

const f = (x: number) => x.toFixed(3);
const d = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(4);
const ci = (i: { estimate: number; low: number; high: number }) => `${d(i.estimate)} [${d(i.low)}, ${d(i.high)}]`;
const pc = (p: Record<string, number>) =>
  `${f(p.negative as number)} / ${f(p.neutral as number)} / ${f(p.positive as number)}`;
const rows = comparisons
  .flatMap((c) => [
    `| ${c.set}${c.role === 'decision' ? ' (decides)' : ''} | ${c.n} | without | ${f(c.without.accuracy)} | ${f(c.without.macro_f1)} | ${pc(c.without.per_class_f1)} |`,
    `| | | with | ${f(c.with.accuracy)} | ${f(c.with.macro_f1)} | ${pc(c.with.per_class_f1)} |`,
  ])
  .join('\n');
const diffs = comparisons.map((c) => `| ${c.set} | ${ci(c.macro_f1_diff)} | ${ci(c.accuracy_diff)} |`).join('\n');
const counts = (c: Record<string, number>) => `${c.negative} negative / ${c.neutral} neutral / ${c.positive} positive`;
const md = `## Synthetic data in training: with vs without (issue 16)

Command: \`${command}\` (${machineLine()}). Both artifacts trained by \`reviewlens train --no-register\` with seed 42
and the shipped recipe; "with" adds \`--synthetic FILE\`: ${
  synth
    ? `${synth.used} synthetic reviews (\`${synth.file}\`, sha256 ${synth.sha256.slice(0, 12)}; ${counts(synth.by_label)}; generators ${Object.entries(
        synth.by_generator,
      )
        .map(([g, n]) => `${g} ${n}`)
        .join(', ')}) beside ${counts(synth.real_by_label)} real training reviews`
    : 'no synthetic rows recorded'
}, in the e-commerce training split of the review text model only (never val or test). Models: without
\`${result.without.model}\`, with \`${result.with.model}\`.

Scored on real reviews only, each answered as the server answers it (text, and the photo on MVSA-Single). The
e-commerce val split decides; the test splits are reported and were not used to choose anything. Intervals: paired
bootstrap (the same resampled reviews for both models), ${BOOT.resamples} resamples, seed ${BOOT.seed}.

| set | n | model | accuracy | macro-F1 | F1 negative / neutral / positive |
|---|---|---|---|---|---|
${rows}

| set | macro-F1 with - without, 95% CI | accuracy with - without, 95% CI |
|---|---|---|
${diffs}

Decision rule: ${DECISION_RULE}. Result: **${decision.include ? 'include synthetic data' : 'the default stays without synthetic data'}** (${decision.reason}).
The comparison is kept in \`${TRAINING_COMPARISON_FILE}\` and shown by \`GET /api/synthesis\` and the web UI's Synthesis page.
`;
if (DRY === undefined) writeSection('synthetic-training', md);
process.stdout.write(md);
