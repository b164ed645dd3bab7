import './lance-env.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Connection, connect, Index, MatchQuery, type Table } from '@lancedb/lancedb';
import { Bool, Field, FixedSizeList, Float32, Float64, Schema, Utf8 } from 'apache-arrow';
import { LRUCache } from 'lru-cache';
import { ExactVectorSet, type FilterFields, filterPredicate } from './exact-scan.js';
import { foldForIndex, foldQuery } from './fold.js';
import { recordFromStored, storedFields } from './stored-fields.js';
import type {
  Candidate,
  ListOptions,
  RecordStore,
  ReviewRecord,
  SearchFilters,
  VectorField,
  VectorizedReview,
} from './types.js';

export interface LanceIndexOptions {
  /** A directory, or an object-store URI (`s3://bucket/path`) with `storageOptions`. */
  uri: string;
  table?: string;
  textDim: number;
  imageDim: number;
  /** Passed to LanceDB for object stores, e.g. `{ aws_endpoint, aws_region, allow_http }`. */
  storageOptions?: Record<string, string>;
  /** Build the HNSW vector index once a vector column has this many rows (below it, search is exact, in memory). */
  annMinRows?: number;
  /** Candidates re-ranked with exact distances after the ANN search, as a multiple of the limit. */
  refineFactor?: number;
  /** HNSW search breadth. */
  ef?: number;
  /** How stale a read may be with respect to other processes' writes (seconds; 0: always current). */
  readConsistencySeconds?: number;
  /**
   * Index maintenance (new rows folded into the full-text and vector indices, files compacted, old
   * versions dropped) runs in the background this long after the first write it has not seen (seconds).
   * Rows not folded in yet are still found: LanceDB searches them by brute force meanwhile.
   */
  maintenanceSeconds?: number;
  /** ...or as soon as this many rows were written since the last maintenance. */
  maintenanceRows?: number;
  /** Stored records kept in memory for hits (entries; 0: none). */
  recordCacheSize?: number;
}

/** What `index stats` reports. */
export interface LanceIndexStats {
  uri: string;
  table: string;
  reviews: number;
  withPhoto: number;
  /** Bytes of the table's data, as LanceDB counts them. */
  bytes: number;
  /** Bytes on disk, indices and kept versions included (local directories only). */
  diskBytes?: number;
  fragments: number;
  indices: { name: string; type: string; columns: string[]; indexedRows: number; unindexedRows: number }[];
  /** Why the last background index maintenance failed, when it did. */
  maintenanceError?: string;
}

const COLUMN: Record<VectorField, string> = { text: 'text_vec', image: 'image_vec' };
/** Longest an index maintenance may hold up the writes behind it (HNSW on 1M rows builds in a few minutes here). */
const MAINTENANCE_TIMEOUT_MS = 15 * 60_000;
const RECORD_COLUMNS = ['id', 'text', 'title', 'product', 'rating', 'date', 'source', 'label', 'image_id'];

/** Quotes a string for a LanceDB (DataFusion SQL) filter. */
function sqlString(v: string): string {
  return `'${v.replaceAll("'", "''")}'`;
}

function sqlNumber(v: number, what: string): string {
  if (!Number.isFinite(v)) throw new Error(`${what} must be a finite number`);
  return String(v);
}

