/**
 * Search latency over HTTP at growing index sizes (issue 15), on real product reviews: a real server
 * process (`reviewlens start`, one inference thread, auth and rate limits off, analysis cache off) serves
 * an index of 1k, 5k, 20k, 100k reviews; one client sends queries one after another and the server
 * encodes them. Reported: client p50/p95/p99 of hybrid text queries and of text + photo queries, the
 * server's per-stage times (`timings_ms` and the Server-Timing header's `serialize`), `/api/analyze` with
 * its similar-review search against a server that has it off, and single writes through `POST /api/reviews`.
 * The server answers from in-memory indices rebuilt from the table at start (BM25, exact vectors, USearch
 * HNSW past `retrieval.annMinRows`): their start-up time and the server's memory are recorded, and the
 * recall@10 of the dense list the server returns is taken against an exact scan. Then, in process, the
 * exact scan alone at each size, which is how `retrieval.annMinRows` is chosen.
 *
 * Reviews: Amazon (MARC) and women's-clothing-shop reviews from ../shared/data/ecommerce-reviews whose
 * MiniLM vectors are in the feature cache (.cache/features; `npm run bench:text-features` fills it), as
 * they are up to the pool size; past it each review joins 2-3 real reviews, its vector the normalised sum
 * of theirs (as bench/retrieval-speed.ts does). A fifth carry a photo vector made from real MVSA-Single
 * photos through MobileNetV2. Queries: 200 held-out real reviews (first sentence) and real product photos.
 *
 *   npm run bench:search-scale          (BENCH_SIZES=1000,5000,20000,100000  BENCH_QUERIES=200)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig, seededRandom, shuffleInPlace } from '../src/core/index.js';
import { machineLine, percentile, stopServer, waitForServer, writeSection } from '../src/evaluation/index.js';
import { loadEncoders } from '../src/models/index.js';
import { ExactVectorSet, LanceReviewIndex } from '../src/retrieval/index.js';
import {
  FeatureCache,
  IMAGE_ENCODER,
  imageFeatures,
  loadMvsa,
  loadProductPhotos,
  TEXT_ENCODER,
} from '../src/training/index.js';
import { loadReviewPool, queryText, reviewMaker } from './review-corpus.js';

const ROOT = join(import.meta.dirname, '..');
const SIZES = (process.env.BENCH_SIZES ?? '1000,5000,20000,100000').split(',').map(Number);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const PHOTO_QUERIES = Number(process.env.BENCH_PHOTO_QUERIES ?? 60);
const ANALYZE = Number(process.env.BENCH_ANALYZE ?? 100);
const WRITES = Number(process.env.BENCH_WRITES ?? 20);
const PORT = Number(process.env.BENCH_PORT ?? 18461);
const URL_ = `http://127.0.0.1:${PORT}`;
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
const rand = seededRandom(15);
const config = loadConfig();

// ---- data ----------------------------------------------------------------------------------------
const textCache = new FeatureCache(join(ROOT, '.cache', 'features'), TEXT_ENCODER, 384);
const { queryReviews, pool } = loadReviewPool(textCache, rand, QUERIES);
log(`${pool.length} real reviews with cached vectors, ${queryReviews.length} held out as queries`);
const qTexts = queryReviews.map((q) => queryText(q.text));

const encoders = await loadEncoders({
  modelsDir: config.models.dir,
  threads: 1,
  text: TEXT_ENCODER,
  image: IMAGE_ENCODER,
});
const imageCache = new FeatureCache(join(ROOT, '.cache', 'features'), IMAGE_ENCODER, encoders.image.dim);
const mvsa = loadMvsa();
const photoVecs = (
  await imageFeatures(
    encoders.image,
    imageCache,
    mvsa.slice(0, 300).map((e) => e.image as string),
    log,
  )
).filter((v): v is Float32Array => v !== null);
imageCache.save();
// One at a time, as the server encodes a query: a batch pads to its longest text, and the q4 encoder's vectors
// then differ in the last digits, enough to swap near-ties at the 10th hit and count as ANN misses.
const qVecs: Float32Array[] = [];
for (const t of qTexts) qVecs.push((await encoders.text.encode([t]))[0] as Float32Array);
const productPhotos = loadProductPhotos();
shuffleInPlace(productPhotos, rand);
const qPhotos = productPhotos.slice(0, PHOTO_QUERIES).map((p) => readFileSync(p.image).toString('base64'));

/** Review i of the index: a real one while the pool lasts, then 2-3 real ones joined (bench/review-corpus.ts). */
const review = reviewMaker(pool, rand, photoVecs);

