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
 * Here postings are typed arrays in row order, read document at a time with MaxScore pruning into a k-sized heap.
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

  constructor(
    private readonly k1 = 1.2,
    private readonly b = 0.75,
  ) {}

  /** Live documents. */
  get size(): number {
    return this.rowOf.size;
  }

  /** Approximate bytes held (postings, lengths, ids), for stats. */
  get bytes(): number {
    let p = 0;
    for (const [t, x] of this.postings) p += x.rows.byteLength + x.tfs.byteLength + t.length * 2 + 64;
    return p + this.lengths.byteLength + this.ids.length * 80;
  }

  /** Adds or replaces a document; `folded` is its `search_text` (already ASCII-folded, `foldForIndex`). */
  set(id: string, folded: string, fields: FilterFields): void {
    this.delete(id);
    const row = this.ids.length;
    if (row >= this.lengths.length) {
      const grown = new Uint32Array(this.lengths.length * 2);
      grown.set(this.lengths);
      this.lengths = grown;
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
    return found.length ? this.maxScore(found, limit, filter) : [];
  }

  /**
   * Top `limit` rows by BM25 over the postings `lists`, document at a time with MaxScore pruning (Turtle &
   * Flood 1995, "Query evaluation: strategies and optimizations"): terms are ordered by their score's upper
   * bound idf * (k1 + 1); once `limit` rows are held, the terms whose bounds sum below the lowest held score
   * ("non-essential") no longer propose rows, and are only looked up (galloping search in their sorted
   * postings) for rows the others propose, while the row can still reach that score. Exact: the same rows and
   * scores as scoring every posting (ties broken by id), in far fewer postings for queries with common words.
   */
  private maxScore(lists: Postings[], limit: number, filter?: (r: FilterFields) => boolean): Candidate[] {
    const rows = this.ids.length;
    const k1 = this.k1;
    const norm = k1 * (1 - this.b);
    const slope = (k1 * this.b) / (this.totalLength / rows || 1);
    const terms = lists
      .map((p) => {
        const idf = Math.log(1 + (rows - p.n + 0.5) / (p.n + 0.5));
        return { p, idf, bound: idf * (k1 + 1), at: 0 };
      })
      .sort((x, y) => x.bound - y.bound);
    const m = terms.length;
    // upTo[j]: the most terms 0..j can add to a row's score.
    const upTo = new Float64Array(m);
    for (let j = 0, sum = 0; j < m; j++) upTo[j] = sum += (terms[j] as (typeof terms)[number]).bound;
    const lengths = this.lengths;
    const termScore = (t: (typeof terms)[number]) => {
      const f = t.p.tfs[t.at] as number;
      return (t.idf * f * (k1 + 1)) / (f + norm + slope * (lengths[t.p.rows[t.at] as number] as number));
    };
    // Held rows: a min-heap on (score, then id descending), so heap[0] is the first to give way.
    const heapRow: number[] = [];
    const heapScore: number[] = [];
    const worse = (i: number, j: number) =>
      (heapScore[i] as number) < (heapScore[j] as number) ||
      (heapScore[i] === heapScore[j] &&
        (this.ids[heapRow[i] as number] as string) > (this.ids[heapRow[j] as number] as string));
    const swap = (i: number, j: number) => {
      [heapRow[i], heapRow[j]] = [heapRow[j] as number, heapRow[i] as number];
      [heapScore[i], heapScore[j]] = [heapScore[j] as number, heapScore[i] as number];
    };
    const siftDown = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        let w = i;
        if (l < heapRow.length && worse(l, w)) w = l;
        if (l + 1 < heapRow.length && worse(l + 1, w)) w = l + 1;
        if (w === i) return;
        swap(i, w);
        i = w;
      }
    };
    let threshold = Number.NEGATIVE_INFINITY;
    let essential = 0; // terms[essential..] propose rows; terms[..essential - 1] are only looked up
    for (;;) {
      let row = Number.POSITIVE_INFINITY;
      for (let j = essential; j < m; j++) {
        const t = terms[j] as (typeof terms)[number];
        if (t.at < t.p.n && (t.p.rows[t.at] as number) < row) row = t.p.rows[t.at] as number;
      }
      if (row === Number.POSITIVE_INFINITY) break;
      let score = 0;
      for (let j = essential; j < m; j++) {
        const t = terms[j] as (typeof terms)[number];
        if (t.at < t.p.n && t.p.rows[t.at] === row) {
          score += termScore(t);
          t.at++;
        }
      }
      let reachable = true;
      for (let j = essential - 1; j >= 0; j--) {
        if (score + (upTo[j] as number) < threshold) {
          reachable = false;
          break;
        }
        const t = terms[j] as (typeof terms)[number];
        t.at = seek(t.p, t.at, row);
        if (t.at < t.p.n && t.p.rows[t.at] === row) score += termScore(t);
      }
      if (!reachable || score < threshold) continue;
      const id = this.ids[row];
      if (id === undefined || (filter && !filter(this.meta[row] as FilterFields))) continue;
      if (heapRow.length < limit) {
        heapRow.push(row);
        heapScore.push(score);
        for (let i = heapRow.length - 1; i > 0; ) {
          const parent = (i - 1) >> 1;
          if (!worse(i, parent)) break;
          swap(i, parent);
          i = parent;
        }
      } else {
        const top = heapRow[0] as number;
        const topScore = heapScore[0] as number;
        if (score === topScore && id > (this.ids[top] as string)) continue;
        heapRow[0] = row;
        heapScore[0] = score;
        siftDown(0);
      }
      if (heapRow.length === limit) {
        threshold = heapScore[0] as number;
        while (essential < m && (upTo[essential] as number) < threshold) essential++;
      }
    }
    const order = heapRow.map((_, i) => i);
    order.sort((i, j) => (worse(i, j) ? 1 : worse(j, i) ? -1 : 0));
    const out: Candidate[] = [];
    for (const i of order) out.push({ id: this.ids[heapRow[i] as number] as string, score: heapScore[i] as number });
    return out;
  }
}

/**
 * The first index >= `from` whose row is >= `row` in ascending postings (p.n when none): galloping (doubling
 * steps), then binary search inside the last step.
 */
function seek(p: Postings, from: number, row: number): number {
  if (from >= p.n || (p.rows[from] as number) >= row) return from;
  let lo = from;
  let step = 1;
  let hi = from + 1;
  while (hi < p.n && (p.rows[hi] as number) < row) {
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  hi = Math.min(hi, p.n);
  lo++;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((p.rows[mid] as number) < row) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
