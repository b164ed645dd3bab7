import { setImmediate as yieldToEvents } from 'node:timers/promises';
import usearch, { type ScalarKind } from 'usearch';
import type { Candidate, SearchFilters } from './types.js';

/** The fields a search can filter on, as held in memory for each row (same meaning as the table's columns). */
export interface FilterFields {
  product: string | null;
  label: string | null;
  source: string | null;
  rating: number | null;
  date: string | null;
  hasImage: boolean;
}

/**
 * A predicate with the semantics of `filterSql` (lance.ts): unset filters pass, a missing value fails any
 * comparison (SQL NULL), dates compare as strings and a bare `dateTo` date includes the whole day.
 */
export function filterPredicate(f: SearchFilters | undefined): ((r: FilterFields) => boolean) | undefined {
  if (!f) return undefined;
  const tests: ((r: FilterFields) => boolean)[] = [];
  if (f.product !== undefined) tests.push((r) => r.product === f.product);
  if (f.sentiment !== undefined) tests.push((r) => r.label === f.sentiment);
  if (f.source !== undefined) tests.push((r) => r.source === f.source);
  if (f.ratingMin !== undefined) tests.push((r) => r.rating !== null && r.rating >= (f.ratingMin as number));
  if (f.ratingMax !== undefined) tests.push((r) => r.rating !== null && r.rating <= (f.ratingMax as number));
  if (f.dateFrom !== undefined) tests.push((r) => r.date !== null && r.date >= (f.dateFrom as string));
  if (f.dateTo !== undefined) {
    const to = /^\d{4}-\d{2}-\d{2}$/.test(f.dateTo) ? `${f.dateTo}T99` : f.dateTo;
    tests.push((r) => r.date !== null && r.date <= to);
  }
  if (f.hasImage !== undefined) tests.push((r) => r.hasImage === f.hasImage);
  if (tests.length === 0) return undefined;
  return (r) => tests.every((t) => t(r));
}

/**
 * An in-memory copy of one vector column (unit-normalised) with each row's filter fields, searched exactly.
 *
 * Why: below the ANN threshold LanceDB answers a nearest-neighbour query by scanning the column from its
 * files, which measured 10-20 ms at 5,000 rows of 384 dimensions (and 190 ms at 100,000); the same scan over
 * a contiguous Float32Array with USearch's SIMD kernel takes about a millisecond at 5,000. Filters are
 * applied before ranking (prefiltering), so a filtered query still gets `limit` matches when there are.
 */
export class ExactVectorSet {
  private data: Float32Array;
  private ids: string[] = [];
  private meta: FilterFields[] = [];
  private readonly rowOf = new Map<string, number>();
  /** The HNSW graph over the rows, once there are `ann.minRows` of them (unfiltered queries use it). */
  private ann: AnnGraph | undefined;

  constructor(
    readonly dim: number,
    /** Threads for one scan (1 keeps a query on one core, leaving the other to the server). */
    private readonly threads = 1,
    /** HNSW above a size (see `AnnOptions`); without it every query is an exact scan. */
    annOptions?: AnnOptions,
  ) {
    this.data = new Float32Array(dim * 1024);
    if (annOptions) this.ann = new AnnGraph(dim, annOptions);
  }

  /** Whether unfiltered queries are answered by the HNSW graph (it is built and has caught up). */
  get annReady(): boolean {
    return this.ann?.ready ?? false;
  }

  /** Builds the HNSW graph now, whatever the size (benchmarks); resolves when it answers queries. */
  buildAnn(options?: Partial<AnnOptions>): Promise<void> {
    if (!this.ann || options) this.ann = new AnnGraph(this.dim, { ...DEFAULT_ANN, minRows: 0, ...options });
    return this.ann.build(this);
  }

  /**
   * Attaches the HNSW settings after a bulk fill (the load from the table): the graph is then built in the
   * background if the set has `minRows` rows, while exact scans answer.
   */
  enableAnn(options: AnnOptions): void {
    if (this.ann) return;
    this.ann = new AnnGraph(this.dim, options);
    if (this.size >= options.minRows) this.ann.build(this).catch(() => {});
  }

  /** Changes the HNSW graph's query-time settings (ef, its growth with size, refine); no-op without a graph. */
  tuneAnn(options: Partial<Pick<AnnOptions, 'expansionSearch' | 'efScaleRows' | 'refine'>>): void {
    this.ann?.tune(options);
  }

