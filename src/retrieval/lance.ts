import './lance-env.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Connection, connect, Index, type Table } from '@lancedb/lancedb';
import { Bool, Field, FixedSizeList, Float32, Float64, Schema, Utf8 } from 'apache-arrow';
import { LRUCache } from 'lru-cache';
import { type AnnOptions, DEFAULT_ANN, ExactVectorSet, type FilterFields, filterPredicate } from './exact-scan.js';
import { foldForIndex, foldQuery } from './fold.js';
import { MemoryBm25 } from './memory-bm25.js';
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
  /** Build the in-memory HNSW graph of a vector column once it has this many rows (below it, search is exact). */
  annMinRows?: number;
  /** Candidates re-ranked with exact distances after the ANN search, as a multiple of the limit. */
  refineFactor?: number;
  /** HNSW search breadth. */
  ef?: number;
  /** Rows past which the HNSW breadth doubles per tenfold rows, ef × 2^log10(rows / efScaleRows); 0 keeps it fixed. */
  efScaleRows?: number;
  /** Stored precision of the HNSW graph's vectors (f16 halves the memory of f32; results are re-scored exactly). */
  annQuantization?: 'f32' | 'f16' | 'i8';
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
  /** Stored records kept in memory for hits (entries; 0: none): filled at load while there is room, then LRU. */
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
  /** The in-memory search indices (absent until the first search loads them). */
  memory?: {
    rows: number;
    photoRows: number;
    /** Approximate bytes of the BM25 postings, the vectors and the HNSW graphs. */
    bytes: number;
    /** Whether the HNSW graph answers unfiltered queries (else exact scans). */
    textAnn: boolean;
    imageAnn: boolean;
    /** How long the last load from the table took (ms). */
    loadMs: number;
    /** Stored records held in memory for hits (`recordCacheSize` at most). */
    records: number;
  };
}

const COLUMN: Record<VectorField, string> = { text: 'text_vec', image: 'image_vec' };

