/**
 * Index speed at scale: 100,000 reviews made by sampling and recombining real review texts from
 * ../shared/data, with real photos' vectors (MVSA-Single through MobileNetV2) on a share of them.
 * Measures build time, index size, p50/p95 latency of dense, BM25 and hybrid queries with the encoders
 * excluded and included, recall@10 of the HNSW index against exact search, and memory.
 *
 *   npm run bench:retrieval-speed            (BENCH_REVIEWS=100000, BENCH_QUERIES=200)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig, SENTIMENTS, seededRandom, shuffleInPlace } from '../src/core/index.js';
import { machineLine, percentile, writeSection } from '../src/evaluation/index.js';
import { loadEncoders } from '../src/models/index.js';
import {
  HybridSearcher,
  LanceReviewIndex,
  lanceBackend,
  type ReviewRecord,
  reviewEncoders,
  type VectorizedReview,
} from '../src/retrieval/index.js';
import {
  type Example,
  FeatureCache,
  IMAGE_ENCODER,
  imageFeatures,
  loadMvsa,
  loadSemeval,
  loadTweetEval,
  loadUci,
  TEXT_ENCODER,
  textFeatures,
} from '../src/training/index.js';

const ROOT = join(import.meta.dirname, '..');
const N = Number(process.env.BENCH_REVIEWS ?? 100_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const PHOTOS = Number(process.env.BENCH_PHOTOS ?? 1000);
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
const rand = seededRandom(7);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

const config = loadConfig();
const encoders = await loadEncoders({
  modelsDir: config.models.dir,
  threads: config.models.threads,
  text: TEXT_ENCODER,
  image: IMAGE_ENCODER,
});

// Real texts: review sentences (SemEval laptops and restaurants, UCI IMDB/Amazon/Yelp) and tweets.
const pool: Example[] = [
  ...(['Laptops', 'Restaurants'] as const).flatMap((d) =>
    (['Train', 'Test_Gold'] as const).flatMap((s) => loadSemeval(d, s)),
  ),
  ...loadUci('imdb'),
  ...loadUci('amazon_cells'),
  ...loadUci('yelp'),
  ...loadTweetEval('val'),
];
const uniq = [...new Map(pool.map((e) => [e.text, e])).values()];
shuffleInPlace(uniq, rand);
// Held out for queries: never part of an indexed review.
const queryPool = uniq.slice(0, QUERIES);
const parts = uniq.slice(QUERIES);
log(`${parts.length} real texts to recombine, ${queryPool.length} held out as queries`);
const textCache = new FeatureCache(join(ROOT, '.cache', 'features'), TEXT_ENCODER, encoders.text.dim);
const partVecs = await textFeatures(
  encoders.text,
  textCache,
  parts.map((p) => p.text),
  log,
);
const mvsa = loadMvsa();
const photoPaths = mvsa.slice(0, PHOTOS).map((e) => e.image as string);
const imageCache = new FeatureCache(join(ROOT, '.cache', 'features'), IMAGE_ENCODER, encoders.image.dim);
const photoVecs = (await imageFeatures(encoders.image, imageCache, photoPaths, log)).filter(
  (v): v is Float32Array => v !== null,
);

function normalized(vs: Float32Array[], weights: number[]): Float32Array {
  const out = new Float32Array((vs[0] as Float32Array).length);
  vs.forEach((v, j) => {
    for (let d = 0; d < out.length; d++) out[d] = (out[d] as number) + (weights[j] as number) * (v[d] as number);
  });
  const n = Math.hypot(...out) || 1;
  for (let d = 0; d < out.length; d++) out[d] = (out[d] as number) / n;
  return out;
}

/**
 * One synthetic review: 1-3 real texts joined; its text vector is the normalised sum of theirs (the
 * encoder's own cost is measured separately, on live queries). A third have a photo: a real photo's
 * vector mixed with a little of another's, so no two are identical.
 */
