/**
 * Search latency at 1M reviews, simulated (issue 15: "1M may be simulated with a documented method").
 * Writing a real 1M-row LanceDB table and starting a server on it takes about an hour here, so:
 *
 * 1. In process, the server's own in-memory search indices are built over N reviews (default 1,000,000) of
 *    the same corpus as `npm run bench:search-scale` (bench/review-corpus.ts): `MemoryBm25` over the folded
 *    search text and `ExactVectorSet` over the MiniLM text vectors, with USearch's HNSW graph built as the
 *    server builds it past `retrieval.annMinRows` (quantization, M, ef_construction, ef and refine as configured).
 * 2. Per query (200 held-out reviews' first sentences, encoded once beforehand: the HTTP benchmark measures
 *    encoding), each stage the server runs for a hybrid text query is timed: the BM25 list, the dense list
 *    (50 candidates each), weighted RRF (k and weights from the config), and the fetch of the top 10 hits'
 *    stored fields. The fetch is the server's: from the records loaded in memory when the index has no more
 *    rows than `retrieval.recordCacheSize`, else a LanceDB query by id (B-tree id index). Both need a real
 *    table: they are measured on real tables of FETCH_SIZES rows (default 100,000: the first rows of the same
 *    corpus, written and maintained as a bulk load does), opened once with no record cache and once with its
 *    records loaded, fetching 10 existing ids per query; the largest table is used for the estimate (not
 *    extrapolated: a B-tree lookup grows with log N; the table's fragments are compacted by maintenance).
 * 3. Estimated HTTP latency at N = in-process (lists + fusion + fetch) at N + the HTTP-side overhead
 *    (encoding, request handling, serialisation, the event loop) measured at 100k: bench:search-scale's client
 *    p50 (p95) at 100k (docs/benchmarks.md section `search-scale`) minus this run's in-process p50 (p95) at
 *    100k, so the estimate at 100k reproduces that measurement (hence the default SIZES=100000,1000000).
 *    Without 100k in SIZES its server's p50 stage times are subtracted instead; HTTP_OVERHEAD_MS=p50,p95
 *    overrides both. Run bench:search-scale first, on an equally quiet machine.
 *
 * Also: the recall@10 of the HNSW dense list against an exact scan of the same rows, build times and memory.
 *
 *   npm run bench:search-scale-1m     (SIZES=100000,1000000 QUERIES=200 FETCH_SIZES=100000; HTTP_OVERHEAD_MS=p50,p95)
 *   SIZES=100000 npm run bench:search-scale-1m     (a check at 100k)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig, seededRandom } from '../src/core/index.js';
import { machineLine, percentile, writeSection } from '../src/evaluation/index.js';
import { loadEncoders } from '../src/models/index.js';
import { DEFAULT_ANN } from '../src/retrieval/exact-scan.js';
import {
  type Candidate,
  ExactVectorSet,
  foldForIndex,
  foldQuery,
  LanceReviewIndex,
  reciprocalRankFusion,
} from '../src/retrieval/index.js';
import { MemoryBm25 } from '../src/retrieval/memory-bm25.js';
import { FeatureCache, IMAGE_ENCODER, TEXT_ENCODER } from '../src/training/index.js';
import { loadReviewPool, queryText, reviewMaker } from './review-corpus.js';

const ROOT = join(import.meta.dirname, '..');
const SIZES = (process.env.SIZES ?? '100000,1000000').split(',').map(Number);
const QUERIES = Number(process.env.QUERIES ?? 200);
const FETCH_SIZES = (process.env.FETCH_SIZES ?? '100000').split(',').map(Number);
/** Search breadths (ef) tried on each built graph: recall@10 and the dense list's time at each. */
const EFS = (process.env.EFS ?? '256,384,512,768,1024').split(',').map(Number);
const K = 10;
/** The size bench:search-scale measured over HTTP, anchoring the estimate. */
const REF = 100_000;
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
const config = loadConfig();
const R = config.retrieval;
const weights = R.weights;
const rssMB = () => process.memoryUsage().rss / 2 ** 20;
const loadAverage = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
const size = (n: number) => n.toLocaleString('en');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const pct = (xs: number[]) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), p99: percentile(xs, 99) });
const fmt = (xs: number[]) => {
  const q = pct(xs);
  return `${f2(q.p50)} / ${f2(q.p95)} / ${f2(q.p99)}`;
};

