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
import { loadEncoders } from '../src/models/index.js';
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
}

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
  return { threads, encoderTextsPerS, textsPerS, photosPerS, finalMaintenanceS };
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
same sets, batches of ${BATCH}. ${machineLine()}. 1-minute load average before each run: ${loads.join(', ')}.

| inference threads | encoder alone, texts/s | indexing text-only, reviews/s | indexing with photos, reviews/s | final maintenance at close, s |
|---|---|---|---|---|
${runs.map((r) => `| ${r.threads} | ${r.encoderTextsPerS.toFixed(1)} | ${r.textsPerS.toFixed(1)} | ${r.photosPerS.toFixed(1)} | ${r.finalMaintenanceS.toFixed(1)} |`).join('\n')}
`,
  );
}
