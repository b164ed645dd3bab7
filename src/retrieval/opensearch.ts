/**
 * BM25 retrieval and the record store in OpenSearch, through the official client
 * (`@opensearch-project/opensearch`).
 *
 * Elasticsearch: every request here (`HEAD /{index}`, `PUT /{index}` with typeless mappings, `POST /_bulk`,
 * `POST /{index}/_search`, `POST /{index}/_count`, `POST /{index}/_mget`) has the same shape in
 * Elasticsearch 7.x and 8.x, and so do the answer fields this module reads, so the same code works against
 * an Elasticsearch node given as `node`. The Elasticsearch client is deliberately not used.
 */
import { Client, errors, type Types } from '@opensearch-project/opensearch';
import { AppError, ConfigError, UnavailableError } from '../core/errors.js';
import { chunks, recordFromStored, storedFields } from './stored-fields.js';
import type { Candidate, LexicalIndex, ListOptions, RecordStore, ReviewRecord, SearchFilters } from './types.js';

type QueryContainer = Types.Common_QueryDsl.QueryContainer;
type BulkItem = Types.Core_Bulk.Item;
type BulkResponseItem = Types.Core_Bulk.ResponseItem;

export interface OpenSearchLexicalIndexOptions {
  /** Base URL of a node, e.g. `https://search.example.com:9200`. */
  node: string;
  index: string;
  auth?: { username: string; password: string };
  /** Time allowed for one HTTP call (default 30 s). */
  timeoutMs?: number;
  /** Retries of the client on connection errors and 502/503/504 (default 2). */
  maxRetries?: number;
  /**
   * Bulk `refresh`: `wait_for` (default) returns once written reviews are searchable, like the embedded
   * backend; `false` is faster for large imports.
   */
  refresh?: boolean | 'wait_for';
  /** Reviews per bulk request (default 500). */
  batchSize?: number;
}

/** One action of a bulk request that OpenSearch did not apply. */
export interface BulkFailure {
  id: string;
  action: string;
  status: number;
  type: string;
  reason: string;
}

/** OpenSearch refused a request (4xx other than rate limiting); the server's own reason is in `message`. */
export class OpenSearchRequestError extends AppError {
  /** HTTP status the server answered with, when there was one. */
  readonly httpStatus: number | undefined;

  constructor(message: string, httpStatus?: number, cause?: unknown) {
    super(message, { statusCode: 502, code: 'search_store_error', cause });
    this.httpStatus = httpStatus;
  }
}

/** A bulk request came back with `errors: true`; `failures` lists every action that failed. */
export class OpenSearchBulkError extends OpenSearchRequestError {
  readonly failures: BulkFailure[];

  constructor(message: string, failures: BulkFailure[]) {
    super(message, 200);
    this.failures = failures;
  }
}

/** The source document stored per review (`_id` is the review id). */
const ENGLISH_BM25 = { type: 'text', analyzer: 'english', similarity: 'BM25' } as const;

/** Settings and mappings `ensureIndex` creates the index with. BM25 is the default similarity; it is set explicitly. */
export const OPENSEARCH_INDEX_BODY = {
  mappings: {
    properties: {
      text: ENGLISH_BM25,
      title: ENGLISH_BM25,
      product: { type: 'keyword' },
      source: { type: 'keyword' },
      label: { type: 'keyword' },
      image_id: { type: 'keyword' },
      rating: { type: 'float' },
      date: { type: 'date' },
      has_image: { type: 'boolean' },
    },
  },
} as const;

const SEARCH_FIELDS = ['text', 'title^2'];
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_BATCH = 500;
const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** How many failed bulk items an error message names (all are in `failures`). */
const NAMED_FAILURES = 5;

/** SearchFilters as `bool.filter` clauses (term / range); empty when nothing filters. */
export function toOpenSearchFilters(f: SearchFilters | undefined): QueryContainer[] {
  if (!f) return [];
  const out: QueryContainer[] = [];
  if (f.product !== undefined) out.push({ term: { product: f.product } });
  if (f.sentiment !== undefined) out.push({ term: { label: f.sentiment } });
  if (f.source !== undefined) out.push({ term: { source: f.source } });
  if (f.ratingMin !== undefined || f.ratingMax !== undefined) {
    out.push({
      range: {
        rating: {
          ...(f.ratingMin !== undefined ? { gte: f.ratingMin } : {}),
          ...(f.ratingMax !== undefined ? { lte: f.ratingMax } : {}),
        },
      },
    });
  }
  if (f.dateFrom !== undefined || f.dateTo !== undefined) {
    // `||/d` rounds a bare date up to the end of its day, so `dateTo` includes the whole day.
    const lte = f.dateTo !== undefined && BARE_DATE.test(f.dateTo) ? `${f.dateTo}||/d` : f.dateTo;
    out.push({
      range: {
        date: {
          ...(f.dateFrom !== undefined ? { gte: f.dateFrom } : {}),
          ...(lte !== undefined ? { lte } : {}),
        },
      },
    });
  }
  if (f.hasImage !== undefined) out.push({ term: { has_image: f.hasImage } });
  return out;
}