/** SearchFilters as a SQL predicate over the table's columns; undefined when nothing filters. */
export function filterSql(f: SearchFilters | undefined): string | undefined {
  if (!f) return undefined;
  const parts: string[] = [];
  if (f.product !== undefined) parts.push(`product = ${sqlString(f.product)}`);
  if (f.sentiment !== undefined) parts.push(`label = ${sqlString(f.sentiment)}`);
  if (f.source !== undefined) parts.push(`source = ${sqlString(f.source)}`);
  if (f.ratingMin !== undefined) parts.push(`rating >= ${sqlNumber(f.ratingMin, 'ratingMin')}`);
  if (f.ratingMax !== undefined) parts.push(`rating <= ${sqlNumber(f.ratingMax, 'ratingMax')}`);
  if (f.dateFrom !== undefined) parts.push(`date >= ${sqlString(f.dateFrom)}`);
  // A bare date as the upper bound includes the whole day.
  if (f.dateTo !== undefined)
    parts.push(`date <= ${sqlString(/^\d{4}-\d{2}-\d{2}$/.test(f.dateTo) ? `${f.dateTo}T99` : f.dateTo)}`);
  if (f.hasImage !== undefined) parts.push(`has_image = ${f.hasImage ? 'true' : 'false'}`);
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

type Row = Record<string, unknown>;

function dirBytes(path: string): number {
  let total = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

/**
 * The embedded default for retrieval: one LanceDB table holding each review's fields, its text and
 * photo vectors, a BM25 full-text index over title + text, and, once a vector column is large enough,
 * an HNSW index (searched with a refine step). Serves as lexical index, vector index and record store.
 */
export class LanceReviewIndex implements RecordStore {
  readonly name = 'lancedb';
  private writes: Promise<unknown> = Promise.resolve();
  /** Whether the full-text index exists (it is created with the first rows); no per-query check. */
  private ftsReady = false;
  private ftsCheckedAt = 0;
  /** Vector columns with an ANN index; the others are searched exactly in memory (`mirrors`). */
  private annColumns = new Set<string>();
  /** In-memory copies of the vector columns without an ANN index (loaded on first search). */
  private mirrors: Partial<Record<VectorField, ExactVectorSet>> | undefined;
  private mirrorLoad: Promise<void> | undefined;
  /** The table version the caches (mirrors, records) reflect; another version means someone else wrote. */
  private knownVersion = 0;
  /** Own writes in flight: their new version is not someone else's. */
  private ownWrites = 0;
  private readonly recordCache: LRUCache<string, ReviewRecord> | undefined;
  /** Rows written since the last maintenance, and the timer that will run it. */
  private unmaintained = 0;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private maintenanceRun: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly db: Connection,
    private readonly table: Table,
    private readonly opts: Required<Omit<LanceIndexOptions, 'storageOptions' | 'readConsistencySeconds'>>,
  ) {
    this.recordCache = opts.recordCacheSize > 0 ? new LRUCache({ max: opts.recordCacheSize }) : undefined;
  }

  static async open(o: LanceIndexOptions): Promise<LanceReviewIndex> {
    const opts = {
      uri: o.uri,
      table: o.table ?? 'reviews',
      textDim: o.textDim,
      imageDim: o.imageDim,
      annMinRows: o.annMinRows ?? 50_000,
      refineFactor: o.refineFactor ?? 2,
      ef: o.ef ?? 100,
      maintenanceSeconds: o.maintenanceSeconds ?? 10,
      maintenanceRows: o.maintenanceRows ?? 5000,
      recordCacheSize: o.recordCacheSize ?? 10_000,
    };
    // Other processes (the CLI's `index`, another server on shared storage) write to the same table:
    // reads look for their commits at most every `readConsistencySeconds`.
    const db = await connect(o.uri, {
      readConsistencyInterval: o.readConsistencySeconds ?? 5,
      ...(o.storageOptions ? { storageOptions: o.storageOptions } : {}),
    });
    const names = await db.tableNames();
    const table = names.includes(opts.table)
      ? await db.openTable(opts.table)
      : await db.createEmptyTable(opts.table, LanceReviewIndex.schema(opts.textDim, opts.imageDim), {
          existOk: true,
        });
    const index = new LanceReviewIndex(db, table, opts);
    await index.checkDims();
    await index.readIndexList();
    index.knownVersion = await table.version();
    return index;
  }

  static schema(textDim: number, imageDim: number): Schema {
    const vec = (d: number) => new FixedSizeList(d, new Field('item', new Float32(), true));
    return new Schema([
      new Field('id', new Utf8(), false),
      new Field('text', new Utf8(), false),
      new Field('title', new Utf8(), true),
      new Field('search_text', new Utf8(), false),
      new Field('product', new Utf8(), true),
      new Field('rating', new Float64(), true),
      new Field('date', new Utf8(), true),
      new Field('source', new Utf8(), true),
      new Field('label', new Utf8(), true),
      new Field('image_id', new Utf8(), true),
      new Field('has_image', new Bool(), false),
      new Field('indexed_at', new Utf8(), false),
      new Field('text_vec', vec(textDim), false),
      new Field('image_vec', vec(imageDim), true),
    ]);
  }

  /** An index built with other encoders cannot answer queries from these: say so instead of failing later. */
  private async checkDims(): Promise<void> {
    const schema = await this.table.schema();
    for (const [col, want] of [
      ['text_vec', this.opts.textDim],
      ['image_vec', this.opts.imageDim],
    ] as const) {
      const f = schema.fields.find((x) => x.name === col);
      // Duck-typed: the schema LanceDB returns may come from another copy of apache-arrow.
      const have = (f?.type as { listSize?: number } | undefined)?.listSize;
      if (have !== want) {
        throw new Error(
          `the index at ${this.opts.uri} (table ${this.opts.table}) has ${col} of dimension ${have ?? 'none'}, ` +
            `but the encoders produce ${want}: re-index into a new location (retrieval.uri)`,
        );
      }
    }
  }

  /** Runs writes one after another, so concurrent callers never interleave an upsert and an optimize. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writes.then(fn, fn);
    this.writes = run.catch(() => {});
    return run;
  }

  private async readIndexList(): Promise<Set<string>> {
    const have = new Set((await this.table.listIndices()).map((i) => i.columns[0] as string));
    this.ftsReady = have.has('search_text');
    this.annColumns = new Set(Object.values(COLUMN).filter((c) => have.has(c)));
    return have;
  }

  /**
   * Runs one own write and keeps the caches in step: when the write's version directly follows the one
   * the caches reflect, `apply` updates them; otherwise someone else wrote in between and they are reloaded.
   */
  private async ownWrite(write: () => Promise<{ version: number }>, apply: () => void): Promise<void> {
    this.ownWrites++;
    try {
      const before = this.knownVersion;
      const { version } = await write();
      apply();
      if (version === before + 1) this.knownVersion = version;
      else this.invalidate(version);
    } finally {
      this.ownWrites--;
    }
  }

  /** Forgets cached records and reloads the in-memory vectors (in the background when there are some). */
  private invalidate(version: number): void {
    this.knownVersion = version;
    this.recordCache?.clear();
    if (this.mirrors) this.loadMirrors().catch(() => {});
  }

  /** Notices writes by others (another process, the background maintenance) since the caches were filled. */
  private async sync(): Promise<void> {
    if (this.ownWrites > 0) return;
    const v = await this.table.version();
    if (v !== this.knownVersion && this.ownWrites === 0) this.invalidate(v);
  }

  /** Loads the vector columns that have no ANN index into memory; concurrent callers share one load. */
  private loadMirrors(): Promise<void> {
    this.mirrorLoad ??= this.serial(async () => {
      try {
        await this.readIndexList();
        const fields = (['text', 'image'] as const).filter((f) => !this.annColumns.has(COLUMN[f]));
        const sets: Partial<Record<VectorField, ExactVectorSet>> = {};
        for (const f of fields) sets[f] = new ExactVectorSet(f === 'text' ? this.opts.textDim : this.opts.imageDim);
        if (fields.length > 0) {
          const version = await this.table.version();
          const cols = [
            'id',
            'has_image',
            'product',
            'label',
            'source',
            'rating',
            'date',
            ...fields.map((f) => COLUMN[f]),
          ];
          const data = await this.table.query().select(cols).toArrow();
          for (const batch of data.batches) {
            const col = (name: string) => batch.getChild(name) as unknown as { get(i: number): unknown } | null;
            const [ids, hasImage, product, label, source, rating, date] = cols.slice(0, 7).map(col);
            const vecs = fields.map((f) => col(COLUMN[f]));
            for (let i = 0; i < batch.numRows; i++) {
              const meta: FilterFields = {
                product: (product?.get(i) as string | null) ?? null,
                label: (label?.get(i) as string | null) ?? null,
                source: (source?.get(i) as string | null) ?? null,
                rating: (rating?.get(i) as number | null) ?? null,
                date: (date?.get(i) as string | null) ?? null,
                hasImage: Boolean(hasImage?.get(i)),
              };
              fields.forEach((f, j) => {
                const v = vecs[j]?.get(i) as { toArray(): Float32Array } | null | undefined;
                if (v) sets[f]?.set(ids?.get(i) as string, v.toArray(), meta);
              });
            }
          }
          this.knownVersion = version;
        }
        this.mirrors = sets;
      } finally {
        this.mirrorLoad = undefined;
      }
    });
    return this.mirrorLoad;
  }

  /** The in-memory copy of a vector column, when it has no ANN index (loaded on first use). */
  private async mirror(field: VectorField): Promise<ExactVectorSet | undefined> {
    await this.sync();
    if (this.annColumns.has(COLUMN[field])) return undefined;
    if (!this.mirrors) await this.loadMirrors();
    return this.mirrors?.[field];
  }

  /** Counts rows written and schedules the background maintenance (`maintenanceSeconds`, `maintenanceRows`). */
  private noteWrite(rows: number): void {
    this.unmaintained += rows;
    if (this.closed) return;
    if (this.unmaintained >= this.opts.maintenanceRows) {
      clearTimeout(this.maintenanceTimer);
      this.maintenanceTimer = undefined;
      this.maintainNow().catch(() => {});
      return;
    }
    if (this.maintenanceTimer) return;
    this.maintenanceTimer = setTimeout(() => {
      this.maintenanceTimer = undefined;
      this.maintainNow().catch(() => {});
    }, this.opts.maintenanceSeconds * 1000);
    this.maintenanceTimer.unref();
  }

  /**
   * Runs the index maintenance now (after the writes queued before it); one run at a time. A run that has
   * not finished after `MAINTENANCE_TIMEOUT_MS` stops holding up the writes queued behind it and rejects:
   * LanceDB 0.31's incremental index optimisation was seen to stop making progress (no CPU, no I/O) on a
   * 60,000-row table with HNSW and B-tree indices, and a stuck maintenance must not stop every later write.
   */
  maintainNow(): Promise<void> {
    this.maintenanceRun ??= this.serial(async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        this.unmaintained = 0;
        await Promise.race([
          this.refreshIndices(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`index maintenance did not finish within ${MAINTENANCE_TIMEOUT_MS / 1000} s`)),
              MAINTENANCE_TIMEOUT_MS,
            );
          }),
        ]);
      } catch (e) {
        this.maintenanceError = (e as Error).message;
        throw e;
      } finally {
        clearTimeout(timer);
        this.maintenanceRun = undefined;
      }
    });
    return this.maintenanceRun;
  }

  /** Why the last index maintenance failed, if it did (for stats and logs). */
  maintenanceError: string | undefined;

  /** The full-text and id indices, created with the first rows so BM25 and id look-ups work at once. */
  private async ensureBaseIndices(): Promise<void> {
    if (this.ftsReady) return;
    const have = await this.readIndexList();
    if (!have.has('search_text')) {
      await this.table.createIndex('search_text', {
        config: Index.fts({ withPosition: false, stem: true, removeStopWords: true, asciiFolding: true }),
      });
    }
    // Ids are looked up on every search (records of the hits) and write (dedup): always indexed.
    if (!have.has('id')) await this.table.createIndex('id', { config: Index.btree() });
    this.ftsReady = true;
    this.knownVersion = await this.table.version();
  }

  /** Ids among `ids` that are already in the table. */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      const rows = await this.table
        .query()
        .where(`id IN (${part.map(sqlString).join(', ')})`)
        .select(['id'])
        .toArray();
      for (const r of rows) out.add(r.id as string);
    }
    return out;
  }

  /** Inserts new reviews and replaces existing ones (matched on id), then brings the indices up to date. */
  upsertVectors(items: readonly VectorizedReview[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    const now = new Date().toISOString();
    const rows = items.map(({ record: r, textVector, imageVector }) => {
      if (textVector.length !== this.opts.textDim) throw new Error(`text vector of ${r.id} has the wrong dimension`);
      if (imageVector && imageVector.length !== this.opts.imageDim) {
        throw new Error(`photo vector of ${r.id} has the wrong dimension`);
      }
      return {
        id: r.id,
        ...storedFields(r, Boolean(imageVector)),
        search_text: foldForIndex(r.title ? `${r.title}\n${r.text}` : r.text),
        indexed_at: now,
        text_vec: Array.from(textVector),
        image_vec: imageVector ? Array.from(imageVector) : null,
      };
    });
    return this.serial(async () => {
      await this.ownWrite(
        () => this.table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(rows),
        () => {
          for (const { record: r, textVector, imageVector } of items) {
            this.recordCache?.delete(r.id);
            if (!this.mirrors) continue;
            const meta: FilterFields = {
              product: r.product ?? null,
              label: r.label ?? null,
              source: r.source ?? null,
              rating: r.rating ?? null,
              date: r.date ?? null,
              hasImage: Boolean(imageVector),
            };
            this.mirrors.text?.set(r.id, textVector, meta);
            if (imageVector) this.mirrors.image?.set(r.id, imageVector, meta);
            else this.mirrors.image?.delete(r.id);
          }
        },
      );
      await this.ensureBaseIndices();
      this.noteWrite(rows.length);
    });
  }

  /** Changes stored fields of one review (not its text or photo, which make its id). */
  update(id: string, fields: Partial<Pick<ReviewRecord, 'rating' | 'date' | 'source' | 'label'>>): Promise<void> {
    const values: Record<string, string> = {};
    if ('rating' in fields) values.rating = fields.rating == null ? 'NULL' : sqlNumber(fields.rating, 'rating');
    for (const k of ['date', 'source', 'label'] as const) {
      if (k in fields) values[k] = fields[k] == null ? 'NULL' : sqlString(fields[k] as string);
    }
    if (Object.keys(values).length === 0) return Promise.resolve();
    return this.serial(() =>
      this.ownWrite(
        () => this.table.update({ where: `id = ${sqlString(id)}`, valuesSql: values }),
        () => {
          this.recordCache?.delete(id);
          const meta: Partial<FilterFields> = {};
          if ('rating' in fields) meta.rating = fields.rating ?? null;
          for (const k of ['date', 'source', 'label'] as const) if (k in fields) meta[k] = fields[k] ?? null;
          this.mirrors?.text?.setFields(id, meta);
          this.mirrors?.image?.setFields(id, meta);
        },
      ),
    );
  }

  delete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.serial(async () => {
      for (let i = 0; i < ids.length; i += 500) {
        const part = ids.slice(i, i + 500);
        await this.ownWrite(
          () => this.table.delete(`id IN (${part.map(sqlString).join(', ')})`),
          () => {
            for (const id of part) {
              this.recordCache?.delete(id);
              this.mirrors?.text?.delete(id);
              this.mirrors?.image?.delete(id);
            }
          },
        );
      }
      this.noteWrite(ids.length);
    });
  }

  /**
   * The background maintenance: creates the full-text index on first data, the HNSW indices once a vector
   * column passes `annMinRows`, folds new rows into existing indices (until then LanceDB searches them by
   * brute force, which grows slower with their number), compacts files and prunes old table versions.
   */
  private async refreshIndices(): Promise<void> {
    if ((await this.table.countRows()) === 0) return;
    const have = await this.readIndexList();
    if (!have.has('search_text')) {
      await this.table.createIndex('search_text', {
        config: Index.fts({ withPosition: false, stem: true, removeStopWords: true, asciiFolding: true }),
      });
      this.ftsReady = true;
    }
    for (const field of ['text', 'image'] as const) {
      const col = COLUMN[field];
      if (have.has(col)) continue;
      const n = await this.table.countRows(field === 'image' ? 'has_image = true' : undefined);
      if (n >= this.opts.annMinRows) {
        await this.buildAnn(col);
        // From now on LanceDB answers this column's queries: the in-memory copy is dropped.
        if (this.mirrors) delete this.mirrors[field];
      }
    }
    // Ids are looked up on every search (records of the hits) and write (dedup): always indexed.
    if (!have.has('id')) await this.table.createIndex('id', { config: Index.btree() });
    const rows = await this.table.countRows();
    for (const col of ['product', 'rating', 'date']) {
      if (!have.has(col) && rows >= this.opts.annMinRows) await this.table.createIndex(col, { config: Index.btree() });
    }
    await this.table.optimize({ cleanupOlderThan: new Date(Date.now() - 60_000) });
    await this.readIndexList();
  }

  private async buildAnn(col: string): Promise<void> {
    await this.table.createIndex(col, {
      config: Index.hnswSq({ distanceType: 'cosine', m: 20, efConstruction: 150 }),
    });
    this.annColumns.add(col);
  }

  /** Runs the index maintenance and drops every old version now (`index optimize`; before measuring size). */
  compact(): Promise<void> {
    return this.serial(async () => {
      this.unmaintained = 0;
      await this.refreshIndices();
      await this.table.optimize({ cleanupOlderThan: new Date() });
    });
  }

  /** Builds the HNSW index on a vector column now, whatever its size (benchmarks, `index optimize`). */
  buildAnnNow(field: VectorField): Promise<void> {
    return this.serial(async () => {
      await this.buildAnn(COLUMN[field]);
      if (this.mirrors) delete this.mirrors[field];
    });
  }

  /** BM25 over title + text; the query is matched term by term (no query syntax), so any text is safe. */
  async searchText(query: string, opts: ListOptions): Promise<Candidate[]> {
    if (query.trim() === '') return [];
    // Another process may have written the first rows (and the index) since this one opened the table:
    // look again, at most once a second.
    if (!this.ftsReady && Date.now() - this.ftsCheckedAt > 1000) {
      this.ftsCheckedAt = Date.now();
      this.ftsReady = (await this.table.listIndices()).some((i) => i.columns[0] === 'search_text');
    }
    if (!this.ftsReady) return [];
    let q = this.table.query().fullTextSearch(new MatchQuery(foldQuery(query), 'search_text'));
    const where = filterSql(opts.filters);
    if (where) q = q.where(where);
    // Ids and scores only: reading every candidate's text costs more than looking up the hits' records.
    const rows = await q.select(['id', '_score']).limit(opts.limit).toArray();
    return rows.map((r: Row) => ({ id: r.id as string, score: r._score as number }));
  }

  /**
   * Cosine nearest neighbours; score = cosine similarity. Exact, in memory, while the column has no ANN
   * index (below `annMinRows`); HNSW + exact refine in LanceDB above, rows not indexed yet by brute force.
   */
  async searchVector(field: VectorField, vector: Float32Array, opts: ListOptions): Promise<Candidate[]> {
    const filters: SearchFilters = field === 'image' ? { ...opts.filters, hasImage: true } : { ...opts.filters };
    const exact = await this.mirror(field);
    if (exact) return exact.search(vector, opts.limit, filterPredicate(filters));
    let q = this.table
      .query()
      .nearestTo(Array.from(vector))
      .column(COLUMN[field])
      .distanceType('cosine')
      .refineFactor(this.opts.refineFactor)
      // HNSW needs a search breadth of at least the number of candidates it hands to the refine step.
      .ef(Math.max(this.opts.ef, opts.limit * this.opts.refineFactor));
    const where = filterSql(filters);
    if (where) q = q.where(where);
    const rows = await q.select(['id', '_distance']).limit(opts.limit).toArray();
    return rows.map((r: Row) => ({ id: r.id as string, score: 1 - (r._distance as number) }));
  }

  /** Exact nearest neighbours, bypassing any ANN index (the benchmark's ground truth for recall). */
  async searchExact(field: VectorField, vector: Float32Array, limit: number): Promise<Candidate[]> {
    const rows = await this.table
      .query()
      .nearestTo(Array.from(vector))
      .column(COLUMN[field])
      .distanceType('cosine')
      .bypassVectorIndex()
      .select(['id', '_distance'])
      .limit(limit)
      .toArray();
    return rows.map((r: Row) => ({ id: r.id as string, score: 1 - (r._distance as number) }));
  }

  /** Stored records by id (absent ids are left out); recently fetched ones come from memory. */
  async get(ids: readonly string[]): Promise<Map<string, ReviewRecord>> {
    const out = new Map<string, ReviewRecord>();
    if (ids.length === 0) return out;
    await this.sync();
    const missing: string[] = [];
    for (const id of ids) {
      const r = this.recordCache?.get(id);
      if (r) out.set(id, { ...r });
      else missing.push(id);
    }
    for (let i = 0; i < missing.length; i += 500) {
      const part = missing.slice(i, i + 500);
      const rows = await this.table
        .query()
        .where(`id IN (${part.map(sqlString).join(', ')})`)
        .select(RECORD_COLUMNS)
        .toArray();
      for (const r of rows) {
        const rec = recordFromStored(r.id as string, r);
        this.recordCache?.set(rec.id, rec);
        out.set(rec.id, { ...rec });
      }
    }
    return out;
  }

  /** Stored vectors of one review (to search for reviews like it). */
  async vectors(id: string): Promise<{ text: Float32Array; image?: Float32Array } | undefined> {
    const [r] = await this.table
      .query()
      .where(`id = ${sqlString(id)}`)
      .select(['text_vec', 'image_vec'])
      .limit(1)
      .toArray();
    if (!r) return undefined;
    const img = r.image_vec ? Float32Array.from(r.image_vec as Iterable<number>) : undefined;
    return { text: Float32Array.from(r.text_vec as Iterable<number>), ...(img ? { image: img } : {}) };
  }

  count(): Promise<number> {
    return this.table.countRows();
  }

  async stats(): Promise<LanceIndexStats> {
    const [s, indices, withPhoto] = await Promise.all([
      this.table.stats(),
      this.table.listIndices(),
      this.table.countRows('has_image = true'),
    ]);
    const detail = await Promise.all(
      indices.map(async (i) => {
        const st = await this.table.indexStats(i.name);
        return {
          name: i.name,
          type: i.indexType,
          columns: i.columns,
          indexedRows: st?.numIndexedRows ?? 0,
          unindexedRows: st?.numUnindexedRows ?? 0,
        };
      }),
    );
    return {
      uri: this.opts.uri,
      table: this.opts.table,
      reviews: s.numRows,
      withPhoto,
      bytes: s.totalBytes,
      ...(existsSync(this.opts.uri) ? { diskBytes: dirBytes(this.opts.uri) } : {}),
      fragments: s.fragmentStats.numFragments,
      indices: detail,
      ...(this.maintenanceError ? { maintenanceError: this.maintenanceError } : {}),
    };
  }

  /** Waits for queued writes, runs the maintenance they still need, and closes the table. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.maintenanceTimer);
    await this.writes;
    if (this.unmaintained > 0) await this.maintainNow();
    this.table.close();
    this.db.close();
  }
}