  /** The HNSW search breadth (ef) queries use at the current size; undefined without a graph. */
  get annBreadth(): number | undefined {
    return this.ann?.breadth(this.size);
  }

  /** Adds the rows written since the last call to the HNSW graph (one batched native call). */
  flush(): void {
    this.ann?.flush(this);
  }

  /** The normalised vector of a row (a view, valid until the next write). */
  vectorOf(id: string): Float32Array | undefined {
    const row = this.rowOf.get(id);
    return row === undefined ? undefined : this.data.subarray(row * this.dim, (row + 1) * this.dim);
  }

  /** Ids of all rows (a copy). */
  allIds(): string[] {
    return [...this.ids];
  }

  get size(): number {
    return this.ids.length;
  }

  /** Approximate bytes held (vectors and ids), for stats. */
  get bytes(): number {
    return this.data.byteLength + this.ids.length * 80 + (this.ann?.bytes ?? 0);
  }

  has(id: string): boolean {
    return this.rowOf.has(id);
  }

  /** Adds or replaces a row; the vector is copied and normalised (cosine becomes a dot product). */
  set(id: string, vector: ArrayLike<number>, fields: FilterFields): void {
    if (vector.length !== this.dim) throw new Error(`vector of ${id} has ${vector.length} dimensions, not ${this.dim}`);
    let row = this.rowOf.get(id);
    if (row === undefined) {
      row = this.ids.length;
      if ((row + 1) * this.dim > this.data.length) {
        const grown = new Float32Array(this.data.length * 2);
        grown.set(this.data);
        this.data = grown;
      }
      this.ids.push(id);
      this.meta.push(fields);
      this.rowOf.set(id, row);
    } else {
      this.meta[row] = fields;
    }
    let norm = 0;
    for (let d = 0; d < this.dim; d++) norm += (vector[d] as number) ** 2;
    norm = Math.sqrt(norm) || 1;
    const o = row * this.dim;
    for (let d = 0; d < this.dim; d++) this.data[o + d] = (vector[d] as number) / norm;
    this.ann?.changed(id, this);
  }

  /** Changes the filter fields of a row (a label or rating update), if it is here. */
  setFields(id: string, fields: Partial<FilterFields>): void {
    const row = this.rowOf.get(id);
    if (row !== undefined) this.meta[row] = { ...(this.meta[row] as FilterFields), ...fields };
  }

  /** Removes a row (the last row moves into its place). */
  delete(id: string): void {
    const row = this.rowOf.get(id);
    if (row === undefined) return;
    const last = this.ids.length - 1;
    if (row !== last) {
      this.data.copyWithin(row * this.dim, last * this.dim, (last + 1) * this.dim);
      const moved = this.ids[last] as string;
      this.ids[row] = moved;
      this.meta[row] = this.meta[last] as FilterFields;
      this.rowOf.set(moved, row);
    }
    this.ids.pop();
    this.meta.pop();
    this.rowOf.delete(id);
    this.ann?.changed(id, this);
  }

  /**
   * The `limit` rows most similar to `query` (cosine), among those `filter` keeps; score = cosine similarity.
   * Unfiltered queries use the HNSW graph when it is ready (candidates re-scored exactly); filtered ones
   * and smaller sets scan exactly.
   */
  search(query: Float32Array, limit: number, filter?: (r: FilterFields) => boolean): Candidate[] {
    return this.searchIn(query, limit, filter);
  }

  /** The exact scan, bypassing the HNSW graph (ground truth for its recall). */
  searchExact(query: Float32Array, limit: number): Candidate[] {
    return this.searchIn(query, limit, undefined, true);
  }