/** The failed actions of a bulk answer. A delete of a missing document (404, `not_found`) is not a failure. */
export function bulkFailures(items: readonly BulkItem[]): BulkFailure[] {
  const out: BulkFailure[] = [];
  for (const item of items) {
    for (const [action, r] of Object.entries(item) as [string, BulkResponseItem | undefined][]) {
      if (!r) continue;
      if (action === 'delete' && r.status === 404) continue;
      if (r.error === undefined && r.status < 300) continue;
      out.push({
        id: r._id ?? '?',
        action,
        status: r.status,
        type: r.error?.type ?? 'unknown',
        reason: r.error?.reason ?? '',
      });
    }
  }
  return out;
}

/** The `{"error": {"type", "reason"}}` of an error body, when it has one. */
function errorOf(body: unknown): { type: string; reason?: string } | undefined {
  const err = (body as { error?: unknown } | null | undefined)?.error;
  if (typeof err === 'string') return { type: err };
  const e = err as { type?: unknown; reason?: unknown } | undefined;
  if (typeof e?.type !== 'string') return undefined;
  return typeof e.reason === 'string' ? { type: e.type, reason: e.reason } : { type: e.type };
}

/** The server's error type and reason as a message suffix (`: type: reason`), or nothing. */
function serverReason(body: unknown): string {
  const e = errorOf(body);
  if (!e) return '';
  return e.reason === undefined ? `: ${e.type}` : `: ${e.type}: ${e.reason}`;
}

/**
 * BM25 full-text search over review text (English analyzer) and title (boosted x2) in one OpenSearch index,
 * plus the record store: each review is one document with `_id` = review id and its fields as keyword /
 * float / date / boolean fields for filtering. Works against Elasticsearch 7/8 too (see the module comment).
 */
export class OpenSearchLexicalIndex implements LexicalIndex, RecordStore {
  readonly name = 'opensearch';
  readonly client: Client;
  private readonly node: string;
  private readonly index: string;
  private readonly timeoutMs: number;
  private readonly refresh: boolean | 'wait_for';
  private readonly batchSize: number;

