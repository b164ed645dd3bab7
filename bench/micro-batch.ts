/**
 * Micro-batching of encoder calls: throughput of N concurrent single-item requests to MiniLM (texts)
 * and MobileNetV2 (photos), each encoder on one thread, called directly (one encoder call per request,
 * as the analyzer does today) and through the MicroBatcher (concurrent requests share encoder calls).
 * Texts and photos from MVSA-Single; photos are decoded before timing (the encoders are measured).
 *
 *   npx tsx bench/micro-batch.ts            (BENCH_N=200, BENCH_REPS=3, BENCH_MAX_BATCH=16, BENCH_MAX_WAIT_MS=2)
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { loadConfig } from '../src/core/config.js';
import { machineLine, percentile, writeSection } from '../src/evaluation/index.js';
import { type DecodedImage, decodeImage, loadEncoders } from '../src/models/index.js';
import { batchImageEncoder, batchTextEncoder } from '../src/models/micro-batch.js';
import { loadMvsa } from '../src/training/datasets.js';
import { IMAGE_ENCODER, TEXT_ENCODER } from '../src/training/features.js';

const N = Number(process.env.BENCH_N ?? 200);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const MAX_BATCH = Number(process.env.BENCH_MAX_BATCH ?? 16);
const MAX_WAIT_MS = Number(process.env.BENCH_MAX_WAIT_MS ?? 2);
const CONCURRENCY = [8, 16];
const LIMITS = { maxImageBytes: 50e6, maxImagePixels: 1e8 };
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

const config = loadConfig();
// One inference thread each: the batcher's gain must not come from extra threads.
const encoders = await loadEncoders({
  modelsDir: config.models.dir,
  threads: 1,
  text: TEXT_ENCODER,
  image: IMAGE_ENCODER,
});
const mvsa = loadMvsa();
const texts = mvsa.slice(0, N).map((e) => e.text);
const photos: DecodedImage[] = [];
for (const e of mvsa.slice(0, N)) {
  photos.push(await decodeImage(await readFile(e.image as string), encoders.image.inputSize, LIMITS));
}
log(`loaded ${texts.length} texts and ${photos.length} photos from MVSA-Single`);

interface Run {
  seconds: number;
  latencies: number[];
}

/** N requests, `concurrency` at a time, each one single-item call of `call(i)`. */
async function drive(concurrency: number, call: (i: number) => Promise<unknown>): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < N; i = next++) {
        const s = performance.now();
        await call(i);
        latencies.push(performance.now() - s);
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, latencies };
}

interface Row {
  encoder: string;
  concurrency: number;
  mode: string;
  perSecond: number;
  p50: number;
  p95: number;
  calls: number;
  meanBatch: number;
}

/** A run's summary as a table row. */
function row(encoder: string, concurrency: number, mode: string, run: Run, calls: number): Row {
  return {
    encoder,
    concurrency,
    mode,
    perSecond: N / run.seconds,
    p50: percentile(run.latencies, 50),
    p95: percentile(run.latencies, 95),
    calls,
    meanBatch: N / calls,
  };
}

/**
 * REPS runs of each mode, taken in turns (direct, batched, direct, ...) so that a change in the
 * machine's load hits both alike; each mode's row is its median-throughput run.
 */
async function measurePair(
  encoder: string,
  concurrency: number,
  direct: (i: number) => Promise<unknown>,
  batched: (i: number) => Promise<unknown>,
  /** Encoder calls the batched path has made so far (its batcher's batch count). */
  batches: () => number,
): Promise<Row[]> {
  const d: Run[] = [];
  const b: Array<Run & { calls: number }> = [];
  for (let r = 0; r < REPS; r++) {
    d.push(await drive(concurrency, direct));
    const before = batches();
    const run = await drive(concurrency, batched);
    b.push({ ...run, calls: batches() - before });
  }
  const median = <T extends Run>(runs: T[]): T =>
    [...runs].sort((x, y) => x.seconds - y.seconds)[Math.floor(runs.length / 2)] as T;
  const bm = median(b);
  const rows = [row(encoder, concurrency, 'direct', median(d), N), row(encoder, concurrency, 'batched', bm, bm.calls)];
  for (const r of rows)
    log(`${encoder} c=${concurrency} ${r.mode}: ${r.perSecond.toFixed(1)}/s, ${r.calls} encoder calls`);
  return rows;
}

const rows: Row[] = [];
const bt = batchTextEncoder(encoders.text, { maxBatch: MAX_BATCH, maxWaitMs: MAX_WAIT_MS });
const bi = batchImageEncoder(encoders.image, { maxBatch: MAX_BATCH, maxWaitMs: MAX_WAIT_MS });
const textCall = (enc: { encodeWithInfo(t: readonly string[]): Promise<unknown> }) => (i: number) =>
  enc.encodeWithInfo([texts[i] as string]);
const photoCall = (enc: { encode(p: readonly DecodedImage[]): Promise<unknown> }) => (i: number) =>
  enc.encode([photos[i] as DecodedImage]);

// Warm-up of both paths (first batched shapes allocate).
await drive(8, textCall(bt.encoder));
await drive(8, photoCall(bi.encoder));
const loadBefore = os.loadavg()[0] as number;

for (const c of CONCURRENCY) {
  rows.push(
    ...(await measurePair(
      'MiniLM (texts)',
      c,
      textCall(encoders.text),
      textCall(bt.encoder),
      () => bt.batcher.batches,
    )),
  );
}
for (const c of CONCURRENCY) {
  rows.push(
    ...(await measurePair(
      'MobileNetV2 (photos)',
      c,
      photoCall(encoders.image),
      photoCall(bi.encoder),
      () => bi.batcher.batches,
    )),
  );
}
const loadAfter = os.loadavg()[0] as number;

const unit = (r: Row) => (r.encoder.startsWith('MiniLM') ? 'texts/s' : 'photos/s');
const table = rows
  .map((r) => {
    const direct = rows.find((d) => d.encoder === r.encoder && d.concurrency === r.concurrency && d.mode === 'direct');
    const gain = r.mode === 'batched' && direct ? `×${(r.perSecond / direct.perSecond).toFixed(2)}` : '';
    return `| ${r.encoder} | ${r.concurrency} | ${r.mode} | ${r.perSecond.toFixed(1)} ${unit(r)} | ${gain} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.calls} | ${r.meanBatch.toFixed(1)} |`;
  })
  .join('\n');

const md = `## Micro-batching of encoder calls (issue 5)

Command: \`npx tsx bench/micro-batch.ts\` (BENCH_N=${N}, median of ${REPS} runs per row, the two modes taken in turns). ${N} single-item requests,
${CONCURRENCY.join(' or ')} in flight at a time, to each encoder on one inference thread: \`direct\` is one encoder
call per request (what the analyzer does without batching), \`batched\` goes through \`MicroBatcher\`
(\`maxBatch\` ${MAX_BATCH}, \`maxWaitMs\` ${MAX_WAIT_MS}; one batch runs while the next forms). Texts and photos from
MVSA-Single (\`../shared/data/mvsa-single\`); photos are decoded to 224×224 before timing, so the encoders alone are
measured. Latency is per request, from call to its own result.
Machine: ${machineLine()}; 1-minute load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after.

| encoder | concurrency | mode | throughput | vs direct | p50 ms | p95 ms | encoder calls | items per call |
|---|---|---|---|---|---|---|---|---|
${table}
`;
writeSection('micro-batch', md);
process.stdout.write(`${md}\n`);
await encoders.text.dispose();
await encoders.image.dispose();