  private searchIn(
    query: Float32Array,
    limit: number,
    filter: ((r: FilterFields) => boolean) | undefined,
    exact = false,
  ): Candidate[] {
    const n = this.ids.length;
    if (n === 0 || limit <= 0) return [];
    if (query.length !== this.dim) throw new Error(`query has ${query.length} dimensions, not ${this.dim}`);
    let norm = 0;
    for (let d = 0; d < this.dim; d++) norm += (query[d] as number) ** 2;
    norm = Math.sqrt(norm) || 1;
    const q = new Float32Array(this.dim);
    for (let d = 0; d < this.dim; d++) q[d] = (query[d] as number) / norm;
    if (!filter && !exact && this.ann?.ready) return this.ann.search(q, limit, this);

    let matching: number[] | undefined;
    if (filter) {
      matching = [];
      for (let r = 0; r < n; r++) if (filter(this.meta[r] as FilterFields)) matching.push(r);
      if (matching.length === 0) return [];
    }
    const excluded = matching ? n - matching.length : 0;
    // Most rows pass: rank all of them natively, asking for enough that `limit` passing ones are among them.
    if (!matching || excluded <= n / 2) {
      const count = Math.min(n, limit + excluded);
      const res = usearch.exactSearch(
        this.data.subarray(0, n * this.dim),
        q,
        this.dim,
        count,
        usearch.MetricKind.IP,
        this.threads,
      ) as { keys: BigUint64Array; distances: Float32Array };
      const out: Candidate[] = [];
      const pass = filter ? new Set(matching) : undefined;
      for (let i = 0; i < res.keys.length && out.length < limit; i++) {
        const row = Number(res.keys[i]);
        if (row >= n || (pass && !pass.has(row))) continue;
        out.push({ id: this.ids[row] as string, score: 1 - (res.distances[i] as number) });
      }
      return out;
    }
    // Few rows pass: score only those (a plain loop over a subset costs less than a full native scan).
    const scored = new Array<{ row: number; score: number }>(matching.length);
    for (let j = 0; j < matching.length; j++) {
      const row = matching[j] as number;
      const o = row * this.dim;
      let s = 0;
      for (let d = 0; d < this.dim; d++) s += (this.data[o + d] as number) * (q[d] as number);
      scored[j] = { row, score: s };
    }
    scored.sort((a, b) => b.score - a.score);
    return scored.slice(0, limit).map((s) => ({ id: this.ids[s.row] as string, score: s.score }));
  }
}

/** The HNSW settings of the in-memory vector search. */
export interface AnnOptions {
  /** Build the graph once the set has this many rows (below it, exact scans are as fast: docs/benchmarks.md). */
  minRows: number;
  /** Stored precision of the graph's vectors: f16 halves, i8 quarters the memory of f32 (re-scored exactly). */
  quantization: 'f16' | 'i8' | 'f32';
  /** Neighbours per node (HNSW M). */
  connectivity: number;
  /** Search breadth while inserting (ef_construction). */
  expansionAdd: number;
  /**
   * Search breadth while querying (ef) up to `efScaleRows` rows; at least the candidates asked for. Set at query
   * time: USearch searches with max(its ef, the count asked for), so asking for ef results widens the beam.
   */
  expansionSearch: number;
  /**
   * Past this many rows the breadth doubles per tenfold rows, ef × 2^log10(rows / efScaleRows) (a bigger graph needs
   * a wider beam for the same recall: docs/benchmarks.md, search at 1M); 0 keeps `expansionSearch` at every size.
   */
  efScaleRows: number;
  /** Candidates taken from the graph per result, re-scored with the exact f32 vectors. */
  refine: number;
  /** Threads for building the graph and for batched inserts. */
  buildThreads: number;
}

/**
 * Measured on 50,000 recombined product-review MiniLM vectors (the search-scale benchmark's data, 200
 * held-out queries): i8, M 16, ef 64, refine 2 gave recall@10 0.964; f16, M 16, ef 128, refine 3 gave
 * 0.977; f16, M 32, ef 256, refine 4 gave 0.997 (target >= 0.98). `npm run bench:search-scale` measures the
 * recall the server delivers.
 */
export const DEFAULT_ANN: AnnOptions = {
  minRows: 50_000,
  quantization: 'f16',
  connectivity: 32,
  expansionAdd: 128,
  expansionSearch: 256,
  efScaleRows: 0,
  refine: 4,
  buildThreads: 2,
};

/** Rows added to the graph per native call while it is built in the background (one call blocks the event loop). */
const BUILD_CHUNK = 2000;

/**
 * USearch's HNSW graph over an `ExactVectorSet`'s rows, keyed by a serial number per row version (a
 * replaced vector gets a new key; the old one is removed). Built in the background in chunks once the
 * set reaches `minRows`: until the build has caught up with the writes made meanwhile, queries scan exactly.
 */
class AnnGraph {
  private index: InstanceType<typeof usearch.Index> | undefined;
  private building: Promise<void> | undefined;
  /** Ids changed since they were put in the graph (while building, or since the last flush). */
  private dirty = new Set<string>();
  private readonly keyOf = new Map<string, number>();
  private readonly idOf = new Map<number, string>();
  private nextKey = 1;
  ready = false;