function synthesize(i: number): VectorizedReview {
  const n = 1 + Math.floor(rand() * 3);
  const idx = Array.from({ length: n }, () => Math.floor(rand() * parts.length));
  const text = idx.map((j) => (parts[j] as Example).text).join(' ');
  const first = parts[idx[0] as number] as Example;
  const day = Math.floor(rand() * 730);
  const record: ReviewRecord = {
    id: `syn-${i}`,
    text,
    product: `P${Math.floor(rand() * 500)}`,
    rating: 1 + Math.floor(rand() * 5),
    date: new Date(Date.UTC(2025, 0, 1) + day * 86_400_000).toISOString().slice(0, 10),
    source: pick(['shop-a', 'shop-b', 'shop-c', 'mvsa', 'semeval']),
    label: first.label ?? pick(SENTIMENTS),
  };
  const textVector = normalized(
    idx.map((j) => partVecs[j] as Float32Array),
    idx.map(() => 1),
  );
  const withPhoto = rand() < 0.33;
  return {
    record,
    textVector,
    imageVector: withPhoto ? normalized([pick(photoVecs), pick(photoVecs)], [1, 0.3]) : null,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'reviewlens-speed-'));
const index = await LanceReviewIndex.open({
  uri: dir,
  textDim: encoders.text.dim,
  imageDim: encoders.image.dim,
  annMinRows: 1e12, // the HNSW indices are built once, after loading, and timed on their own
  refineFactor: config.retrieval.refineFactor,
  ef: config.retrieval.ef,
});
const backend = lanceBackend(index);

log(`writing ${N} reviews`);
const tLoad = performance.now();
const BATCH = 5000;
for (let s = 0; s < N; s += BATCH) {
  const rows = Array.from({ length: Math.min(BATCH, N - s) }, (_, j) => synthesize(s + j));
  await index.upsertVectors(rows);
  if ((s / BATCH) % 4 === 3) log(`  ${s + rows.length}/${N}`);
}
const loadS = (performance.now() - tLoad) / 1000;
const tAnn = performance.now();
await index.buildAnnNow('text');
const annTextS = (performance.now() - tAnn) / 1000;
const tAnnI = performance.now();
await index.buildAnnNow('image');
const annImageS = (performance.now() - tAnnI) / 1000;
const tCompact = performance.now();
await index.compact();
const compactS = (performance.now() - tCompact) / 1000;
const stats = await index.stats();
log(`loaded in ${loadS.toFixed(1)} s, HNSW ${annTextS.toFixed(1)} s + ${annImageS.toFixed(1)} s`);

// Queries: held-out real texts, and real photos (encoded live for the "encoders included" rows).
const qTexts = queryPool.map((q) => q.text);
const qVecs = await encoders.text.encode(qTexts);
const qPhotoPaths = mvsa.slice(PHOTOS, PHOTOS + QUERIES).map((e) => e.image as string);
const qPhotoBytes = await Promise.all(qPhotoPaths.map((p) => readFile(p)));
const enc = reviewEncoders(encoders, config.limits);
const qPhotoVecs: Float32Array[] = [];
for (const b of qPhotoBytes) qPhotoVecs.push(await enc.image(b, 'image'));

const searcher = new HybridSearcher(backend, enc, {
  rrfK: config.retrieval.rrfK,
  weights: config.retrieval.weights,
  candidates: config.retrieval.candidates,
  rerank: false,
  rerankDepth: 30,
  maxK: 100,
});

async function timed(
  name: string,
  fn: (i: number) => Promise<unknown>,
): Promise<{ name: string; p50: number; p95: number }> {
  for (let i = 0; i < 10; i++) await fn(i); // warm-up
  const t: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const t0 = performance.now();
    await fn(i);
    t.push(performance.now() - t0);
  }
  log(`  ${name}: p50 ${percentile(t, 50).toFixed(2)} ms`);
  return { name, p50: percentile(t, 50), p95: percentile(t, 95) };
}

