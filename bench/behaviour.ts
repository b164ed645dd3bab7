/**
 * Behaviour tests (CheckList, Ribeiro et al., ACL 2020): runs every case of data/behaviour/suite.json
 * through the served model, text only, prints the pass rate per capability and the failures, and writes
 * the `behaviour` section of docs/benchmarks.md.
 *
 *   npm run bench:behaviour                              (the shipped artifact)
 *   npm run bench:behaviour -- --artifact PATH           (or BENCH_ARTIFACT=PATH: another artifact file)
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/core/index.js';
import {
  BEHAVIOUR_SUITE,
  CAPABILITIES,
  loadBehaviourSuite,
  machineLine,
  runBehaviourSuite,
  writeSection,
} from '../src/evaluation/index.js';
import { loadEncoders, parseArtifact } from '../src/models/index.js';
import { Analyzer } from '../src/sentiment/index.js';
import { BUNDLED_ARTIFACT } from '../src/server/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { artifact: { type: 'string' } } });
const file = resolve(values.artifact ?? process.env.BENCH_ARTIFACT ?? BUNDLED_ARTIFACT);
const log = (m: string) => process.stderr.write(`${m}\n`);

const cases = loadBehaviourSuite();
const cfg = loadConfig({ cwd: ROOT });
const artifact = parseArtifact(readFileSync(file), file);
const enc = await loadEncoders({
  modelsDir: cfg.models.dir,
  threads: cfg.models.threads,
  ...artifact.encoders,
});
// Text only: the suite has no photos, and the longest case must fit the text limit.
const maxTextChars = Math.max(cfg.limits.maxTextChars, ...cases.map((c) => c.text.length));
const analyzer = new Analyzer(artifact, enc, { ...cfg.limits, maxTextChars }, false);
log(`${cases.length} cases, model ${artifact.name}@${artifact.version} (${file})`);
const t0 = performance.now();
const result = await runBehaviourSuite(cases, (text) => analyzer.analyze({ text }), {
  onProgress: (done, total) => {
    if (done % 50 === 0 || done === total) log(`${done}/${total}`);
  },
});
const seconds = (performance.now() - t0) / 1000;
await enc.text.dispose();
await enc.image.dispose();

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const cell = (s: string) => s.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
for (const cap of CAPABILITIES) {
  const r = result.byCapability[cap];
  if (!r) continue;
  log(`\n${cap}: ${r.passed}/${r.n} (${pct(r.rate)})`);
  for (const f of r.failures) log(`  ${f.id} expected ${f.expected}, got ${f.got}: ${cell(f.text)}`);
}

const rows = CAPABILITIES.flatMap((cap) => {
  const r = result.byCapability[cap];
  return r ? [`| ${cap} | ${r.n} | ${r.passed} | ${pct(r.rate)} |`] : [];
});
const examples = CAPABILITIES.flatMap((cap) => {
  const fs = result.byCapability[cap]?.failures.slice(0, 3) ?? [];
  return fs.map(
    (f) => `| ${cap} | ${f.id} | ${cell(f.text)}${f.text.length >= 160 ? '...' : ''} | ${f.expected} | ${f.got} |`,
  );
});
const md = `## Behaviour tests by capability (CheckList)

Command: \`npm run bench:behaviour\` (\`-- --artifact PATH\` or \`BENCH_ARTIFACT\` scores another artifact).
${cases.length} hand-labelled product reviews in \`${relative(ROOT, BEHAVIOUR_SUITE)}\`, grouped by capability in the manner of
CheckList (Ribeiro et al., ACL 2020); labels were written before any model was run on them. Model
\`${artifact.name}@${artifact.version}\` (\`${relative(ROOT, file)}\`), text only, answer = the served sentiment.
${result.overall.passed} of ${result.overall.n} passed (${pct(result.overall.rate)}) in ${seconds.toFixed(0)} s. Machine: ${machineLine()}.

| capability | cases | passed | pass rate |
|---|---|---|---|
${rows.join('\n')}
| all | ${result.overall.n} | ${result.overall.passed} | ${pct(result.overall.rate)} |

Failing examples (up to 3 per capability; text cut at 160 characters):

| capability | id | text | expected | got |
|---|---|---|---|---|
${examples.length ? examples.join('\n') : '| - | - | none | - | - |'}
`;
writeSection('behaviour', md);
process.stdout.write(md);
