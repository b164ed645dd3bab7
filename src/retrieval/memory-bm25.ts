import { analyzeFolded } from './analyzer.js';
import type { FilterFields } from './exact-scan.js';
import type { Candidate } from './types.js';

/**
 * Most query terms scored: a longer query (a whole review, as the similar-review search sends) keeps its
 * MAX_QUERY_TERMS rarest terms (highest idf). The cost of a query is the postings it walks, and the terms
 * left out are the commonest, which walk the longest postings and add the least to a score. The figure is
 * Elasticsearch's `more_like_this` default `max_query_terms` (25), which selects terms the same way by tf-idf.
 */
export const MAX_QUERY_TERMS = 25;

/** One term's postings: rows holding it and the term's frequency in each, appended in row order. */
interface Postings {
  rows: Int32Array;
  tfs: Uint16Array;
  n: number;
}

/**
 * An in-memory BM25 inverted index over the table's `search_text` column, kept in step with every write.
 *
 * Scoring is Okapi BM25 as LanceDB's and Lucene's full-text indices do it: k1 = 1.2, b = 0.75,
 * idf = ln(1 + (N − df + 0.5) / (df + 0.5)); a query's terms are OR-ed and each distinct term counts once.
 * Like Lucene, a deleted or replaced document stays counted in N, df and the average length until the
 * postings are compacted (automatically once a fifth of the rows are dead), so scores move a little with
 * deletions, never the set of matches.
 *
 * Own code, not a library: MiniSearch and wink-bm25-text-search keep postings as JS objects and score
 * every matching document into a result object (wink's index cannot take documents after it is
 * consolidated); a query term found in a fifth of 1M reviews ("quality") then allocates 200,000 objects.
 * Here postings are typed arrays and scores go into one reused Float32Array, with a k-sized heap on top.
 */
export class MemoryBm25 {
  private readonly postings = new Map<string, Postings>();
  private readonly rowOf = new Map<string, number>();
  /** Row → id, undefined once deleted. */
  private ids: (string | undefined)[] = [];
  private meta: (FilterFields | undefined)[] = [];
  private lengths = new Uint32Array(1024);
  private totalLength = 0;
  private dead = 0;
  private scores = new Float32Array(1024);

  constructor(
    private readonly k1 = 1.2,
    private readonly b = 0.75,
  ) {}

  /** Live documents. */
  get size(): number {
    return this.rowOf.size;
  }

  /** Approximate bytes held (postings, lengths, scores, ids), for stats. */
  get bytes(): number {
    let p = 0;
    for (const [t, x] of this.postings) p += x.rows.byteLength + x.tfs.byteLength + t.length * 2 + 64;
    return p + this.lengths.byteLength + this.scores.byteLength + this.ids.length * 80;
  }