const K = 10;
const at = <T>(xs: T[], i: number) => xs[i % xs.length] as T;
const rows = [
  await timed('BM25 (full-text index)', (i) => index.searchText(at(qTexts, i), { limit: K })),
  await timed('dense text (HNSW, refine)', (i) => index.searchVector('text', at(qVecs, i), { limit: K })),
  await timed('dense photo (HNSW, refine)', (i) => index.searchVector('image', at(qPhotoVecs, i), { limit: K })),
  await timed('hybrid text: BM25 + dense, RRF, records', (i) =>
    searcher.search({ text: at(qTexts, i), vectors: { text: at(qVecs, i) }, k: K }),
  ),
  await timed('hybrid text + photo: BM25 + dense + photo, RRF, records', (i) =>
    searcher.search({ text: at(qTexts, i), vectors: { text: at(qVecs, i), image: at(qPhotoVecs, i) }, k: K }),
  ),
  await timed('hybrid text + filters (product, rating ≥ 4)', (i) =>
    searcher.search({
      text: at(qTexts, i),
      vectors: { text: at(qVecs, i) },
      k: K,
      filters: { product: `P${i % 500}`, ratingMin: 4 },
    }),
  ),
];
const withEnc = [
  await timed('hybrid text, MiniLM query encoding included', (i) => searcher.search({ text: at(qTexts, i), k: K })),
  await timed('hybrid text + photo, both encoders included', (i) =>
    searcher.search({ text: at(qTexts, i), image: at(qPhotoBytes, i), k: K }),
  ),
];

async function recall(field: 'text' | 'image', qs: Float32Array[]): Promise<number> {
  let hit = 0;
  for (const q of qs) {
    const exact = new Set((await index.searchExact(field, q, K)).map((c) => c.id));
    const ann = await index.searchVector(field, q, { limit: K });
    hit += ann.filter((c) => exact.has(c.id)).length;
  }
  return hit / (qs.length * K);
}
const recallText = await recall('text', qVecs);
const recallImage = await recall('image', qPhotoVecs);
const exactRow = await timed('dense text, exact (no ANN index), for reference', (i) =>
  index.searchExact('text', at(qVecs, i), K),
);
const maxRssMb = process.resourceUsage().maxRSS / 1024;
await index.close();
// BENCH_KEEP_INDEX=1 keeps the built index for tuning runs.
if (process.env.BENCH_KEEP_INDEX) log(`index kept at ${dir}`);
else rmSync(dir, { recursive: true, force: true });

const mb = (b: number | undefined) => ((b ?? 0) / (1 << 20)).toFixed(0);
const line = (r: { name: string; p50: number; p95: number }) =>
  `| ${r.name} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} |`;
writeSection(
  'retrieval-speed',
  `## Retrieval speed at ${N.toLocaleString('en')} reviews (issue 4)

Command: \`npm run bench:retrieval-speed\`. ${N.toLocaleString('en')} reviews made by joining 1-3 real texts drawn from
${parts.length.toLocaleString('en')} (SemEval-2014 laptop and restaurant sentences, UCI IMDB/Amazon/Yelp, TweetEval), each
text vector the normalised sum of its parts' real MiniLM vectors; ${stats.withPhoto.toLocaleString('en')} of them carry a photo vector made
from real MVSA-Single photos through MobileNetV2 (one photo plus 0.3 of another, so none repeats). Queries: ${QUERIES}
held-out real texts and ${QUERIES} other MVSA photos, k = ${K}, one after another, after 10 warm-up queries.
HNSW-SQ (m 20, ef_construction 150), searched with ef ${config.retrieval.ef} and refine factor ${config.retrieval.refineFactor};
RRF k ${config.retrieval.rrfK}, weights BM25 ${config.retrieval.weights.bm25} : dense ${config.retrieval.weights.dense} : photo ${config.retrieval.weights.image}, ${config.retrieval.candidates} candidates per list.
${machineLine()}

| build | |
|---|---|
| write ${N.toLocaleString('en')} reviews (batches of ${BATCH}, full-text index kept up to date) | ${loadS.toFixed(1)} s |
| HNSW index on the text vectors | ${annTextS.toFixed(1)} s |
| HNSW index on the photo vectors | ${annImageS.toFixed(1)} s |
| compact files, drop old versions | ${compactS.toFixed(1)} s |
| on disk after that (data and indices) | ${mb(stats.diskBytes)} MB |
| peak memory of the benchmark process (RSS; encoders loaded) | ${maxRssMb.toFixed(0)} MB |

| query, encoders excluded | p50 ms | p95 ms |
|---|---|---|
${rows.map(line).join('\n')}
${line(exactRow)}

| query, encoders included | p50 ms | p95 ms |
|---|---|---|
${withEnc.map(line).join('\n')}

Recall@10 of the HNSW index against exact search: text ${recallText.toFixed(3)}, photo ${recallImage.toFixed(3)} (${QUERIES} queries each).
`,
);
await encoders.text.dispose();
await encoders.image.dispose();
log('done');
