/**
 * Trains the multimodal model from ../shared/data exactly as `reviewlens train` does (same seed), checks
 * that it reproduces the committed artifact's version, and writes the held-out scores to
 * docs/benchmarks.md: first the product's own domain (the star-balanced e-commerce test split, by shop,
 * and FDU-MTL's 14 product domains), then MVSA-Single (text + photo, text only, photo only, with bootstrap
 * intervals), UCI Amazon / Yelp polarity, calibration, mismatch, sarcasm and the damaged-product photo head.
 *
 *   npm run bench:model                                   # trains (about 15 minutes with a warm feature cache)
 *   npm run bench:model -- --artifact artifacts/reviewlens-fusion.json   # reports the figures a training run stored
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
const argAt = process.argv.indexOf('--artifact');
const fromArtifact = argAt > 0 ? process.argv[argAt + 1] : undefined;
const a = fromArtifact
  ? (JSON.parse(readFileSync(fromArtifact, 'utf8')) as Awaited<ReturnType<typeof trainMultimodal>>)
  : await trainMultimodal({
      modelsDir: cfg.models.dir,
      cacheDir: join(ROOT, '.cache', 'features'),
      out: join(tmpdir(), `reviewlens-bench-${process.pid}.json`),
      threads: cfg.models.threads,
      log: (m) => process.stderr.write(`${m}\n`),
    });
const m = a.metrics as any;
const e = m.ecommerce;
const t = m.test;
const f = (x: number) => x.toFixed(3);
const ci = (c: { low: number; high: number }) => `[${f(c.low)}, ${f(c.high)}]`;
const row = (name: string, r: any) =>
  `| ${name} | ${f(r.accuracy)} | ${f(r.macro_f1)} | ${r.macro_f1_ci ? ci(r.macro_f1_ci) : '-'} | ${r.per_class_f1.map(f).join(' / ')} |`;
const pct = (x: number | null) => (x === null ? '-' : f(x));
const ecomRow = (name: string, r: any) =>
  `| ${name} | ${r.n} | ${f(r.accuracy)} | ${f(r.macro_f1)} | ${ci(r.macro_f1_ci)} | ${r.per_class_f1.map(f).join(' / ')} | ${pct(r.binary_polarity)} |`;
const ecomMd = e
  ? `### Product reviews (the product's own domain)

Star-balanced test split of \`../shared/data/ecommerce-reviews\` (\`data/splits/ecommerce.json\`: for each set, the same
number of reviews per star; never used to choose anything), text only, as the server answers. Labels from stars: 1-2
negative, 3 neutral, 4-5 positive. Binary polarity: positive vs negative probability on the reviews that are not 3-star.

| set | n | accuracy | macro-F1 | macro-F1 95% CI | F1 negative / neutral / positive | binary polarity |
|---|---|---|---|---|---|---|
${ecomRow('**all star-rated test reviews**', e.test)}
${Object.entries(e.test_by_source)
  .map(([k, r]) => ecomRow(k, r))
  .join('\n')}
${ecomRow('val split (chose the class offsets; not held out)', e.val)}

By length of the review (characters), all star-rated test reviews:

| length | n | accuracy | macro-F1 | macro-F1 95% CI | F1 negative / neutral / positive | binary polarity |
|---|---|---|---|---|---|---|
${Object.entries(e.test_by_length ?? {})
  .map(([k, r]) => ecomRow(k.replace(/^\d: /, ''), r))
  .join('\n')}

FDU-MTL's published test split (14 Amazon product domains, binary; the first 150 of each domain's 400 reviews; never trained on), binary polarity:
${Object.entries(e.fdu_test_by_domain)
  .map(([k, r]: [string, any]) => `${k} ${f(r.binary_polarity)}`)
  .join(', ')}.
${e.val_choice ? `\nClass offsets chosen on the val split (negative, neutral, positive): ${e.val_choice.offsets.join(', ')}; temperature ${e.val_choice.temperature}.\n` : ''}
`
  : '';
const md = `## Multimodal model quality (issues 3 and 13)

Command: \`npm run bench:model\` (trains with seed 42 and scores on held-out data; this run's weights
${a.params.weights_sha256 === committed.params.weights_sha256 ? 'are identical to' : 'DIFFER FROM'} those of the committed artifact \`${committed.version}\`${fromArtifact ? `; figures read from \`${fromArtifact}\`, stored by the training run that made it` : ''}).

${ecomMd}### MVSA-Single (tweets with photos: an auxiliary set)

MVSA-Single: the fixed, seeded, stratified test split in \`data/splits/mvsa-single.json\` (n = ${t.fused.n}), never trained on;
95% intervals by bootstrap (1,000 resamples). UCI Amazon and Yelp: never trained on. Machine: ${machineLine()}.

| MVSA-Single test | accuracy | macro-F1 | macro-F1 95% CI | F1 negative / neutral / positive |
|---|---|---|---|---|
| majority class (reference) | ${f(t.majority_class_accuracy)} | - | - | - |
${row('text + photo (served with a photo)', t.fused)}
${row('text, in-domain stacker (benchmark rival)', t.text_in_domain)}
${row('text, review model (served without a photo)', t.text)}
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

Sarcasm: word n-grams trained on the Twitter sarcasm train set (hashtag labels), Platt-scaled on ${m.sarcasm.calibration_n}
human-labelled \`valid2\` tweets; flagged at a calibrated probability of ${m.sarcasm.threshold}; scored on the other half of
\`valid2\` and on MUStARD, which neither step saw. Its probability is one of the review model's features.

| sarcasm, calibrated | accuracy | precision | recall | F1 | n | sarcastic share |
|---|---|---|---|---|---|---|
| Twitter sarcasm valid2, human labels (held-out half) | ${f(m.sarcasm.valid2_human_heldout.accuracy)} | ${f(m.sarcasm.valid2_human_heldout.precision)} | ${f(m.sarcasm.valid2_human_heldout.recall)} | ${f(m.sarcasm.valid2_human_heldout.f1)} | ${m.sarcasm.valid2_human_heldout.n} | ${f(m.sarcasm.valid2_human_heldout.positive_share)} |
| MUStARD utterances (TV dialogue, other domain) | ${f(m.sarcasm.mustard.accuracy)} | ${f(m.sarcasm.mustard.precision)} | ${f(m.sarcasm.mustard.recall)} | ${f(m.sarcasm.mustard.f1)} | ${m.sarcasm.mustard.n} | ${f(m.sarcasm.mustard.positive_share)} |
`;
writeSection('model-quality', md);
process.stdout.write(md);