/** The search indices held in memory, rebuilt from the table and kept in step with every own write. */
interface MemoryIndices {
  text: ExactVectorSet;
  image: ExactVectorSet;
  bm25: MemoryBm25;
  loadMs: number;
}
/** Below this many rows, a search waits for the reload of the in-memory indices after another process wrote. */
const RELOAD_WAIT_ROWS = 20_000;
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
 * The embedded default for retrieval: one LanceDB table, the store of record, holding each review's
 * fields, its folded search text and its text and photo vectors. Searches are answered from indices kept
 * in memory and rebuilt from the table when it is opened (on the first search): a BM25 inverted index
 * (`MemoryBm25`) and, per vector column, the normalised f32 vectors scanned exactly, plus USearch's HNSW
 * graph once the column has `annMinRows` rows (unfiltered queries; candidates re-scored exactly).
 *
 * Why in memory: LanceDB 0.31's full-text and HNSW searches cost 7-12 ms each at 20k-50k rows here, its
 * index maintenance stalled near 60k rows (lance issue #7439), and rows written since the last maintenance
 * were searched by brute force; the in-memory indices answer in about a millisecond and see a write as soon
 * as it is committed (docs/benchmarks.md, "Search latency over HTTP").
 */
export class LanceReviewIndex implements RecordStore {
  readonly name = 'lancedb';
  private writes: Promise<unknown> = Promise.resolve();
  /** The search indices (loaded on first search, reloaded when someone else wrote). */
  private mem: MemoryIndices | undefined;
  private memLoad: Promise<void> | undefined;
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
    private readonly syncIntervalMs: number,
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
      refineFactor: o.refineFactor ?? 4,
      ef: o.ef ?? 256,
      efScaleRows: o.efScaleRows ?? 25_000,
      annQuantization: o.annQuantization ?? 'f16',
      maintenanceSeconds: o.maintenanceSeconds ?? 10,
      maintenanceRows: o.maintenanceRows ?? 5000,
      recordCacheSize: o.recordCacheSize ?? 1_000_000,
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
    const index = new LanceReviewIndex(db, table, opts, (o.readConsistencySeconds ?? 5) * 1000);
    await index.checkDims();
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
    return new Set((await this.table.listIndices()).map((i) => i.columns[0] as string));
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

  /**
   * Forgets cached records and reloads the in-memory indices from the table, in the background when they
   * are loaded already (the old ones answer until the new ones are complete).
   */
  private invalidate(version: number): void {
    this.knownVersion = version;
    this.recordCache?.clear();
    if (this.mem) this.loadMemory().catch(() => {});
  }

  private syncedAt = 0;

  /**
   * Notices writes by others (another process) since the caches were filled. Looks at most once per
   * `readConsistencySeconds` (LanceDB itself looks for new versions no more often): asking on every search
   * cost a native call each time and, in a tight search loop, held back the writes.
   */
  private async sync(): Promise<void> {
    if (this.ownWrites > 0) return;
    const now = Date.now();
    if (now - this.syncedAt < this.syncIntervalMs) return;
    this.syncedAt = now;
    const v = await this.table.version();
    if (v !== this.knownVersion && this.ownWrites === 0) this.invalidate(v);
  }

  private annOptions(): AnnOptions {
    return {
      ...DEFAULT_ANN,
      minRows: this.opts.annMinRows,
      quantization: this.opts.annQuantization,
      expansionSearch: this.opts.ef,
      efScaleRows: this.opts.efScaleRows,
      refine: this.opts.refineFactor,
    };
  }

  /**
   * Rebuilds the in-memory indices from the table (every row's id, search text, filter fields and
   * vectors); concurrent callers share one load. Runs among the writes, so none is missed or applied twice.
   */
  private loadMemory(): Promise<void> {
    this.memLoad ??= this.serial(async () => {
      try {
        const t0 = Date.now();
        const mem: MemoryIndices = {
          // Filled without HNSW; the graphs are built in the background once the load is complete.
          text: new ExactVectorSet(this.opts.textDim),
          image: new ExactVectorSet(this.opts.imageDim),
          bm25: new MemoryBm25(),
          loadMs: 0,
        };
        const version = await this.table.version();
        const cols = ['id', 'search_text', 'has_image', 'product', 'label', 'source', 'rating', 'date'];
        // The stored records come along into the record cache while it has room, so the hits of a search
        // are answered from memory instead of a query by id (~2-4 ms a search, docs/benchmarks.md#search-scale).
        const records = this.recordCache;
        const recordCols = records ? ['text', 'title', 'image_id'] : [];
        const stream = await this.table
          .query()
          .select([...cols, ...recordCols, 'text_vec', 'image_vec'])
          .toArrow();
        for (const batch of stream.batches) {
          const col = (name: string) => batch.getChild(name) as unknown as { get(i: number): unknown } | null;
          const [ids, searchText, hasImage, product, label, source, rating, date] = cols.map(col);
          const [text, title, imageId] = recordCols.map(col);
          const textVec = col('text_vec');
          const imageVec = col('image_vec');
          for (let i = 0; i < batch.numRows; i++) {
            const id = ids?.get(i) as string;
            const meta: FilterFields = {
              product: (product?.get(i) as string | null) ?? null,
              label: (label?.get(i) as string | null) ?? null,
              source: (source?.get(i) as string | null) ?? null,
              rating: (rating?.get(i) as number | null) ?? null,
              date: (date?.get(i) as string | null) ?? null,
              hasImage: Boolean(hasImage?.get(i)),
            };
            const tv = textVec?.get(i) as { toArray(): Float32Array } | null | undefined;
            if (tv) mem.text.set(id, tv.toArray(), meta);
            const iv = imageVec?.get(i) as { toArray(): Float32Array } | null | undefined;
            if (iv) mem.image.set(id, iv.toArray(), meta);
            mem.bm25.set(id, (searchText?.get(i) as string | null) ?? '', meta);
            if (records && records.size < records.max) {
              records.set(
                id,
                recordFromStored(id, {
                  ...meta,
                  text: text?.get(i),
                  title: title?.get(i),
                  image_id: imageId?.get(i),
                }),
              );
            }
          }
          // Lets requests through between batches of a large table.
          await new Promise((r) => setImmediate(r));
        }
        mem.loadMs = Date.now() - t0;
        this.knownVersion = version;
        this.mem = mem;
        mem.text.enableAnn(this.annOptions());
        mem.image.enableAnn(this.annOptions());
      } finally {
        this.memLoad = undefined;
      }
    });
    return this.memLoad;
  }

  /**
   * The in-memory indices, loaded on first use. After another process wrote (seen within
   * `readConsistencySeconds`), a reload from the table starts: a small index (below `RELOAD_WAIT_ROWS`,
   * well under a second to load) is waited for, a larger one answers from the previous state until the
   * reload is complete (docs/retrieval.md gives the load times).
   */
  private async memory(): Promise<MemoryIndices> {
    // One turn of the event loop: a search answered wholly from memory would otherwise resolve in microtasks
    // only, and a caller searching in a loop would never let a write's native completion run.
    await new Promise((r) => setImmediate(r));
    await this.sync();
    if (!this.mem) await this.loadMemory();
    else if (this.memLoad && this.mem.text.size < RELOAD_WAIT_ROWS) await this.memLoad;
    return this.mem as MemoryIndices;
  }

  /** Loads the in-memory indices now (start-up), instead of on the first search. */
  async warm(): Promise<void> {
    await this.memory();
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
          this.ownMaintenance(() => this.refreshIndices()),
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

  /**
   * Runs a maintenance (compaction, index updates: new table versions with the same rows) without taking
   * its versions for someone else's writes; if the row count no longer matches the in-memory indices
   * afterwards, another process wrote meanwhile and they are reloaded.
   */
  private async ownMaintenance(run: () => Promise<void>): Promise<void> {
    this.ownWrites++;
    try {
      await run();
      const version = await this.table.version();
      const rows = await this.table.countRows();
      if (this.mem && rows !== this.mem.text.size) this.invalidate(version);
      else this.knownVersion = version;
    } finally {
      this.ownWrites--;
    }
  }

  private idIndexed = false;

  /** The id index, created with the first rows: ids are looked up on every search (records) and write (dedup). */
  private async ensureBaseIndices(): Promise<void> {
    if (this.idIndexed) return;
    const have = await this.readIndexList();
    if (!have.has('id')) await this.table.createIndex('id', { config: Index.btree() });
    this.idIndexed = true;
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
          const mem = this.mem;
          rows.forEach(({ search_text }, j) => {
            const { record: r, textVector, imageVector } = items[j] as VectorizedReview;
            this.recordCache?.delete(r.id);
            if (!mem) return;
            const meta: FilterFields = {
              product: r.product ?? null,
              label: r.label ?? null,
              source: r.source ?? null,
              rating: r.rating ?? null,
              date: r.date ?? null,
              hasImage: Boolean(imageVector),
            };
            mem.text.set(r.id, textVector, meta);
            if (imageVector) mem.image.set(r.id, imageVector, meta);
            else mem.image.delete(r.id);
            mem.bm25.set(r.id, search_text, meta);
          });
          mem?.text.flush();
          mem?.image.flush();
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
          this.mem?.text.setFields(id, meta);
          this.mem?.image.setFields(id, meta);
          this.mem?.bm25.setFields(id, meta);
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
              this.mem?.text.delete(id);
              this.mem?.image.delete(id);
              this.mem?.bm25.delete(id);
            }
          },
        );
      }
      this.noteWrite(ids.length);
    });
  }

  /**
   * The background maintenance: the id index (created, or new rows folded in; indices older tables still
   * carry are updated too), files compacted, old table versions pruned. Search does not depend on it.
   */
  private async refreshIndices(): Promise<void> {
    if ((await this.table.countRows()) === 0) return;
    const have = await this.readIndexList();
    if (!have.has('id')) await this.table.createIndex('id', { config: Index.btree() });
    await this.table.optimize({ cleanupOlderThan: new Date(Date.now() - 60_000) });
  }

  /** Runs the index maintenance and drops every old version now (`index optimize`; before measuring size). */
  compact(): Promise<void> {
    return this.serial(async () => {
      this.unmaintained = 0;
      await this.ownMaintenance(async () => {
        await this.refreshIndices();
        await this.table.optimize({ cleanupOlderThan: new Date() });
      });
    });
  }

  /** Builds the in-memory HNSW graph of a vector column now, whatever its size (benchmarks). */
  async buildAnnNow(field: VectorField): Promise<void> {
    await (await this.memory())[field].buildAnn();
  }

  /** BM25 over title + text (in memory); the query is matched term by term (no query syntax), so any text is safe. */
  async searchText(query: string, opts: ListOptions): Promise<Candidate[]> {
    if (query.trim() === '') return [];
    const mem = await this.memory();
    return mem.bm25.search(foldQuery(query), opts.limit, filterPredicate(opts.filters), opts.maxTerms);
  }

  /**
   * Cosine nearest neighbours; score = cosine similarity. In memory: exact below `annMinRows` rows and for
   * filtered queries, USearch's HNSW with an exact re-scoring of `refineFactor` × limit candidates above.
   */
  async searchVector(field: VectorField, vector: Float32Array, opts: ListOptions): Promise<Candidate[]> {
    const mem = await this.memory();
    if (field === 'image') {
      // The photo set holds only reviews with a photo: `hasImage` true is implied, false matches nothing.
      if (opts.filters?.hasImage === false) return [];
      const { hasImage: _implied, ...rest } = opts.filters ?? {};
      return mem.image.search(vector, opts.limit, filterPredicate(rest));
    }
    return mem.text.search(vector, opts.limit, filterPredicate(opts.filters));
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

  /**
   * Stored records by id (absent ids are left out). From memory when the record cache holds them (filled with
   * the in-memory indices, up to `recordCacheSize` rows, and with what was fetched since), else by a query.
   */
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
      ...(this.mem
        ? {
            memory: {
              rows: this.mem.text.size,
              photoRows: this.mem.image.size,
              bytes: this.mem.text.bytes + this.mem.image.bytes + this.mem.bm25.bytes,
              textAnn: this.mem.text.annReady,
              imageAnn: this.mem.image.annReady,
              loadMs: this.mem.loadMs,
              records: this.recordCache?.size ?? 0,
            },
          }
        : {}),
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