  constructor(
    private readonly dim: number,
    private opts: AnnOptions,
  ) {}

  /** Changes the query-time settings (ef, its growth, refine) of a built graph. */
  tune(options: Partial<Pick<AnnOptions, 'expansionSearch' | 'efScaleRows' | 'refine'>>): void {
    this.opts = { ...this.opts, ...options };
  }

  /** The search breadth (ef) for a graph of `rows` rows: `expansionSearch`, doubled per tenfold rows past `efScaleRows`. */
  breadth(rows: number): number {
    const { expansionSearch: ef, efScaleRows: scale } = this.opts;
    return scale > 0 && rows > scale ? Math.ceil(ef * 2 ** Math.log10(rows / scale)) : ef;
  }

  get bytes(): number {
    if (!this.index) return 0;
    const perVector = { f32: 4, f16: 2, i8: 1 }[this.opts.quantization] * this.dim;
    // Vector + level-0 neighbour list (2M slots of 4 bytes) + key maps; upper levels are ~1/M of that.
    return this.index.size() * (perVector + this.opts.connectivity * 2 * 4 + 120);
  }

  /** Notes a row change; starts the build when the set has grown to `minRows`. */
  changed(id: string, set: ExactVectorSet): void {
    if (this.index || this.building) this.dirty.add(id);
    else if (set.size >= this.opts.minRows) this.build(set).catch(() => {});
  }

  build(set: ExactVectorSet): Promise<void> {
    if (this.ready) return Promise.resolve();
    this.building ??= (async () => {
      const index = new usearch.Index({
        dimensions: this.dim,
        metric: usearch.MetricKind.Cos,
        quantization: this.opts.quantization as ScalarKind,
        connectivity: this.opts.connectivity,
        expansion_add: this.opts.expansionAdd,
        expansion_search: this.opts.expansionSearch,
        multi: false,
      });
      this.index = index;
      this.dirty.clear();
      const ids = set.allIds();
      for (let s = 0; s < ids.length; s += BUILD_CHUNK) {
        this.add(ids.slice(s, s + BUILD_CHUNK), set);
        await yieldToEvents();
      }
      this.flush(set);
      this.ready = true;
    })();
    return this.building;
  }

  /** Brings the graph in step with the rows changed since it last saw them. */
  flush(set: ExactVectorSet): void {
    if (!this.index || this.dirty.size === 0) return;
    const ids = [...this.dirty];
    this.dirty.clear();
    this.add(ids, set);
  }

  private add(ids: readonly string[], set: ExactVectorSet): void {
    const index = this.index as InstanceType<typeof usearch.Index>;
    const keys: bigint[] = [];
    const vecs: Float32Array[] = [];
    for (const id of ids) {
      const old = this.keyOf.get(id);
      if (old !== undefined) {
        index.remove(BigInt(old));
        this.keyOf.delete(id);
        this.idOf.delete(old);
      }
      const v = set.vectorOf(id);
      if (!v) continue;
      const key = this.nextKey++;
      this.keyOf.set(id, key);
      this.idOf.set(key, id);
      keys.push(BigInt(key));
      vecs.push(Float32Array.from(v));
    }
    if (keys.length > 0) index.add(keys, vecs, this.opts.buildThreads);
  }

  /**
   * `limit` nearest rows: max(`refine` × limit, ef) candidates from the graph (asking for ef of them is what makes
   * the beam ef wide), re-scored and ranked by exact cosine.
   */
  search(q: Float32Array, limit: number, set: ExactVectorSet): Candidate[] {
    this.flush(set);
    const index = this.index as InstanceType<typeof usearch.Index>;
    const size = index.size();
    const want = Math.min(size, Math.max(limit * this.opts.refine, limit + 10, this.breadth(size)));
    const res = index.search(q, want, 1);
    const out: Candidate[] = [];
    for (let i = 0; i < res.keys.length; i++) {
      const id = this.idOf.get(Number(res.keys[i]));
      const v = id === undefined ? undefined : set.vectorOf(id);
      if (!id || !v) continue;
      let s = 0;
      for (let d = 0; d < this.dim; d++) s += (v[d] as number) * (q[d] as number);
      out.push({ id, score: s });
    }
    out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    return out.slice(0, limit);
  }
}
