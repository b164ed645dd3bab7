/**
 * Cost per text of the two text encoders on one inference thread: MiniLM (served) and USE-Lite (which
 * the text-feature benchmark found to lift Amazon/Yelp accuracy), one text at a time and in batches of 64,
 * on MVSA-Single tweets. Decides whether USE-Lite fits the text-only latency budget.
 *
 *   npm run bench:text-encoder-cost
 */
import { loadConfig } from '../src/core/index.js';
import { machineLine, percentile, writeSection } from '../src/evaluation/index.js';
import { MiniLmTextEncoder, resolveAsset } from '../src/models/index.js';
import { UseLiteTextEncoder } from '../src/models/use-encoder.js';
import { loadMvsa, sharedDataDir, TEXT_ENCODER } from '../src/training/index.js';

const N = Number(process.env.BENCH_N ?? 300);
const texts = loadMvsa(sharedDataDir())
  .slice(0, N)
  .map((e) => e.text);
const config = loadConfig();
const encoders = [
  await MiniLmTextEncoder.load({
    assetDir: await resolveAsset(config.models.dir, TEXT_ENCODER),
    id: TEXT_ENCODER,
    threads: 1,
  }),
  await UseLiteTextEncoder.load(),
];

const rows: string[] = [];
for (const enc of encoders) {
  await enc.encode(texts.slice(0, 20)); // warm-up
  const single: number[] = [];
  for (const t of texts) {
    const t0 = performance.now();
    await enc.encode([t]);
    single.push(performance.now() - t0);
  }
  const t0 = performance.now();
  for (let i = 0; i < texts.length; i += 64) await enc.encode(texts.slice(i, i + 64));
  const batched = (performance.now() - t0) / texts.length;
  rows.push(
    `| ${enc.id} | ${percentile(single, 50).toFixed(1)} | ${percentile(single, 95).toFixed(1)} | ${batched.toFixed(1)} |`,
  );
  await enc.dispose();
}

const md = `## Text encoder cost per text (issue 3)

Command: \`npm run bench:text-encoder-cost\` (BENCH_N=${N}). ${N} MVSA-Single tweets, one inference thread, after a warm-up;
one text per call (what a single request costs), then batches of 64 (mean per text). ${machineLine()}

| encoder | one at a time, p50 ms | one at a time, p95 ms | in batches of 64, ms per text |
|---|---|---|---|
${rows.join('\n')}
`;
writeSection('text-encoder-cost', md);
process.stdout.write(md);
