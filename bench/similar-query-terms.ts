/**
 * How many of a review's terms the similar-review search of an analysis should score in its BM25 list (issue 15:
 * "analysis with similar_reviews costs at most 10 ms more"). An analysis searches for reviews like the one analysed:
 * BM25 on the review's first 48 words (src/server/context.ts) fused by RRF with the dense list of the review's
 * vector. On the search-scale corpus (real Amazon MARC and women's-clothing reviews, 2-3 joined past the real ones,
 * bench/review-corpus.ts) at BENCH_SIZE rows, in process, with the server's in-memory indices (`MemoryBm25`,
 * `ExactVectorSet` with the served HNSW settings), for 200 held-out real reviews: the BM25 list's time for each cap
 * on the query's terms (the rarest kept), and what the hybrid top 10 looks like: its overlap with the top 10 at
 * 25 terms (MAX_QUERY_TERMS, what the search API uses) and how many of its hits carry the analysed review's own
 * label (1-2 stars negative, 3 neutral, 4-5 positive; the review is not in the index).
 *
 *   npm run bench:similar-query-terms          (BENCH_SIZE=100000)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { seededRandom } from '../src/core/index.js';
import { machineLine, percentile, writeSection } from '../src/evaluation/index.js';
import { DEFAULT_ANN } from '../src/retrieval/exact-scan.js';
import {
  type Candidate,
  ExactVectorSet,
  foldForIndex,
  foldQuery,
  reciprocalRankFusion,
} from '../src/retrieval/index.js';
import { MAX_QUERY_TERMS, MemoryBm25 } from '../src/retrieval/memory-bm25.js';
import { FeatureCache, TEXT_ENCODER } from '../src/training/index.js';
import { loadReviewPool, reviewMaker } from './review-corpus.js';

const N = Number(process.env.BENCH_SIZE ?? 100_000);
const CAPS = [MAX_QUERY_TERMS, 16, 12, 8, 5];
const WORDS = 48;
const LIMIT = 50;
const K = 10;
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
const textCache = new FeatureCache(join(import.meta.dirname, '..', '.cache', 'features'), TEXT_ENCODER, 384);
const { queryReviews, pool } = loadReviewPool(textCache, seededRandom(15), 200);
const review = reviewMaker(pool, seededRandom(1515));

const bm25 = new MemoryBm25();
const vectors = new ExactVectorSet(384);
const labelOf = new Map<string, string | null>();
log(`building the in-memory indices over ${N.toLocaleString('en')} reviews`);
for (let i = 0; i < N; i++) {
  const { record: r, textVector } = review(i);
  const meta = { product: null, label: null, source: null, rating: null, date: null, hasImage: false };
  labelOf.set(r.id, r.label ?? null);
  vectors.set(r.id, textVector, meta);
  bm25.set(r.id, foldForIndex(r.title ? `${r.title}\n${r.text}` : r.text), meta);
}
if (N >= DEFAULT_ANN.minRows) await vectors.buildAnn({ ...DEFAULT_ANN, minRows: 0 });
const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

const queries = queryReviews.flatMap((q) => {
  const v = textCache.get(FeatureCache.key(q.text));
  return v ? [{ text: foldQuery(q.text.split(/\s+/, WORDS).join(' ')), v, label: q.label ?? null }] : [];
});
/** Each query's dense list, the same whatever the BM25 cap. */
const denseLists = queries.map((q) => vectors.search(q.v, LIMIT));
/** The top K of a BM25 list fused by RRF with query i's dense list. */
const fuse = (lexical: Candidate[], i: number) =>
  reciprocalRankFusion(
    [
      { name: 'bm25', weight: 1, candidates: lexical },
      { name: 'dense', weight: 1, candidates: denseLists[i] as Candidate[] },
    ],
    60,
  )
    .slice(0, K)
    .map((f) => f.id);

interface Row {
  cap: string;
  ms: number[];
  overlap: number;
  sameLabel: number;
}
const rows: Row[] = [];
const reference = queries.map((q, i) => new Set(fuse(bm25.search(q.text, LIMIT, undefined, MAX_QUERY_TERMS), i)));
for (const cap of [...CAPS, 0]) {
  const ms: number[] = [];
  let overlap = 0;
  let same = 0;
  for (const [i, q] of queries.entries()) {
    let ids: string[];
    if (cap === 0) ids = vectors.search(q.v, K).map((c) => c.id);
    else {
      const t = performance.now();
      const lexical = bm25.search(q.text, LIMIT, undefined, cap);
      ms.push(performance.now() - t);
      ids = fuse(lexical, i);
    }
    const ref = reference[i] as Set<string>;
    overlap += ids.filter((id) => ref.has(id)).length / K;
    same += ids.filter((id) => labelOf.get(id) === q.label).length / K;
  }
  rows.push({
    cap: cap === 0 ? 'no BM25 list (dense only)' : String(cap),
    ms,
    overlap: overlap / queries.length,
    sameLabel: same / queries.length,
  });
  log(`  ${cap || 'dense only'}: overlap ${(overlap / queries.length).toFixed(3)}`);
}

const f2 = (x: number) => x.toFixed(2);
writeSection(
  'similar-query-terms',
  `## Similar reviews of an analysis: terms scored by BM25 (issue 15)

Command: \`npm run bench:similar-query-terms\` (BENCH_SIZE=${N}). In process, the server's in-memory indices over
${N.toLocaleString('en')} reviews of the search-scale corpus (bench/review-corpus.ts; HNSW as served past
\`retrieval.annMinRows\`), ${queries.length} held-out real reviews as the analysed ones: their first ${WORDS} words to BM25
(the rarest terms up to the cap), their vectors to the dense list, ${LIMIT} candidates each, RRF (k 60), top ${K}.
Overlap: share of the top ${K} also in the top ${K} at ${MAX_QUERY_TERMS} terms. Same label: share of the top ${K} whose label
(from stars) is the analysed review's. ${machineLine()}. Load average before the queries: ${load}.

| terms scored | BM25 list p50 / p95 ms | hybrid top ${K}: overlap with ${MAX_QUERY_TERMS} terms | hybrid top ${K}: same label as the review |
|---|---|---|---|
${rows.map((r) => `| ${r.cap} | ${r.ms.length ? `${f2(percentile(r.ms, 50))} / ${f2(percentile(r.ms, 95))}` : '-'} | ${r.overlap.toFixed(3)} | ${r.sameLabel.toFixed(3)} |`).join('\n')}

The analysis's similar-review search scores 12 (\`SIMILAR_QUERY_TERMS\`, src/server/context.ts): the label
agreement of what it finds does not depend on the cap, and its BM25 cost does.
`,
);