// ---- data and queries ----------------------------------------------------------------------------
const textCache = new FeatureCache(join(ROOT, '.cache', 'features'), TEXT_ENCODER, 384);
const { queryReviews, pool } = loadReviewPool(textCache, seededRandom(15), QUERIES);
log(`${pool.length} real reviews with cached vectors, ${queryReviews.length} held out as queries`);
const qTexts = queryReviews.map((q) => queryText(q.text));
const encoders = await loadEncoders({
  modelsDir: config.models.dir,
  threads: 1,
  text: TEXT_ENCODER,
  image: IMAGE_ENCODER,
});
const qVecs = await encoders.text.encode(qTexts);
const dims = { text: encoders.text.dim, image: encoders.image.dim };
await encoders.text.dispose();
await encoders.image.dispose();
/** The corpus's rows in order, from the same seed every time: a table of m rows holds the first m of any N. */
const corpus = () => reviewMaker(pool, seededRandom(1515));

// ---- the fetch: real LanceDB tables ----------------------------------------------------------------
interface FetchTable {
  n: number;
  /** Every fetch a query by id (no record cache): what a server pays when the hits' records are not in memory. */
  ix: LanceReviewIndex;
  /** The same table as a server holds it when it has no more rows than `recordCacheSize`: records loaded. */
  warm: LanceReviewIndex;
  dir: string;
  writeS: number;
  maintainS: number;
}
const fetchTables: FetchTable[] = [];
for (const m of FETCH_SIZES) {
  log(`fetch table of ${size(m)} rows: writing (load average ${loadAverage()})`);
  const dir = mkdtempSync(join(tmpdir(), `reviewlens-scale1m-fetch-${m}-`));
  const ix = await LanceReviewIndex.open({
    uri: dir,
    textDim: dims.text,
    imageDim: dims.image,
    annMinRows: R.annMinRows,
    maintenanceSeconds: R.maintenanceSeconds,
    maintenanceRows: R.maintenanceRows,
    recordCacheSize: 0,
  });
  const review = corpus();
  const t0 = performance.now();
  for (let s = 0; s < m; s += 5000) {
    await ix.upsertVectors(Array.from({ length: Math.min(5000, m - s) }, (_, j) => review(s + j)));
    if ((s / 5000) % 4 === 3)
      log(`  ${size(s + 5000)} rows written, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const writeS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await ix.maintainNow();
  const maintainS = (performance.now() - t1) / 1000;
  log(`  written in ${writeS.toFixed(1)} s, maintenance ${maintainS.toFixed(1)} s`);
  const warm = await LanceReviewIndex.open({
    uri: dir,
    textDim: dims.text,
    imageDim: dims.image,
    annMinRows: Number.MAX_SAFE_INTEGER, // only its records are used: no HNSW build beside the measurements
    recordCacheSize: R.recordCacheSize,
  });
  await warm.warm();
  fetchTables.push({ n: m, ix, warm, dir, writeS, maintainS });
}

// ---- each size: build, then time the stages --------------------------------------------------------
interface SizeResult {
  n: number;
  load: number;
  ann: boolean;
  fillS: number;
  annS: number;
  rssMB: number;
  heapMB: number;
  indexMB: { bm25: number; vectors: number };
  recall: number;
  bm25: number[];
  dense: number[];
  fusion: number[];
  lists: number[];
  /** Fetch times by table size: a query by id each time (cold), and with the records held in memory (warm). */
  fetch: Map<number, number[]>;
  fetchWarm: Map<number, number[]>;
  exact: number[];
  loadDuring: number;
  /** The served breadth (ef) at this size, and recall@10 / dense list times at each ef of EFS. */
  ef: number | undefined;
  sweep: Array<{ ef: number; recall: number; dense: number[] }>;
}
const results: SizeResult[] = [];
for (const n of SIZES) {
  const load = loadAverage();
  log(`size ${size(n)}: load average ${load}, RSS ${rssMB().toFixed(0)} MB`);
  const bm25 = new MemoryBm25();
  const vectors = new ExactVectorSet(dims.text);
  const review = corpus();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const { record: r, textVector, imageVector } = review(i);
    const meta = {
      product: r.product ?? null,
      label: r.label ?? null,
      source: r.source ?? null,
      rating: r.rating ?? null,
      date: r.date ?? null,
      hasImage: imageVector !== null,
    };
    vectors.set(r.id, textVector, meta);
    bm25.set(r.id, foldForIndex(r.title ? `${r.title}\n${r.text}` : r.text), meta);
    if ((i + 1) % 100_000 === 0) {
      log(
        `  ${size(i + 1)} rows in memory, ${((performance.now() - t0) / 1000).toFixed(0)} s, RSS ${rssMB().toFixed(0)} MB`,
      );
      await new Promise((res) => setImmediate(res));
    }
  }
  const fillS = (performance.now() - t0) / 1000;
  // The server builds the graph once the column has annMinRows rows, with these settings (lance.ts annOptions).
  const ann = n >= R.annMinRows;
  let annS = 0;
  if (ann) {
    const t1 = performance.now();
    const tick = setInterval(
      () => log(`  HNSW building, ${((performance.now() - t1) / 1000).toFixed(0)} s, RSS ${rssMB().toFixed(0)} MB`),
      30_000,
    );
    await vectors.buildAnn({
      ...DEFAULT_ANN,
      minRows: 0,
      quantization: R.annQuantization,
      expansionSearch: R.ef,
      efScaleRows: R.efScaleRows,
      refine: R.refineFactor,
    });
    clearInterval(tick);
    annS = (performance.now() - t1) / 1000;
  }
  const mem = { rss: rssMB(), heap: process.memoryUsage().heapUsed / 2 ** 20 };
  log(
    `  built: fill ${fillS.toFixed(1)} s, HNSW ${ann ? `${annS.toFixed(1)} s` : 'not used (below annMinRows)'}, RSS ${mem.rss.toFixed(0)} MB`,
  );

  const out: SizeResult = {
    n,
    load,
    ann,
    fillS,
    annS,
    rssMB: mem.rss,
    heapMB: mem.heap,
    indexMB: { bm25: bm25.bytes / 2 ** 20, vectors: vectors.bytes / 2 ** 20 },
    recall: 0,
    bm25: [],
    dense: [],
    fusion: [],
    lists: [],
    fetch: new Map(fetchTables.map((t) => [t.n, []])),
    fetchWarm: new Map(fetchTables.map((t) => [t.n, []])),
    exact: [],
    loadDuring: 0,
    ef: vectors.annBreadth,
    sweep: [],
  };
  const limit = R.candidates;
  // One hybrid text query as HybridSearcher runs it against the in-memory backend: both lists (on the one
  // JS thread, so their times add up), weighted RRF, then the stored fields of the page's hits.
  const query = async (i: number, record: boolean) => {
    const text = qTexts[i] as string;
    const v = qVecs[i] as Float32Array;
    const ta = performance.now();
    const b = bm25.search(foldQuery(text), limit);
    const tb = performance.now();
    const d = vectors.search(v, limit);
    const tc = performance.now();
    const fused = reciprocalRankFusion(
      [
        { name: 'bm25', weight: weights.bm25, candidates: b },
        { name: 'dense', weight: weights.dense, candidates: d },
      ],
      R.rrfK,
    );
    const page = fused.slice(0, K);
    const td = performance.now();
    if (record) {
      out.bm25.push(tb - ta);
      out.dense.push(tc - tb);
      out.fusion.push(td - tc);
      out.lists.push(td - ta);
    }
    for (const t of fetchTables) {
      // The hits' ids mapped into the table's rows (rev-j exists for j < t.n): 10 existing rows per query.
      const ids = page.map((f) => `rev-${Number(f.id.slice(4)) % t.n}`);
      for (const [ix, into] of [
        [t.ix, out.fetch],
        [t.warm, out.fetchWarm],
      ] as const) {
        const te = performance.now();
        const got = await ix.get(ids);
        if (record) (into.get(t.n) as number[]).push(performance.now() - te);
        if (got.size !== new Set(ids).size) throw new Error(`fetch returned ${got.size} of ${ids.length} rows`);
      }
    }
  };
  for (let i = 0; i < 10; i++) await query(QUERIES - 1 - i, false); // warm-up, as the HTTP benchmark does
  const loads: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    await query(i, true);
    if (i % 50 === 0) loads.push(loadAverage());
  }
  out.loadDuring = Math.max(...loads);
  // Recall@10 of the dense list (HNSW when built) against an exact scan, as the server's list is taken (the top K
  // of its \`candidates\`; the run of 2026-12-01 searched for K only, 4 x K graph hits re-scored: 0.970 at 1M);
  // the exact scan's own time.
  let hit = 0;
  /** Each query's exact top K ids: the recall's ground truth here and in the breadth sweep. */
  const truths: Set<string>[] = [];
  for (const v of qVecs) {
    const te = performance.now();
    const truth = vectors.searchExact(v, K);
    out.exact.push(performance.now() - te);
    const ids = new Set(truth.map((c: Candidate) => c.id));
    truths.push(ids);
    // The server's dense list: `candidates` rows (each re-scored exactly from refine x as many graph hits), of
    // which the page shows the top K.
    hit += vectors
      .search(v, limit)
      .slice(0, K)
      .filter((c) => ids.has(c.id)).length;
  }
  out.recall = hit / (qVecs.length * K);
  // The breadth sweep: the same graph searched with each ef of EFS (set at query time), recall@10 and dense time.
  if (ann) {
    for (const ef of [...new Set([...EFS, out.ef as number])].sort((a, b) => a - b)) {
      vectors.tuneAnn({ expansionSearch: ef, efScaleRows: 0 });
      for (let i = 0; i < 10; i++) vectors.search(qVecs[QUERIES - 1 - i] as Float32Array, limit);
      const dense: number[] = [];
      let got = 0;
      qVecs.forEach((v, i) => {
        const te = performance.now();
        const list = vectors.search(v, limit);
        dense.push(performance.now() - te);
        got += list.slice(0, K).filter((c) => (truths[i] as Set<string>).has(c.id)).length;
      });
      out.sweep.push({ ef, recall: got / (qVecs.length * K), dense });
      log(`  ef ${ef}: recall@10 ${(got / (qVecs.length * K)).toFixed(3)}, dense ${fmt(dense)} ms`);
    }
    vectors.tuneAnn({ expansionSearch: R.ef, efScaleRows: R.efScaleRows });
  }
  results.push(out);
  log(
    `  lists+fusion p50/p95/p99 ${fmt(out.lists)} ms (bm25 ${fmt(out.bm25)}, dense ${fmt(out.dense)}), recall@10 ${out.recall.toFixed(3)}`,
  );
  for (const [m, xs] of out.fetch)
    log(
      `  fetch of ${K} hits from ${size(m)} rows: by query ${fmt(xs)} ms, records in memory ${fmt(out.fetchWarm.get(m) as number[])} ms`,
    );
  report();
}
for (const t of fetchTables) {
  await t.ix.close();
  await t.warm.close();
  rmSync(t.dir, { recursive: true, force: true });
}

// ---- the estimate ----------------------------------------------------------------------------------
/**
 * Per query, lists + fusion (at its size) + the fetch (on the largest real table), then p50 / p95 / p99. The fetch
 * is the server's at that size: from memory when the index has no more rows than `recordCacheSize` (the server
 * loads them all), else a query by id (most pages then hold a hit whose record is not in memory).
 */
function fetchOf(r: SizeResult): number[] {
  return (r.n <= R.recordCacheSize ? r.fetchWarm : r.fetch).get(Math.max(...fetchTables.map((t) => t.n))) as number[];
}
function inProcess(r: SizeResult) {
  const fe = fetchOf(r);
  return pct(r.lists.map((x, i) => x + (fe[i] as number)));
}

/**
 * The HTTP-side overhead at p50 and p95 (ms): HTTP_OVERHEAD_MS=p50,p95 if set; else from bench:search-scale's
 * client p50 / p95 at 100k (docs/benchmarks.md section `search-scale`) minus, when this run has 100k, this
 * run's in-process lists + fusion + fetch p50 / p95 at 100k (so the estimate at 100k equals that
 * measurement), otherwise minus the server's own p50 stage times there (max(bm25, dense) + fusion + fetch:
 * the lists overlap in its timings), which counts that run's whole tail as overhead. Undefined if neither.
 */
function httpOverhead(): { p50: number; p95: number; source: string } | undefined {
  if (process.env.HTTP_OVERHEAD_MS) {
    const [a, b] = process.env.HTTP_OVERHEAD_MS.split(',').map(Number);
    return { p50: a as number, p95: (b ?? a) as number, source: 'HTTP_OVERHEAD_MS' };
  }
  const doc = readFileSync(join(ROOT, 'docs', 'benchmarks.md'), 'utf8');
  const sec = /<!-- bench:search-scale -->([\s\S]*?)<!-- \/bench:search-scale -->/.exec(doc)?.[1];
  if (!sec) return undefined;
  const client = /^\| 100,000 \| [^|]+\| ([\d.]+) \/ ([\d.]+) \/ ([\d.]+) \|/m.exec(sec);
  const stages = /^\| 100,000 \| text \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| [^|]+ \| ([\d.]+) \| ([\d.]+) \|/m.exec(
    sec,
  );
  const loadAt = /100,000: ([\d.]+)/.exec(/load average before each size: (.*)/.exec(sec)?.[1] ?? '')?.[1];
  if (!client) return undefined;
  const c50 = Number(client[1]);
  const c95 = Number(client[2]);
  const from = `bench:search-scale's client p50 ${client[1]} / p95 ${client[2]} ms at 100,000 (docs/benchmarks.md, load average ${loadAt ?? '?'} then)`;
  const ref = results.find((r) => r.n === REF);
  if (ref) {
    const q = inProcess(ref);
    return {
      p50: c50 - q.p50,
      p95: c95 - q.p95,
      source: `${from} minus this run's in-process p50 ${f2(q.p50)} / p95 ${f2(q.p95)} ms at 100,000`,
    };
  }
  if (!stages) return undefined;
  const [, , bm, de, fu, fe] = stages.map(Number);
  const server = Math.max(bm as number, de as number) + (fu as number) + (fe as number);
  return {
    p50: c50 - server,
    p95: c95 - server,
    source: `${from} minus its server's p50 lists + fusion + fetch ${f1(server)} ms (p95 too: the whole tail of that run counts as overhead, a conservative estimate)`,
  };
}

function report(): void {
  const over = httpOverhead();
  const fetchN = Math.max(...fetchTables.map((t) => t.n));
  const estimate = (r: SizeResult) => {
    const q = inProcess(r);
    return { inproc: q, http: over ? { p50: q.p50 + over.p50, p95: q.p95 + over.p95 } : undefined };
  };
  for (const r of results) {
    const e = estimate(r);
    log(
      `  ${size(r.n)}: in process lists + fusion + fetch p50 ${f2(e.inproc.p50)} / p95 ${f2(e.inproc.p95)} ms; estimated HTTP p50 ${f1(e.http?.p50 ?? Number.NaN)} / p95 ${f1(e.http?.p95 ?? Number.NaN)} ms`,
    );
  }
  if (over) log(`  HTTP overhead p50 ${f1(over.p50)} / p95 ${f1(over.p95)} ms from ${over.source}`);
  writeSection(
    'search-scale-1m',
    `## Search latency at 1M reviews, simulated (issue 15)

Command: \`${SIZES.join(',') === '100000,1000000' ? '' : `SIZES=${SIZES.join(',')} `}npm run bench:search-scale-1m\` (${QUERIES} hybrid text queries per size after 10 warm-up ones; fetch tables of ${FETCH_SIZES.map(size).join(', ')} rows).
${machineLine()}. 1-minute load average before each size / highest while timing: ${results.map((r) => `${size(r.n)}: ${r.load} / ${r.loadDuring}`).join(', ')}
(other work shares the 2 cores; above ~2 the numbers are inflated).

Method (a real 1M-row table and server would take about an hour to build here): the server's own in-memory
indices (\`MemoryBm25\`, \`ExactVectorSet\` with USearch HNSW, ${R.annQuantization}, M ${DEFAULT_ANN.connectivity}, ef_construction
${DEFAULT_ANN.expansionAdd}, ef ${R.ef}${R.efScaleRows > 0 ? ` doubling per tenfold rows past ${size(R.efScaleRows)} rows (${results.map((r) => `${r.ef ?? '-'} at ${size(r.n)}`).join(', ')})` : ''}, refine ${R.refineFactor}, built past \`retrieval.annMinRows\` ${size(R.annMinRows)}) are built in process over
the corpus of \`bench:search-scale\` (real Amazon MARC and women's-clothing reviews with their MiniLM vectors, 2-3 joined
past the ${size(pool.length)} real ones), and each stage of a hybrid text query is timed as \`HybridSearcher\` runs it: BM25
list and dense list (${R.candidates} candidates each; one JS thread, so their times add), weighted RRF (k ${R.rrfK}, BM25 weight
${weights.bm25}, dense ${weights.dense}), then the stored fields of the top ${K}. Queries are the first sentences of ${QUERIES} held-out
reviews, encoded once beforehand (encoding is in the HTTP overhead). The fetch is the server's: with no more rows
than \`retrieval.recordCacheSize\` (${size(R.recordCacheSize)}) the records are loaded in memory with the indices; past it most
pages hold a hit whose record is not in memory, which costs a LanceDB query by id (B-tree id index). Both are timed
(the one the size uses in bold, and in the total) on a real table of
${size(fetchN)} rows (the corpus's first rows, bulk-written and maintained: ${fetchTables.map((t) => `${size(t.n)} rows ${t.writeS.toFixed(0)} s + ${t.maintainS.toFixed(0)} s`).join(', ')}),
fetching the hits' ids mapped into its rows, and used as is for larger sizes (not extrapolated; a B-tree lookup
grows with log N). Estimated HTTP latency = in-process lists + fusion + fetch (per query, then p50 / p95) + the HTTP-side
overhead (encode, request handling, serialisation, event loop) measured by \`bench:search-scale\` at 100k:
${over ? `p50 ${f1(over.p50)} ms, p95 ${f1(over.p95)} ms = ${over.source}` : 'not available (run bench:search-scale or set HTTP_OVERHEAD_MS)'}.
Adding p95s of separate parts assumes their tails coincide: an upper estimate when they do not.

| reviews | dense list by | BM25 p50 / p95 / p99 ms | dense p50 / p95 / p99 ms | fusion p50 / p95 / p99 ms | lists + fusion p50 / p95 / p99 ms | fetch of ${K} (${size(fetchN)}-row table; records in memory / by query) p50 / p95 / p99 ms | in process total p50 / p95 ms | estimated HTTP p50 / p95 ms |
|---|---|---|---|---|---|---|---|---|
${results
  .map((r) => {
    const e = estimate(r);
    return `| ${size(r.n)} | ${r.ann ? 'HNSW (USearch)' : 'exact scan'} | ${fmt(r.bm25)} | ${fmt(r.dense)} | ${fmt(r.fusion)} | ${fmt(r.lists)} | ${r.n <= R.recordCacheSize ? `**${fmt(r.fetchWarm.get(fetchN) as number[])}** / ${fmt(r.fetch.get(fetchN) as number[])}` : `${fmt(r.fetchWarm.get(fetchN) as number[])} / **${fmt(r.fetch.get(fetchN) as number[])}**`} | ${f2(e.inproc.p50)} / ${f2(e.inproc.p95)} | ${e.http ? `${f1(e.http.p50)} / ${f1(e.http.p95)}` : '-'} |`;
  })
  .join('\n')}

Build and memory (one process; RSS also holds the ONNX runtime left by the disposed query encoder and the fetch table's
LanceDB handles; the indices of an earlier size are garbage by then but may not be returned to the OS yet),
recall@10 of the dense list against an exact scan of the same rows (the top ${K} of the server's ${R.candidates}-candidate dense list, as
\`npm run bench:search-scale\` takes it from the server), and the exact scan's time (one thread, top ${K}):

| reviews | fill BM25 + vectors s | HNSW build s (2 threads) | RSS MB | JS heap MB | BM25 MB (estimate) | vectors + graph MB (estimate) | dense recall@10 | exact scan p50 / p95 ms |
|---|---|---|---|---|---|---|---|---|
${results.map((r) => `| ${size(r.n)} | ${r.fillS.toFixed(1)} | ${r.ann ? r.annS.toFixed(1) : '-'} | ${r.rssMB.toFixed(0)} | ${r.heapMB.toFixed(0)} | ${r.indexMB.bm25.toFixed(0)} | ${r.indexMB.vectors.toFixed(0)} | ${r.recall.toFixed(3)} | ${f2(percentile(r.exact, 50))} / ${f2(percentile(r.exact, 95))} |`).join('\n')}

Search breadth (ef, set at query time on the same graph; USearch searches max(ef, candidates asked for) wide):
recall@10 against the exact scan and the dense list's time at each ef of \`EFS\` and the served one (in bold):

| reviews | ef | dense recall@10 | dense p50 / p95 ms |
|---|---|---|---|
${results
  .flatMap((r) =>
    r.sweep.map((w) => {
      const b = w.ef === r.ef ? '**' : '';
      return `| ${size(r.n)} | ${b}${w.ef}${b} | ${b}${w.recall.toFixed(3)}${b} | ${b}${f2(percentile(w.dense, 50))} / ${f2(percentile(w.dense, 95))}${b} |`;
    }),
  )
  .join('\n')}
`,
  );
}
log('done');
