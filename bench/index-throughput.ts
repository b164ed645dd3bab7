/**
 * Bulk indexing throughput (issue 15): the real indexer (content-hash ids, dedup look-up, photo kept in
 * the blob store without EXIF, MiniLM and MobileNetV2 encoding, batched LanceDB writes, background index
 * maintenance, the final one included) on real product reviews from ../shared/data/ecommerce-reviews,
 * text-only and with real product photos, with 1 and 2 inference threads. The text encoder alone on the
 * same texts is timed too: when indexing runs at nearly its rate, the load is bound by the encoders.
 *
 *   npm run bench:index-throughput        (BENCH_TEXTS=640 BENCH_PHOTOS=128)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig, seededRandom, shuffleInPlace } from '../src/core/index.js';
import { machineLine, writeSection } from '../src/evaluation/index.js';
import { loadEncoders, MiniLmTextEncoder, resolveAsset, TEXT_BATCH_SIZE } from '../src/models/index.js';
import {
  LanceReviewIndex,
  lanceBackend,
  ReviewIndexer,
  type ReviewInput,
  reviewEncoders,
} from '../src/retrieval/index.js';
import { LocalBlobStore } from '../src/storage/index.js';
import { loadStarSet } from '../src/training/ecommerce.js';
import { IMAGE_ENCODER, loadProductPhotos, TEXT_ENCODER } from '../src/training/index.js';

const TEXTS = Number(process.env.BENCH_TEXTS ?? 640);
const PHOTOS = Number(process.env.BENCH_PHOTOS ?? 128);
const BATCH = 64;
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

interface Run {
  threads: number;
  encoderTextsPerS: number;
  textsPerS: number;
  photosPerS: number;
  finalMaintenanceS: number;
  /** The encoder alone on the same texts, by batch size (texts per ONNX run): texts/s, best of two. */
  byBatch: { batchSize: number; textsPerS: number }[];
  /** Largest absolute difference of a vector coordinate between batch sizes (against batch 1). */
  maxBatchDiff: number;
}

const BATCH_SIZES = [1, 4, 8, 16, 32];

async function child(threads: number): Promise<Run> {
  const config = loadConfig();
  const rand = seededRandom(15);
  const reviews = [...loadStarSet('marc'), ...loadStarSet('womens-clothing')];
  shuffleInPlace(reviews, rand);
  const photos = loadProductPhotos();
  shuffleInPlace(photos, rand);
  const encoders = await loadEncoders({
    modelsDir: config.models.dir,
    threads,
    text: TEXT_ENCODER,
    image: IMAGE_ENCODER,
  });
  const texts = reviews.slice(0, TEXTS);
  // Warm-up, then the encoder alone on other reviews of the same sets.
  await encoders.text.encode(reviews.slice(TEXTS, TEXTS + 32).map((r) => r.text));
  const alone = reviews.slice(TEXTS + 32, TEXTS + 32 + 320).map((r) => r.text);
  const tEnc = performance.now();
  for (let s = 0; s < alone.length; s += BATCH) await encoders.text.encode(alone.slice(s, s + BATCH));
  const encoderTextsPerS = alone.length / ((performance.now() - tEnc) / 1000);
  // The encoder's own batch size (texts per ONNX run), each on the same texts, two rounds, best kept.
  const textDir = await resolveAsset(config.models.dir, TEXT_ENCODER);
  const bySize = await Promise.all(
    BATCH_SIZES.map((batchSize) => MiniLmTextEncoder.load({ assetDir: textDir, id: TEXT_ENCODER, threads, batchSize })),
  );
  const byBatch = BATCH_SIZES.map((batchSize) => ({ batchSize, textsPerS: 0 }));
  for (let round = 0; round < 2; round++) {
    for (const [i, enc] of bySize.entries()) {
      await enc.encode(alone.slice(0, 8));
      const t = performance.now();
      for (let s = 0; s < alone.length; s += BATCH) await enc.encode(alone.slice(s, s + BATCH));
      const rate = alone.length / ((performance.now() - t) / 1000);
      const row = byBatch[i] as { textsPerS: number };
      row.textsPerS = Math.max(row.textsPerS, rate);
    }
  }
  // The same vectors at every batch size? Largest absolute difference of any coordinate against batch 1.
  const ref = await (bySize[0] as MiniLmTextEncoder).encode(alone);
  let maxBatchDiff = 0;
  for (const enc of bySize.slice(1)) {
    (await enc.encode(alone)).forEach((v, i) => {
      const r = ref[i] as Float32Array;
      for (let d = 0; d < v.length; d++)
        maxBatchDiff = Math.max(maxBatchDiff, Math.abs((v[d] as number) - (r[d] as number)));
    });
  }
  await Promise.all(bySize.map((e) => e.dispose()));

  const dir = mkdtempSync(join(tmpdir(), 'reviewlens-ingest-'));
  const index = await LanceReviewIndex.open({
    uri: join(dir, 'index'),
    textDim: encoders.text.dim,
    imageDim: encoders.image.dim,
    maintenanceSeconds: config.retrieval.maintenanceSeconds,
    maintenanceRows: config.retrieval.maintenanceRows,
  });
  const indexer = new ReviewIndexer(
    lanceBackend(index),
    reviewEncoders(encoders, config.limits),
    new LocalBlobStore(join(dir, 'blobs')),
  );
  const asInput = (r: (typeof reviews)[number]): ReviewInput => ({
    text: r.text,
    rating: r.rating ?? null,
    label: r.label ?? null,
    source: 'bench',
  });
  const t0 = performance.now();
  await indexer.index(texts.map(asInput), { batchSize: BATCH });
  const textsPerS = texts.length / ((performance.now() - t0) / 1000);
  const withPhotos: ReviewInput[] = reviews
    .slice(TEXTS + 400, TEXTS + 400 + PHOTOS)
    .map((r, i) => ({ ...asInput(r), image: readFileSync((photos[i % photos.length] as { image: string }).image) }));
  const t1 = performance.now();
  await indexer.index(withPhotos, { batchSize: BATCH });
  const photosPerS = withPhotos.length / ((performance.now() - t1) / 1000);
  const t2 = performance.now();
  await index.close(); // runs the maintenance the last writes still need
  const finalMaintenanceS = (performance.now() - t2) / 1000;
  rmSync(dir, { recursive: true, force: true });
  await encoders.text.dispose();
  await encoders.image.dispose();
  return { threads, encoderTextsPerS, textsPerS, photosPerS, finalMaintenanceS, byBatch, maxBatchDiff };
}