  constructor(opts: OpenSearchLexicalIndexOptions) {
    if (opts.index === '' || opts.index !== opts.index.toLowerCase()) {
      throw new ConfigError(`OpenSearch index name must be lowercase and not empty: "${opts.index}"`);
    }
    this.node = opts.node.replace(/\/+$/, '');
    this.index = opts.index;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.refresh = opts.refresh ?? 'wait_for';
    this.batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH);
    this.client = new Client({
      node: this.node,
      requestTimeout: this.timeoutMs,
      maxRetries: opts.maxRetries ?? 2,
      ...(opts.auth ? { auth: opts.auth } : {}),
    });
  }

  /** Connects and makes sure the index exists with the expected mappings. */
  static async create(opts: OpenSearchLexicalIndexOptions): Promise<OpenSearchLexicalIndex> {
    const index = new OpenSearchLexicalIndex(opts);
    await index.ensureIndex();
    return index;
  }

  /** Creates the index with `OPENSEARCH_INDEX_BODY` when it is missing; an existing index is left as it is. */
  async ensureIndex(): Promise<'created' | 'exists'> {
    const exists = await this.call('index exists', () => this.client.indices.exists({ index: this.index }));
    if (exists.body === true) return 'exists';
    try {
      await this.client.indices.create({ index: this.index, body: OPENSEARCH_INDEX_BODY });
      return 'created';
    } catch (e) {
      // Another process created it between the two calls.
      if (e instanceof errors.ResponseError && errorOf(e.body)?.type === 'resource_already_exists_exception') {
        return 'exists';
      }
      throw this.translate('create index', e);
    }
  }

  /** Indexes reviews (insert or replace, `_id` = review id) with the bulk API, `batchSize` per request. */
  async upsert(records: readonly ReviewRecord[]): Promise<void> {
    for (const batch of chunks(records, this.batchSize)) {
      const body = batch.flatMap((r) => [{ index: { _index: this.index, _id: r.id } }, { ...storedFields(r) }]);
      await this.bulk('index', body);
    }
  }

  /** Deletes reviews with the bulk API; ids that are not stored are ignored. */
  async delete(ids: readonly string[]): Promise<void> {
    for (const batch of chunks(ids, this.batchSize)) {
      await this.bulk(
        'delete',
        batch.map((id) => ({ delete: { _index: this.index, _id: id } })),
      );
    }
  }

  /** BM25 over `text` and `title^2` (`multi_match`), filtered by `filters`; `score` is the BM25 `_score`. */
  async search(query: string, opts: ListOptions): Promise<Candidate[]> {
    if (query.trim() === '' || opts.limit <= 0) return [];
    const filter = toOpenSearchFilters(opts.filters);
    const res = await this.call('search', () =>
      this.client.search({
        index: this.index,
        body: {
          size: opts.limit,
          _source: false,
          query: {
            bool: {
              must: [{ multi_match: { query, fields: SEARCH_FIELDS } }],
              ...(filter.length > 0 ? { filter } : {}),
            },
          },
        },
      }),
    );
    return res.body.hits.hits.flatMap((h) => (h._id === undefined ? [] : [{ id: h._id, score: h._score ?? 0 }]));
  }

  /** Number of documents in the index. */
  async count(): Promise<number> {
    const res = await this.call('count', () => this.client.count({ index: this.index }));
    return res.body.count;
  }

  /** The stored records of `ids` (multi-get); ids that are not stored are absent. */
  async get(ids: readonly string[]): Promise<Map<string, ReviewRecord>> {
    const out = new Map<string, ReviewRecord>();
    for (const batch of chunks([...new Set(ids)], this.batchSize)) {
      const res = await this.call('mget', () => this.client.mget({ index: this.index, body: { ids: batch } }));
      for (const doc of res.body.docs) {
        if ('found' in doc && doc.found && doc._source) out.set(doc._id, recordFromStored(doc._id, doc._source));
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async bulk(action: string, body: Record<string, unknown>[]): Promise<void> {
    if (body.length === 0) return;
    const res = await this.call(`bulk ${action}`, () => this.client.bulk({ body, refresh: this.refresh }));
    if (!res.body.errors) return;
    const failures = bulkFailures(res.body.items);
    if (failures.length === 0) return;
    const named = failures
      .slice(0, NAMED_FAILURES)
      .map((f) => `${f.id} (${f.status} ${f.type}${f.reason ? `: ${f.reason}` : ''})`)
      .join('; ');
    const more = failures.length > NAMED_FAILURES ? `; and ${failures.length - NAMED_FAILURES} more` : '';
    throw new OpenSearchBulkError(
      `OpenSearch at ${this.node} did not apply ${failures.length} of ${res.body.items.length} bulk ${action} ` +
        `actions on index "${this.index}": ${named}${more}`,
      failures,
    );
  }

  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.translate(op, e);
    }
  }

  /**
   * Client errors as AppErrors: connection failures, timeouts, 429 and 5xx → UnavailableError;
   * other HTTP errors → OpenSearchRequestError with the server's error type and reason.
   */
  private translate(op: string, e: unknown): AppError {
    if (e instanceof AppError) return e;
    const where = `OpenSearch at ${this.node} (${op}, index "${this.index}")`;
    if (e instanceof errors.TimeoutError)
      return new UnavailableError(`${where} did not answer within ${this.timeoutMs} ms`, e);
    if (e instanceof errors.ConnectionError || e instanceof errors.NoLivingConnectionsError) {
      return new UnavailableError(`${where} is unreachable (${e.message})`, e);
    }
    if (e instanceof errors.ResponseError) {
      const status = e.meta.statusCode ?? e.statusCode;
      const detail = serverReason(e.body);
      if (status === 429 || status >= 500) return new UnavailableError(`${where} answered HTTP ${status}${detail}`, e);
      return new OpenSearchRequestError(`${where} refused the request with HTTP ${status}${detail}`, status, e);
    }
    return new OpenSearchRequestError(`${where} failed: ${e instanceof Error ? e.message : String(e)}`, undefined, e);
  }
}
