/**
 * Trains the multimodal model from ../shared/data exactly as `reviewlens train` does (same seed), checks
 * that it reproduces the committed artifact's version, and writes the held-out scores to
 * docs/benchmarks.md: MVSA-Single test split (text + photo, text only, photo only, with bootstrap
 * intervals), UCI Amazon / Yelp polarity, calibration, mismatch and sarcasm.
 *
 *   npm run bench:model
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/core/index.js';
import { machineLine, writeSection } from '../src/evaluation/index.js';
import { trainMultimodal } from '../src/training/index.js';

const ROOT = join(import.meta.dirname, '..');
const committed = JSON.parse(readFileSync(join(ROOT, 'artifacts', 'reviewlens-fusion.json'), 'utf8')) as {
  version: string;
  params: { weights_sha256?: string };
};
const cfg = loadConfig({ cwd: ROOT });
const out = join(tmpdir(), `reviewlens-bench-${process.pid}.json`);
const a = await trainMultimodal({
  modelsDir: cfg.models.dir,
  cacheDir: join(ROOT, '.cache', 'features'),
  out,
  threads: cfg.models.threads,
  log: (m) => process.stderr.write(`${m}\n`),
});
const m = a.metrics as any;
const t = m.test;
const f = (x: number) => x.toFixed(3);
const ci = (c: { low: number; high: number }) => `[${f(c.low)}, ${f(c.high)}]`;
const row = (name: string, r: any) =>
  `| ${name} | ${f(r.accuracy)} | ${f(r.macro_f1)} | ${r.macro_f1_ci ? ci(r.macro_f1_ci) : '-'} | ${r.per_class_f1.map(f).join(' / ')} |`;
const md = `## Multimodal model quality (issue 3)

Command: \`npm run bench:model\` (trains with seed 42 and scores on held-out data; this run's weights
${a.params.weights_sha256 === committed.params.weights_sha256 ? 'are identical to' : 'DIFFER FROM'} those of the committed artifact \`${committed.version}\`).
MVSA-Single: the fixed, seeded, stratified test split in \`data/splits/mvsa-single.json\` (n = ${t.fused.n}), never trained on;
95% intervals by bootstrap (1,000 resamples). UCI Amazon and Yelp: never trained on. Machine: ${machineLine()}.

| MVSA-Single test | accuracy | macro-F1 | macro-F1 95% CI | F1 negative / neutral / positive |
|---|---|---|---|---|
| majority class (reference) | ${f(t.majority_class_accuracy)} | - | - | - |
${row('text + photo (served with a photo)', t.fused)}
${row('text, in-domain stacker (benchmark rival)', t.text_in_domain)}
${row('text, general models (served without a photo)', t.text)}
${row('photo only', t.image)}

Photo's contribution (paired bootstrap of the macro-F1 difference on the same examples):
text + photo minus in-domain text = ${f(t.fused_minus_text_in_domain_macro_f1.estimate)}, 95% CI ${ci(t.fused_minus_text_in_domain_macro_f1)};
text + photo minus served text = ${f(t.fused_minus_text_macro_f1.estimate)}, 95% CI ${ci(t.fused_minus_text_macro_f1)}.

| product-review polarity (text only, served model) | accuracy | n |
|---|---|---|
| UCI Amazon cell phones | ${f(m.product_polarity.amazon.accuracy)} | ${m.product_polarity.amazon.n} |
| UCI Yelp | ${f(m.product_polarity.yelp.accuracy)} | ${m.product_polarity.yelp.n} |

Calibration of the text + photo head on the MVSA test split (expected calibration error, 10 bins):
${f(t.calibration.ece_before)} before, ${f(t.calibration.ece_after)} after temperature scaling (T = ${t.calibration.temperature}, fitted on the val split).

Mismatch flag (text and photo heads on opposite sides, each at least ${t.mismatch.threshold}): it fires on
${t.mismatch.flagged.n} of ${t.fused.n} test pairs; accuracy there ${f(t.mismatch.flagged.fused_accuracy)} (text + photo) vs ${f(t.mismatch.not_flagged.fused_accuracy)} on the rest. The data
here has one label per pair, not separate text and photo labels, so precision against true text/photo
disagreement cannot be measured with it.

| sarcasm (word n-grams trained on Twitter sarcasm train) | accuracy | precision | recall | F1 | n |
|---|---|---|---|---|---|
| Twitter sarcasm valid2, human labels | ${f(m.sarcasm.twitter_valid2_human.accuracy)} | ${f(m.sarcasm.twitter_valid2_human.precision)} | ${f(m.sarcasm.twitter_valid2_human.recall)} | ${f(m.sarcasm.twitter_valid2_human.f1)} | ${m.sarcasm.twitter_valid2_human.n} |
| MUStARD utterances (TV dialogue, other domain) | ${f(m.sarcasm.mustard_utterances.accuracy)} | ${f(m.sarcasm.mustard_utterances.precision)} | ${f(m.sarcasm.mustard_utterances.recall)} | ${f(m.sarcasm.mustard_utterances.f1)} | ${m.sarcasm.mustard_utterances.n} |
`;
writeSection('model-quality', md);
process.stdout.write(md);