  /** Adds or replaces a document; `folded` is its `search_text` (already ASCII-folded, `foldForIndex`). */
  set(id: string, folded: string, fields: FilterFields): void {
    this.delete(id);
    const row = this.ids.length;
    if (row >= this.lengths.length) {
      const grown = new Uint32Array(this.lengths.length * 2);
      grown.set(this.lengths);
      this.lengths = grown;
      this.scores = new Float32Array(grown.length);
    }
    const terms = analyzeFolded(folded);
    const tf = new Map<string, number>();
    for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const [t, f] of tf) {
      let p = this.postings.get(t);
      if (!p) {
        p = { rows: new Int32Array(4), tfs: new Uint16Array(4), n: 0 };
        this.postings.set(t, p);
      }
      if (p.n === p.rows.length) {
        const rows = new Int32Array(p.n * 2);
        rows.set(p.rows);
        const tfs = new Uint16Array(p.n * 2);
        tfs.set(p.tfs);
        p.rows = rows;
        p.tfs = tfs;
      }
      p.rows[p.n] = row;
      p.tfs[p.n] = Math.min(f, 65_535);
      p.n++;
    }
    this.ids.push(id);
    this.meta.push(fields);
    this.lengths[row] = terms.length;
    this.totalLength += terms.length;
    this.rowOf.set(id, row);
  }

  /** Changes the filter fields of a document (a label or rating update), if it is here. */
  setFields(id: string, fields: Partial<FilterFields>): void {
    const row = this.rowOf.get(id);
    if (row !== undefined) this.meta[row] = { ...(this.meta[row] as FilterFields), ...fields };
  }

  delete(id: string): void {
    const row = this.rowOf.get(id);
    if (row === undefined) return;
    this.rowOf.delete(id);
    this.ids[row] = undefined;
    this.meta[row] = undefined;
    this.dead++;
    if (this.dead > 1000 && this.dead > this.ids.length / 5) this.compact();
  }

  /** Drops dead rows from the postings and renumbers the live ones (N, df and lengths become exact again). */
  compact(): void {
    const newRow = new Int32Array(this.ids.length).fill(-1);
    const ids: string[] = [];
    const meta: FilterFields[] = [];
    const lengths = new Uint32Array(Math.max(1024, this.lengths.length));
    let total = 0;
    this.ids.forEach((id, r) => {
      if (id === undefined) return;
      newRow[r] = ids.length;
      lengths[ids.length] = this.lengths[r] as number;
      total += this.lengths[r] as number;
      ids.push(id);
      meta.push(this.meta[r] as FilterFields);
    });
    for (const [t, p] of this.postings) {
      let n = 0;
      for (let i = 0; i < p.n; i++) {
        const r = newRow[p.rows[i] as number] as number;
        if (r < 0) continue;
        p.rows[n] = r;
        p.tfs[n] = p.tfs[i] as number;
        n++;
      }
      if (n === 0) this.postings.delete(t);
      else p.n = n;
    }
    this.ids = ids;
    this.meta = meta;
    this.lengths = lengths;
    this.scores = new Float32Array(lengths.length);
    this.totalLength = total;
    this.dead = 0;
    this.rowOf.clear();
    ids.forEach((id, r) => {
      this.rowOf.set(id, r);
    });
  }

  /**
   * The `limit` best documents for `foldedQuery` (a query through `foldQuery`) by BM25, among those
   * `filter` keeps; score = the BM25 score. Documents matching no query term are not returned. Of a query
   * with more than `maxTerms` distinct indexed terms only the `maxTerms` rarest are scored (MAX_QUERY_TERMS).
   */
  search(
    foldedQuery: string,
    limit: number,
    filter?: (r: FilterFields) => boolean,
    maxTerms = MAX_QUERY_TERMS,
  ): Candidate[] {
    const rows = this.ids.length;
    if (rows === 0 || limit <= 0) return [];
    const found: Postings[] = [];
    for (const t of new Set(analyzeFolded(foldedQuery))) {
      const p = this.postings.get(t);
      if (p) found.push(p);
    }
    // Rarest first (fewest postings = highest idf); a stable sort keeps query order among equals.
    if (found.length > maxTerms) found.sort((a, b) => a.n - b.n).length = maxTerms;
    const avg = this.totalLength / rows || 1;
    const scores = this.scores;
    const touched: number[] = [];
    for (const p of found) {
      const idf = Math.log(1 + (rows - p.n + 0.5) / (p.n + 0.5));
      const k1 = this.k1;
      const norm = k1 * (1 - this.b);
      const slope = (k1 * this.b) / avg;
      for (let i = 0; i < p.n; i++) {
        const r = p.rows[i] as number;
        const f = p.tfs[i] as number;
        const s = (idf * f * (k1 + 1)) / (f + norm + slope * (this.lengths[r] as number));
        if (scores[r] === 0) touched.push(r);
        scores[r] = (scores[r] as number) + s;
      }
    }
    // Top `limit` by a min-heap over the touched rows; the scores buffer is zeroed again on the way.
    const heap: number[] = [];
    const better = (a: number, b: number) =>
      (scores[a] as number) > (scores[b] as number) ||
      (scores[a] === scores[b] && (this.ids[a] as string) < (this.ids[b] as string));
    const sift = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && better(heap[m] as number, heap[l] as number)) m = l;
        if (r < heap.length && better(heap[m] as number, heap[r] as number)) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m] as number, heap[i] as number];
        i = m;
      }
    };
    const out: Candidate[] = [];
    for (const r of touched) {
      const id = this.ids[r];
      if (id !== undefined && (!filter || filter(this.meta[r] as FilterFields))) {
        if (heap.length < limit) {
          heap.push(r);
          for (let i = heap.length - 1; i > 0; ) {
            const parent = (i - 1) >> 1;
            if (!better(heap[parent] as number, heap[i] as number)) break;
            [heap[i], heap[parent]] = [heap[parent] as number, heap[i] as number];
            i = parent;
          }
        } else if (better(r, heap[0] as number)) {
          heap[0] = r;
          sift(0);
        }
      }
    }
    const ranked = heap.sort((a, b) => (better(a, b) ? -1 : 1));
    for (const r of ranked) out.push({ id: this.ids[r] as string, score: scores[r] as number });
    for (const r of touched) scores[r] = 0;
    return out;
  }
}
