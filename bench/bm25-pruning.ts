/**
 * BM25 with MaxScore pruning against scoring every posting (issue 15): `MemoryBm25.search` (document at a time,
 * MaxScore, Turtle & Flood 1995) and an exhaustive term-at-a-time scorer over the same postings, on the
 * search-scale corpus (real Amazon MARC and women's-clothing reviews, 2-3 joined past the real ones; the first
 * sentences of 200 held-out reviews as queries), 50 candidates per query as the hybrid searcher asks. Reports
 * p50 / p95 / p99 of both, in the same process and in turns, and checks that both return the same scores.
 *
 *   npm run bench:bm25-pruning          (BENCH_SIZES=100000,1000000)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { seededRandom } from '../src/core/index.js';
import { machineLine, percentile, writeSection } from '../src/evaluation/index.js';
import { analyzeFolded } from '../src/retrieval/analyzer.js';
import { foldForIndex, foldQuery } from '../src/retrieval/fold.js';
import { MemoryBm25 } from '../src/retrieval/memory-bm25.js';
import { FeatureCache, TEXT_ENCODER } from '../src/training/index.js';
import { loadReviewPool, queryText, reviewMaker } from './review-corpus.js';

const SIZES = (process.env.BENCH_SIZES ?? '100000,1000000').split(',').map(Number);
const LIMIT = 50;
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
const load = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
const textCache = new FeatureCache(join(import.meta.dirname, '..', '.cache', 'features'), TEXT_ENCODER, 384);
const { queryReviews, pool } = loadReviewPool(textCache, seededRandom(15), 200);
const queries = queryReviews.map((q) => foldQuery(queryText(q.text)));

interface Internals {
  ids: (string | undefined)[];
  lengths: Uint32Array;
  totalLength: number;
  k1: number;
  b: number;
  postings: Map<string, { rows: Int32Array; tfs: Uint16Array; n: number }>;
}
/** Every posting of every query term scored (the method MemoryBm25 used before MaxScore); top `limit` scores. */
function exhaustive(index: MemoryBm25, query: string, limit: number): number[] {
  const ix = index as unknown as Internals;
  const rows = ix.ids.length;
  const avg = ix.totalLength / rows || 1;
  const norm = ix.k1 * (1 - ix.b);
  const slope = (ix.k1 * ix.b) / avg;
  const scores = new Map<number, number>();
  for (const t of new Set(analyzeFolded(query))) {
    const p = ix.postings.get(t);
    if (!p) continue;
    const idf = Math.log(1 + (rows - p.n + 0.5) / (p.n + 0.5));
    for (let i = 0; i < p.n; i++) {
      const r = p.rows[i] as number;
      const f = p.tfs[i] as number;
      const s = (idf * f * (ix.k1 + 1)) / (f + norm + slope * (ix.lengths[r] as number));
      scores.set(r, (scores.get(r) ?? 0) + s);
    }
  }
  return [...scores.values()].sort((a, b) => b - a).slice(0, limit);
}

const rows: string[] = [];
for (const n of SIZES) {
  const index = new MemoryBm25();
  const review = reviewMaker(pool, seededRandom(1515));
  const meta = { product: null, label: null, source: null, rating: null, date: null, hasImage: false };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const { record } = review(i);
    index.set(record.id, foldForIndex(record.text), meta);
    if ((i + 1) % 200_000 === 0) log(`  ${i + 1} rows`);
  }
  log(`${n} rows indexed in ${((performance.now() - t0) / 1000).toFixed(0)} s, load average ${load()}`);
  const pruned: number[] = [];
  const full: number[] = [];
  let differ = 0;
  const before = load();
  for (let round = 0; round < 2; round++) {
    for (const q of queries) {
      let t = performance.now();
      const got = index.search(q, LIMIT);
      pruned.push(performance.now() - t);
      t = performance.now();
      const want = exhaustive(index, q, LIMIT);
      full.push(performance.now() - t);
      if (
        round === 0 &&
        (got.length !== want.length || got.some((h, i) => Math.abs(h.score - (want[i] as number)) > 1e-9))
      )
        differ++;
    }
  }
  const f = (x: number[]) => [50, 95, 99].map((q) => percentile(x, q).toFixed(2)).join(' / ');
  const row = `| ${n.toLocaleString('en-US')} | ${f(pruned)} | ${f(full)} | ${differ} of ${queries.length} | ${before} |`;
  log(row);
  rows.push(row);
}

const md = `## BM25 with MaxScore pruning (issue 15)

Command: \`npm run bench:bm25-pruning\`. \`MemoryBm25.search\` (document at a time with MaxScore pruning, Turtle & Flood
1995) against scoring every posting of every query term (the method before), over the same in-memory postings, on
the search-scale corpus (real Amazon MARC and women's-clothing reviews, 2-3 joined past the real ones); queries: the
first sentences of ${queries.length} held-out reviews, ${LIMIT} candidates each (what the hybrid searcher asks), each query
twice, the two methods in turns. One process, one thread. ${machineLine()}.

| reviews | MaxScore p50 / p95 / p99 ms | every posting p50 / p95 / p99 ms | queries whose top ${LIMIT} scores differ | load average before |
|---|---|---|---|---|
${rows.join('\n')}
`;
writeSection('bm25-pruning', md);
process.stdout.write(md);