if (process.env.BENCH_CHILD_THREADS) {
  process.stdout.write(JSON.stringify(await child(Number(process.env.BENCH_CHILD_THREADS))));
} else {
  const runs: Run[] = [];
  const loads: string[] = [];
  for (const threads of [1, 2]) {
    loads.push(readFileSync('/proc/loadavg', 'utf8').split(' ')[0] as string);
    log(`indexing with ${threads} thread(s), load average ${loads.at(-1)}`);
    // Each thread count in its own process: the TF.js wasm thread pool is sized once per process.
    const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename], {
      env: { ...process.env, BENCH_CHILD_THREADS: String(threads) },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (r.status !== 0) throw new Error(`child with ${threads} threads failed (${r.status})`);
    runs.push(JSON.parse(r.stdout) as Run);
  }
  writeSection(
    'index-throughput',
    `## Bulk indexing throughput (issue 15)

Command: \`npm run bench:index-throughput\`. The real indexer (\`ReviewIndexer\`, as \`reviewlens index\` and the
pipeline run it: content-hash ids, dedup look-up, photo stored without EXIF, MiniLM and MobileNetV2 encoding, batches
of ${BATCH} written to LanceDB, index maintenance in the background and once more at close) on ${TEXTS} real product reviews
(Amazon MARC and a women's-clothing shop, ../shared/data/ecommerce-reviews) without photos, then ${PHOTOS} others each with a
real product photo (../shared/data/product-photos, up to 384 px). "Encoder alone": MiniLM on 320 other reviews of the
same sets, ${BATCH} per call, run by the encoder in batches of ${TEXT_BATCH_SIZE} (its default, \`TEXT_BATCH_SIZE\`). ${machineLine()}. 1-minute load average before each run: ${loads.join(', ')}.

| inference threads | encoder alone, texts/s | indexing text-only, reviews/s | indexing with photos, reviews/s | final maintenance at close, s |
|---|---|---|---|---|
${runs.map((r) => `| ${r.threads} | ${r.encoderTextsPerS.toFixed(1)} | ${r.textsPerS.toFixed(1)} | ${r.photosPerS.toFixed(1)} | ${r.finalMaintenanceS.toFixed(1)} |`).join('\n')}

The encoder alone by its batch size (texts per ONNX run; the same 320 reviews, ${BATCH} per call, best of two rounds;
largest difference of a vector coordinate against batch 1: ${runs.map((r) => `${r.maxBatchDiff.toExponential(1)} at ${r.threads} thread(s)`).join(', ')}), texts/s:

| inference threads | ${BATCH_SIZES.map((b) => `batch ${b}`).join(' | ')} |
|---|${BATCH_SIZES.map(() => '---|').join('')}
${runs.map((r) => `| ${r.threads} | ${r.byBatch.map((b) => b.textsPerS.toFixed(1)).join(' | ')} |`).join('\n')}
`,
  );
}
