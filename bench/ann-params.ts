/**
 * HNSW parameters of the in-memory vector search (issue 15): builds USearch graphs over the search-scale
 * benchmark's vectors (real product-review MiniLM vectors from the feature cache, recombined past the pool
 * as bench/search-scale.ts does) and prints, per size and k, the build time, exact-scan and HNSW latency and
 * recall@10 against the exact scan. Prints JSON lines; it does not write docs/benchmarks.md.
 *
 *   SIZES=50000 QUANT=f16 M=32 EF=256 REFINE=4 BT=2 npx tsx bench/ann-params.ts
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { seededRandom, shuffleInPlace } from '../src/core/index.js';
import { ExactVectorSet } from '../src/retrieval/index.js';
import { loadStarSet } from '../src/training/ecommerce.js';
import { FeatureCache, TEXT_ENCODER } from '../src/training/index.js';

const ROOT = '/work/main';
const rand = seededRandom(15);
const cache = new FeatureCache(join(ROOT, '.cache', 'features'), TEXT_ENCODER, 384);
const all = [...loadStarSet('marc'), ...loadStarSet('womens-clothing')];
shuffleInPlace(all, rand);
const vecs = all.flatMap((r) => {
  const v = cache.get(FeatureCache.key(r.text));
  return v ? [v] : [];
});
const queries = vecs.slice(0, 200);
const pool = vecs.slice(200);
const sizes = (process.env.SIZES ?? '20000,50000,100000').split(',').map(Number);
const quant = (process.env.QUANT ?? 'i8') as 'i8';
const meta = { product: null, label: null, source: null, rating: null, date: null, hasImage: false };
function vec(i: number): Float32Array {
  if (i < pool.length) return pool[i] as Float32Array;
  const out = new Float32Array(384);
  const k = 2 + Math.floor(rand() * 2);
  for (let j = 0; j < k; j++) {
    const v = pool[Math.floor(rand() * pool.length)] as Float32Array;
    for (let d = 0; d < 384; d++) out[d] = (out[d] as number) + (v[d] as number);
  }
  return out;
}
const p = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((q / 100) * s.length))] as number;
};
const set = new ExactVectorSet(384);
let n = 0;
for (const size of sizes) {
  while (n < size) {
    set.set(`r${n}`, vec(n), meta);
    n++;
  }
  const mem0 = process.memoryUsage().rss;
  const t0 = performance.now();
  await set.buildAnn({
    quantization: quant,
    buildThreads: Number(process.env.BT ?? 1),
    expansionSearch: Number(process.env.EF ?? 64),
    refine: Number(process.env.REFINE ?? 2),
    connectivity: Number(process.env.M ?? 16),
  });
  const buildS = (performance.now() - t0) / 1000;
  const mem1 = process.memoryUsage().rss;
  for (const k of [10, 50]) {
    const te: number[] = [];
    const ta: number[] = [];
    let hit = 0;
    for (const q of queries) {
      let t = performance.now();
      const ex = set.searchExact(q, k);
      te.push(performance.now() - t);
      t = performance.now();
      const an = set.search(q, k);
      ta.push(performance.now() - t);
      const truth = new Set(ex.slice(0, 10).map((c) => c.id));
      hit += an.slice(0, 10).filter((c) => truth.has(c.id)).length;
    }
    console.log(
      JSON.stringify({
        size,
        quant,
        k,
        buildS: +buildS.toFixed(1),
        annMB: +((mem1 - mem0) / 1e6).toFixed(0),
        exactP50: +p(te, 50).toFixed(2),
        exactP95: +p(te, 95).toFixed(2),
        annP50: +p(ta, 50).toFixed(3),
        annP95: +p(ta, 95).toFixed(3),
        recall10: hit / (queries.length * 10),
      }),
    );
  }
}
