import {
  QdrantClient,
  QdrantClientResourceExhaustedError,
  QdrantClientTimeoutError,
  QdrantClientUnexpectedResponseError,
  type Schemas,
} from '@qdrant/js-client-rest';
import { AppError, ConfigError, UnavailableError, ValidationError } from '../core/errors.js';
import { sha256 } from '../core/ids.js';
import { chunks, recordFromStored, type StoredFields, storedFields } from './stored-fields.js';
import type {
  Candidate,
  ListOptions,
  RecordStore,
  ReviewRecord,
  SearchFilters,
  VectorField,
  VectorIndex,
  VectorizedReview,
} from './types.js';

export interface QdrantVectorIndexOptions {
  /** Base URL of the Qdrant REST API, e.g. `http://127.0.0.1:6333`. */
  url: string;
  /** Sent as the `api-key` header when set. */
  apiKey?: string;
  collection: string;
  textDim: number;
  imageDim: number;
  /** Time allowed for one HTTP call (default 30 s). */
  timeoutMs?: number;
  /** Points per upsert request (default 256). */
  batchSize?: number;
}

/** Fields of a stored review that change without changing its id (see `RetrievalBackend.update`). */
export type QdrantMutableFields = Partial<Pick<ReviewRecord, 'rating' | 'date' | 'source' | 'label'>>;

/** Qdrant refused a request (4xx other than rate limiting); the server's own message is in `message`. */
export class QdrantRequestError extends AppError {
  /** HTTP status Qdrant answered with, when there was one. */
  readonly httpStatus: number | undefined;

  constructor(message: string, httpStatus?: number, cause?: unknown) {
    super(message, { statusCode: 502, code: 'vector_store_error', cause });
    this.httpStatus = httpStatus;
  }
}

/** What each point's payload holds: the review's fields, its original id, and whether it has a photo vector. */
interface ReviewPayload extends StoredFields {
  review_id: string;
}

/** The payload indexes `ensureCollection` creates, one per filterable field. */
export const QDRANT_PAYLOAD_INDEXES = {
  product: 'keyword',
  label: 'keyword',
  source: 'keyword',
  rating: 'float',
  date: 'datetime',
  has_image: 'bool',
} as const satisfies Record<string, Schemas['PayloadSchemaType']>;

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_BATCH = 256;
/** Ids per retrieve/delete request. */
const ID_BATCH = 512;
const HEX_ID = /^[0-9a-f]{32,}$/i;
const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The Qdrant point id of a review: a UUID built from the first 32 hex digits of its sha256 id (Qdrant ids
 * must be UUIDs or unsigned integers). An id that is not hex is hashed first, so any string maps
 * deterministically. The original id travels in the payload (`review_id`).
 */