// ---- server --------------------------------------------------------------------------------------
async function startServer(indexUri: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'reviewlens.js'), 'start', '--port', String(PORT)], {
    env: {
      ...process.env,
      DATABASE_URL: 'memory://',
      REVIEWLENS_DATA_DIR: mkdtempSync(join(tmpdir(), 'reviewlens-scale-data-')),
      REVIEWLENS_MODELS_DIR: config.models.dir,
      REVIEWLENS_INDEX_URI: indexUri,
      REVIEWLENS_THREADS: '1',
      REVIEWLENS_CACHE_MAX_ENTRIES: '0',
      REVIEWLENS_LOG_LEVEL: 'warn',
      REVIEWLENS_DEMO_POOL: 'off',
      REVIEWLENS_AUTH: 'false',
      REVIEWLENS_RATE_LIMIT: 'false',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForServer(child, `${URL_}/api/ready`);
  return child;
}

interface Sample {
  client: number;
  stages: Record<string, number>;
}
async function post(path: string, body: unknown): Promise<Sample & { json: Record<string, unknown> }> {
  const t0 = performance.now();
  const res = await fetch(`${URL_}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  const client = performance.now() - t0;
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
  const stages: Record<string, number> = {};
  for (const m of (res.headers.get('server-timing') ?? '').matchAll(/(\w+);dur=([\d.]+)/g)) {
    stages[m[1] as string] = Number(m[2]);
  }
  return { client, stages, json };
}
async function series(n: number, run: (i: number) => Promise<Sample>): Promise<Sample[]> {
  for (let i = 0; i < 10; i++) await run(i + n); // warm-up
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) out.push(await run(i));
  return out;
}
const p = (xs: number[], q: number) => percentile(xs, q);
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const stageP50 = (s: Sample[], k: string) =>
  p(
    s.flatMap((x) => (k in x.stages ? [x.stages[k] as number] : [])),
    50,
  );

async function loadAverage(): Promise<number> {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

// ---- baseline: analysis without the similar-review search ------------------------------------------------
const emptyIndex = mkdtempSync(join(tmpdir(), 'reviewlens-scale-empty-'));
let analyzeOff: Sample[];
{
  const server = await startServer(emptyIndex, { REVIEWLENS_SIMILAR_K: '0' });
  analyzeOff = await series(ANALYZE, async (i) => {
    const r = await post('/api/analyze', { text: queryReviews[i % QUERIES]?.text });
    return { client: r.client, stages: { server: r.json.processing_time_ms as number } };
  });
  await stopServer(server);
}
rmSync(emptyIndex, { recursive: true, force: true });

// ---- each size -----------------------------------------------------------------------------------
interface SizeResult {
  n: number;
  load: number;
  ann: boolean;
  /** Server start-up: ready, then in-memory indices loaded, then HNSW built (s), and its resident memory (MB). */
  startup: { readyS: number; loadedS: number; annS: number; rssMB: number; memoryMB: number };
  denseRecall: number;
  loadS: number;
  maintainS: number;
  hybrid: Sample[];
  photo: Sample[];
  analyze: Sample[];
  writes: Sample[];
  exact: { p50: number; p95: number };
}
const results: SizeResult[] = [];
for (const n of SIZES) {
  const load = await loadAverage();
  log(`size ${n}: load average ${load}`);
  const dir = mkdtempSync(join(tmpdir(), `reviewlens-scale-${n}-`));
  const ix = await LanceReviewIndex.open({
    uri: dir,
    textDim: encoders.text.dim,
    imageDim: encoders.image.dim,
    annMinRows: config.retrieval.annMinRows,
    // As a bulk load runs it: maintenance in the background every maintenanceRows rows, once more at the end.
    maintenanceSeconds: config.retrieval.maintenanceSeconds,
    maintenanceRows: config.retrieval.maintenanceRows,
  });
  const exact = new ExactVectorSet(encoders.text.dim);
  const t0 = performance.now();
  for (let s = 0; s < n; s += 5000) {
    const rows = Array.from({ length: Math.min(5000, n - s) }, (_, j) => review(s + j));
    for (const r of rows)
      exact.set(r.record.id, r.textVector, {
        product: null,
        label: null,
        source: null,
        rating: null,
        date: null,
        hasImage: false,
      });
    await ix.upsertVectors(rows);
  }
  const loadS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await ix.maintainNow();
  const maintainS = (performance.now() - t1) / 1000;
  await ix.close();
  log(`  written in ${loadS.toFixed(1)} s, maintenance ${maintainS.toFixed(1)} s`);

  const tStart = performance.now();
  const server = await startServer(dir);
  const readyS = (performance.now() - tStart) / 1000;
  // The server rebuilds its in-memory indices from the table in the background: wait for them (and for the
  // HNSW graph, past annMinRows) before measuring.
  let memory: { rows?: number; bytes?: number; textAnn?: boolean } | undefined;
  let loadedS = Number.NaN;
  for (;;) {
    const st = (await (await fetch(`${URL_}/api/index/stats`)).json()) as { memory?: typeof memory };
    memory = st.memory;
    if (memory && Number.isNaN(loadedS)) loadedS = (performance.now() - tStart) / 1000;
    if (memory && (memory.textAnn || n < config.retrieval.annMinRows)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const annS = (performance.now() - tStart) / 1000;
  const ann = Boolean(memory?.textAnn);
  const rssMB =
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;
  const startup = { readyS, loadedS, annS, rssMB, memoryMB: (memory?.bytes ?? Number.NaN) / 1e6 };
  log(
    `  server ready ${readyS.toFixed(1)} s, indices loaded ${loadedS.toFixed(1)} s, ANN ${ann} at ${annS.toFixed(1)} s, RSS ${rssMB.toFixed(0)} MB`,
  );
  const hybrid = await series(QUERIES, async (i) => {
    const r = await post('/api/search', { text: qTexts[i % QUERIES], k: 10 });
    return { client: r.client, stages: r.stages };
  });
  const photo = await series(PHOTO_QUERIES, async (i) => {
    const r = await post('/api/search', { text: qTexts[i % QUERIES], image_base64: qPhotos[i % PHOTO_QUERIES], k: 10 });
    return { client: r.client, stages: r.stages };
  });
  const analyze = await series(ANALYZE, async (i) => {
    const r = await post('/api/analyze', { text: queryReviews[i % QUERIES]?.text });
    if ((r.json.warnings as string[] | undefined)?.length)
      log(`  analyze warning: ${(r.json.warnings as string[])[0]}`);
    return { client: r.client, stages: { server: r.json.processing_time_ms as number } };
  });
  const writes = await series(WRITES, async (i) => {
    const r = await post('/api/reviews', {
      text: `A new review number ${n}-${i}-${Math.random()}: the zipper broke after a week.`,
    });
    return { client: r.client, stages: {} };
  });
  // Recall@10 of the dense list the server returns (HNSW past annMinRows) against an exact scan of the same rows.
  let denseHit = 0;
  for (const [i, q] of qVecs.entries()) {
    const r = await post('/api/search', { text: qTexts[i], k: 10, mode: 'dense' });
    const truth = new Set(exact.searchExact(q, 10).map((c) => c.id));
    denseHit += (r.json.hits as { id: string }[]).filter((h) => truth.has(h.id)).length;
  }
  const denseRecall = denseHit / (qVecs.length * 10);
  await stopServer(server);
  log(
    `  hybrid p50 ${f1(
      p(
        hybrid.map((s) => s.client),
        50,
      ),
    )} ms, p95 ${f1(
      p(
        hybrid.map((s) => s.client),
        95,
      ),
    )} ms`,
  );

  // Dense stage alone, in process: the exact in-memory scan (what answers below annMinRows).
  const te: number[] = [];
  for (const q of qVecs) {
    const t = performance.now();
    exact.searchExact(q, 50);
    te.push(performance.now() - t);
  }
  rmSync(dir, { recursive: true, force: true });
  results.push({
    n,
    load,
    ann,
    loadS,
    maintainS,
    hybrid,
    photo,
    analyze,
    writes,
    startup,
    denseRecall,
    exact: { p50: p(te, 50), p95: p(te, 95) },
  });
  report(); // after each size, so a run cut short keeps what it measured
}

// ---- report --------------------------------------------------------------------------------------
function report(): void {
  const c = (s: Sample[], q: number) =>
    f1(
      p(
        s.map((x) => x.client),
        q,
      ),
    );
  const offP50 = p(
    analyzeOff.map((s) => s.stages.server as number),
    50,
  );
  const size = (n: number) => n.toLocaleString('en');
  writeSection(
    'search-scale',
    `## Search latency over HTTP from 1k to 100k reviews (issue 15)

Command: \`npm run bench:search-scale\` (sizes ${results.map((r) => size(r.n)).join(', ')}; ${QUERIES} text queries, ${PHOTO_QUERIES} text + photo
queries, ${ANALYZE} analyses and ${WRITES} single writes per size, each series after 10 warm-up requests, one client, one after another).
A real server process (\`reviewlens start\`, REVIEWLENS_THREADS=1, auth, rate limits and the analysis cache off) on an index of
real product reviews (Amazon MARC and a women's-clothing shop, ../shared/data/ecommerce-reviews): the first
${size(pool.length)} as they are, past that each review joins 2-3 of them (its vector the normalised sum of theirs); a
fifth carry a photo vector from real MVSA-Single photos through MobileNetV2. Queries are the first sentence of
${QUERIES} held-out reviews, encoded by the server (MiniLM), and real product photos (damaged and intact products),
encoded by the server (MobileNetV2). k = 10, 50 candidates per list, \`retrieval.annMinRows\` ${size(config.retrieval.annMinRows)}.
${machineLine()}. 1-minute load average before each size: ${results.map((r) => `${size(r.n)}: ${r.load}`).join(', ')}
(other workers share the 2 cores; above ~2 the numbers are inflated).

| reviews | text vectors searched by | hybrid text p50 / p95 / p99 ms | text + photo p50 / p95 / p99 ms | analysis p50 ms, with similar reviews (without: ${f1(offP50)}) | single write p50 / p95 ms |
|---|---|---|---|---|---|
${results
  .map(
    (r) =>
      `| ${size(r.n)} | ${r.ann ? 'HNSW in memory (USearch)' : 'exact scan in memory'} | ${c(r.hybrid, 50)} / ${c(r.hybrid, 95)} / ${c(r.hybrid, 99)} | ${c(r.photo, 50)} / ${c(r.photo, 95)} / ${c(r.photo, 99)} | ${f1(
        p(
          r.analyze.map((s) => s.stages.server as number),
          50,
        ),
      )} (+${f1(
        p(
          r.analyze.map((s) => s.stages.server as number),
          50,
        ) - offP50,
      )}) | ${c(r.writes, 50)} / ${c(r.writes, 95)} |`,
  )
  .join('\n')}

Where the time goes (server, p50 ms; from \`timings_ms\` and the \`Server-Timing\` header; the lists run concurrently):

| reviews | query | encode | bm25 | dense | image | fusion | fetch | serialize | server total |
|---|---|---|---|---|---|---|---|---|---|
${results
  .flatMap((r) =>
    (
      [
        ['text', r.hybrid],
        ['text + photo', r.photo],
      ] as const
    ).map(
      ([name, s]) =>
        `| ${size(r.n)} | ${name} | ${['encode', 'bm25', 'dense', 'image', 'fusion', 'fetch', 'serialize', 'total'].map((k) => f1(stageP50(s as Sample[], k))).join(' | ')} |`,
    ),
  )
  .join('\n')}

Start-up and memory of the server (in-memory indices rebuilt from the LanceDB table in the background after
the server is ready; HNSW past \`retrieval.annMinRows\`: USearch, ${config.retrieval.annQuantization}, M 32, ef_construction 128,
2 threads), the recall@10 of its dense list against an exact scan (${QUERIES} queries, 50 candidates, re-scored exactly:
ef ${config.retrieval.ef}, refine ${config.retrieval.refineFactor}), and the exact scan alone, in process (one thread, 50 nearest):

| reviews | server ready s | indices loaded s | HNSW ready s | server RSS MB | in-memory indices MB (estimate) | dense recall@10 | exact scan p50 / p95 ms |
|---|---|---|---|---|---|---|---|
${results.map((r) => `| ${size(r.n)} | ${r.startup.readyS.toFixed(1)} | ${r.startup.loadedS.toFixed(1)} | ${r.ann ? r.startup.annS.toFixed(1) : '-'} | ${r.startup.rssMB.toFixed(0)} | ${r.startup.memoryMB.toFixed(0)} | ${r.denseRecall.toFixed(3)} | ${r.exact.p50.toFixed(2)} / ${r.exact.p95.toFixed(2)} |`).join('\n')}

Building the index in the benchmark (written in batches of 5,000 with the background maintenance as configured, then a last
maintenance: id index, compaction): ${results.map((r) => `${size(r.n)}: ${r.loadS.toFixed(1)} s + ${r.maintainS.toFixed(1)} s`).join('; ')}.
`,
  );
}
await encoders.text.dispose();
await encoders.image.dispose();
log('done');