export function pointIdFor(reviewId: string): string {
  const hex = (HEX_ID.test(reviewId) ? reviewId : sha256(reviewId)).slice(0, 32).toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The inclusive upper bound of a date filter: a bare `YYYY-MM-DD` covers the whole day. */
function dateUpperBound(dateTo: string): Schemas['DatetimeRange'] {
  if (!BARE_DATE.test(dateTo)) return { lte: dateTo };
  const next = new Date(`${dateTo}T00:00:00Z`);
  if (Number.isNaN(next.getTime())) throw new ValidationError(`dateTo is not a date: ${dateTo}`, 'dateTo');
  next.setUTCDate(next.getUTCDate() + 1);
  return { lt: next.toISOString().slice(0, 10) };
}

function finite(v: number, what: string): number {
  if (!Number.isFinite(v)) throw new ValidationError(`${what} must be a finite number`, what);
  return v;
}

/** SearchFilters as a Qdrant filter (`must` of `match`/`range` conditions); undefined when nothing filters. */
export function toQdrantFilter(f: SearchFilters | undefined): Schemas['Filter'] | undefined {
  if (!f) return undefined;
  const must: Schemas['FieldCondition'][] = [];
  const match = (key: string, value: string | boolean) => must.push({ key, match: { value } });
  if (f.product !== undefined) match('product', f.product);
  if (f.sentiment !== undefined) match('label', f.sentiment);
  if (f.source !== undefined) match('source', f.source);
  if (f.ratingMin !== undefined || f.ratingMax !== undefined) {
    const range: Schemas['Range'] = {};
    if (f.ratingMin !== undefined) range.gte = finite(f.ratingMin, 'ratingMin');
    if (f.ratingMax !== undefined) range.lte = finite(f.ratingMax, 'ratingMax');
    must.push({ key: 'rating', range });
  }
  if (f.dateFrom !== undefined || f.dateTo !== undefined) {
    const range: Schemas['DatetimeRange'] = f.dateTo !== undefined ? dateUpperBound(f.dateTo) : {};
    if (f.dateFrom !== undefined) range.gte = f.dateFrom;
    must.push({ key: 'date', range });
  }
  if (f.hasImage !== undefined) match('has_image', f.hasImage);
  return must.length > 0 ? { must } : undefined;
}

function toPayload(r: ReviewRecord, hasImage: boolean): ReviewPayload {
  return { review_id: r.id, ...storedFields(r, hasImage) };
}

type Payload = Record<string, unknown> | null | undefined;

function reviewIdOf(payload: Payload): string | undefined {
  const id = payload?.review_id;
  return typeof id === 'string' ? id : undefined;
}

/** HTTP status of an error thrown by the client's fetcher (its `ApiError` carries `status` and `data`). */
function httpStatusOf(e: unknown): number | undefined {
  const status = (e as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** Qdrant's own error text (`{"status":{"error":"..."}}`), when the body has one. */
function serverMessage(e: unknown): string {
  const data = (e as { data?: unknown } | null)?.data as { status?: { error?: unknown } } | string | undefined;
  if (typeof data === 'string') return data.trim() === '' ? '' : `: ${data.trim().slice(0, 300)}`;
  const text = data?.status?.error;
  return typeof text === 'string' ? `: ${text}` : '';
}

/** Why a fetch failed below HTTP (ECONNREFUSED, ENOTFOUND, ...). */
function networkReason(e: unknown): string | undefined {
  if (!(e instanceof TypeError)) return undefined;
  const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return e.message;
}

/**
 * Dense retrieval in Qdrant: one point per review in one collection with two named vectors, `text` and
 * `image` (Cosine; reviews without a photo have no `image` vector), and the review's fields as payload, so
 * it can also serve records. Point ids are UUIDs derived from the review ids (`pointIdFor`); scores are
 * Qdrant's cosine similarities. Talks to Qdrant through `@qdrant/js-client-rest` (REST API).
 */
export class QdrantVectorIndex implements VectorIndex, RecordStore {
  readonly name = 'qdrant';
  readonly client: QdrantClient;
  private readonly url: string;
  private readonly collection: string;
  private readonly dims: Record<VectorField, number>;
  private readonly timeoutMs: number;
  private readonly batchSize: number;

  constructor(opts: QdrantVectorIndexOptions) {
    if (!Number.isInteger(opts.textDim) || opts.textDim < 1 || !Number.isInteger(opts.imageDim) || opts.imageDim < 1) {
      throw new ConfigError('Qdrant textDim and imageDim must be positive integers');
    }
    this.url = opts.url.replace(/\/+$/, '');
    this.collection = opts.collection;
    this.dims = { text: opts.textDim, image: opts.imageDim };
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH);
    this.client = new QdrantClient({
      url: this.url,
      ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
      timeout: this.timeoutMs,
      // The compatibility probe is a fire-and-forget GET / that only logs; start-up checks go through ensureCollection.
      checkCompatibility: false,
    });
  }

  /** Connects and makes sure the collection exists with the expected vectors and payload indexes. */
  static async create(opts: QdrantVectorIndexOptions): Promise<QdrantVectorIndex> {
    const index = new QdrantVectorIndex(opts);
    await index.ensureCollection();
    return index;
  }

  /**
   * Creates the collection (named vectors `text` and `image`, Cosine) and its payload indexes when it is
   * missing. When it exists, checks the vector sizes and distance (a mismatch is a ConfigError: the data
   * was written with other encoders) and adds any missing payload index. Returns what it did.
   */
  async ensureCollection(): Promise<'created' | 'exists'> {
    const info = await this.collectionInfo();
    if (info === undefined) {
      await this.call('create collection', () =>
        this.client.createCollection(this.collection, {
          vectors: {
            text: { size: this.dims.text, distance: 'Cosine' },
            image: { size: this.dims.image, distance: 'Cosine' },
          },
        }),
      );
      await this.createPayloadIndexes(Object.keys(QDRANT_PAYLOAD_INDEXES));
      return 'created';
    }
    this.checkVectors(info.config.params.vectors);
    const have = new Set(Object.keys(info.payload_schema ?? {}));
    await this.createPayloadIndexes(Object.keys(QDRANT_PAYLOAD_INDEXES).filter((k) => !have.has(k)));
    return 'exists';
  }

  /** Inserts or replaces reviews, `batchSize` points per request, each waiting until Qdrant has applied it. */
  async upsert(items: readonly VectorizedReview[]): Promise<void> {
    const points = items.map((item) => this.toPoint(item));
    for (const batch of chunks(points, this.batchSize)) {
      await this.call('upsert', () => this.client.upsert(this.collection, { wait: true, points: batch }));
    }
  }

  async delete(ids: readonly string[]): Promise<void> {
    for (const batch of chunks(ids, ID_BATCH)) {
      await this.call('delete', () =>
        this.client.delete(this.collection, { wait: true, points: batch.map((id) => pointIdFor(id)) }),
      );
    }
  }

  /** Nearest neighbours on one named vector; `score` is Qdrant's cosine similarity. */
  async search(field: VectorField, vector: Float32Array, opts: ListOptions): Promise<Candidate[]> {
    if (opts.limit <= 0) return [];
    const query = this.vectorArray(field, vector, 'query');
    const filter = toQdrantFilter(opts.filters);
    const res = await this.call(`query ${field}`, () =>
      this.client.query(this.collection, {
        query,
        using: field,
        limit: opts.limit,
        with_payload: ['review_id'],
        with_vector: false,
        ...(filter ? { filter } : {}),
      }),
    );
    return res.points.flatMap((p) => {
      const id = reviewIdOf(p.payload);
      return id === undefined ? [] : [{ id, score: p.score }];
    });
  }

  /** Exact number of points in the collection. */
  async count(): Promise<number> {
    const res = await this.call('count', () => this.client.count(this.collection, { exact: true }));
    return res.count;
  }

  /** The stored records of `ids` (payload only, no vectors); ids that are not stored are absent. */
  async get(ids: readonly string[]): Promise<Map<string, ReviewRecord>> {
    const out = new Map<string, ReviewRecord>();
    const wanted = new Set(ids);
    for (const batch of chunks([...wanted], ID_BATCH)) {
      const points = await this.call('retrieve', () =>
        this.client.retrieve(this.collection, {
          ids: batch.map((id) => pointIdFor(id)),
          with_payload: true,
          with_vector: false,
        }),
      );
      for (const p of points) {
        const id = reviewIdOf(p.payload);
        if (id !== undefined && wanted.has(id) && p.payload) out.set(id, recordFromStored(id, p.payload));
      }
    }
    return out;
  }

  /** Changes filterable fields of one stored review in place (payload only; vectors are kept). */
  async updateFields(id: string, fields: QdrantMutableFields): Promise<void> {
    const payload: Record<string, unknown> = {};
    for (const k of ['rating', 'date', 'source', 'label'] as const) {
      if (k in fields) payload[k] = fields[k] ?? null;
    }
    if (Object.keys(payload).length === 0) return;
    await this.call('set payload', () =>
      this.client.setPayload(this.collection, { wait: true, payload, points: [pointIdFor(id)] }),
    );
  }

  /** Nothing to release: the client keeps no state beyond pooled HTTP connections. */
  async close(): Promise<void> {}

  private async collectionInfo(): Promise<Schemas['CollectionInfo'] | undefined> {
    try {
      return await this.client.getCollection(this.collection);
    } catch (e) {
      if (httpStatusOf(e) === 404) return undefined;
      throw this.translate('get collection', e);
    }
  }

  private async createPayloadIndexes(fields: readonly string[]): Promise<void> {
    for (const field of fields) {
      const schema = QDRANT_PAYLOAD_INDEXES[field as keyof typeof QDRANT_PAYLOAD_INDEXES];
      await this.call(`create payload index ${field}`, () =>
        this.client.createPayloadIndex(this.collection, { wait: true, field_name: field, field_schema: schema }),
      );
    }
  }

  private checkVectors(vectors: Schemas['VectorsConfig'] | undefined): void {
    const where = `Qdrant collection "${this.collection}" at ${this.url}`;
    const named =
      vectors && !('size' in vectors) ? (vectors as Record<string, Schemas['VectorParams'] | undefined>) : {};
    for (const field of ['text', 'image'] as const) {
      const p = named[field];
      if (!p) {
        throw new ConfigError(
          `${where} has no named vector "${field}"; reviewlens needs named vectors "text" (${this.dims.text}) and ` +
            `"image" (${this.dims.image}), Cosine. Use another retrieval.qdrant.collection or recreate this one.`,
        );
      }
      if (p.size !== this.dims[field] || p.distance !== 'Cosine') {
        throw new ConfigError(
          `${where}: vector "${field}" is ${p.size}-d ${p.distance}, but the encoders make ${this.dims[field]}-d ` +
            'vectors compared by Cosine. Use another retrieval.qdrant.collection or re-index.',
        );
      }
    }
  }

  private toPoint({ record, textVector, imageVector }: VectorizedReview): Schemas['PointStruct'] {
    const vector: Record<string, number[]> = { text: this.vectorArray('text', textVector, record.id) };
    // Named vectors are optional per point (Qdrant >= 1.2): a review without a photo simply has no `image`.
    if (imageVector) vector.image = this.vectorArray('image', imageVector, record.id);
    return { id: pointIdFor(record.id), vector, payload: { ...toPayload(record, Boolean(imageVector)) } };
  }

  private vectorArray(field: VectorField, v: Float32Array, owner: string): number[] {
    if (v.length !== this.dims[field]) {
      throw new ValidationError(`${field} vector of ${owner} has ${v.length} dimensions, expected ${this.dims[field]}`);
    }
    const arr = Array.from(v);
    if (!arr.every(Number.isFinite)) throw new ValidationError(`${field} vector of ${owner} has a non-finite value`);
    return arr;
  }

  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.translate(op, e);
    }
  }

  /** Client errors as AppErrors: unreachable, timed out, rate limited or 5xx → UnavailableError; 4xx → QdrantRequestError. */
  private translate(op: string, e: unknown): AppError {
    if (e instanceof AppError) return e;
    const where = `Qdrant at ${this.url} (${op}, collection "${this.collection}")`;
    if (e instanceof QdrantClientTimeoutError) {
      return new UnavailableError(`${where} did not answer within ${this.timeoutMs} ms`, e);
    }
    if (e instanceof QdrantClientResourceExhaustedError) {
      return new UnavailableError(`${where} is rate limiting; retry after ${e.retry_after} s`, e);
    }
    const status = httpStatusOf(e);
    if (status !== undefined) {
      const detail = serverMessage(e);
      if (status >= 500 || status === 429) return new UnavailableError(`${where} answered HTTP ${status}${detail}`, e);
      return new QdrantRequestError(`${where} refused the request with HTTP ${status}${detail}`, status, e);
    }
    if (e instanceof QdrantClientUnexpectedResponseError)
      return new QdrantRequestError(`${where}: ${e.message}`, undefined, e);
    const reason = networkReason(e);
    if (reason !== undefined) return new UnavailableError(`${where} is unreachable (${reason})`, e);
    return new QdrantRequestError(`${where} failed: ${e instanceof Error ? e.message : String(e)}`, undefined, e);
  }
}
