import type { Sentiment } from '../core/types.js';

/**
 * The retrieval folder's vocabulary. A review is stored once with its fields and two vectors (text,
 * photo); backends answer ranked candidate lists; the hybrid searcher fuses the lists and reranks.
 */

/** A review as indexed: what a user filters on and what a hit shows. `id` is the content hash. */
export interface ReviewRecord {
  id: string;
  text: string;
  title?: string | null;
  product?: string | null;
  /** Star rating as given by the shop, usually 1-5. */
  rating?: number | null;
  /** ISO 8601 date (`YYYY-MM-DD` or a full timestamp); compared as a string, so keep one format. */
  date?: string | null;
  /** Where the review came from: a shop's domain, a dataset name, `api`. */
  source?: string | null;
  /** A human or model label, when there is one. */
  label?: Sentiment | null;
  /** Blob id (sha256) of the review's photo in the blob store, when it has one. */
  imageId?: string | null;
}

/** A review with its vectors, ready to be written to a dense index. */
export interface VectorizedReview {
  record: ReviewRecord;
  textVector: Float32Array;
  /** Absent when the review has no photo. */
  imageVector?: Float32Array | null;
}

/** Filters every backend applies before ranking (ranges are inclusive; unset fields do not filter). */
export interface SearchFilters {
  product?: string;
  /** Matches the review's `label`. */
  sentiment?: Sentiment;
  ratingMin?: number;
  ratingMax?: number;
  /** Inclusive, compared as ISO strings. */
  dateFrom?: string;
  dateTo?: string;
  source?: string;
  /** Only reviews with a photo. */
  hasImage?: boolean;
}

/** One entry of a ranked list from one stage. `score` is the backend's own (BM25, cosine similarity). */
export interface Candidate {
  id: string;
  score: number;
}

/** Which vector a dense search runs against. */
export type VectorField = 'text' | 'image';

export interface ListOptions {
  /** How many candidates to return. */
  limit: number;
  filters?: SearchFilters;
  /**
   * Full-text lists only: score at most this many of the query's terms, the rarest (the embedded BM25 index;
   * other backends match every term). Default MAX_QUERY_TERMS.
   */
  maxTerms?: number;
}

/** BM25 full-text search over the review text (and title). */
export interface LexicalIndex {
  readonly name: string;
  upsert(records: readonly ReviewRecord[]): Promise<void>;
  delete(ids: readonly string[]): Promise<void>;
  search(query: string, opts: ListOptions): Promise<Candidate[]>;
  count(): Promise<number>;
}

/** Nearest-neighbour search over the text and photo vectors; cosine similarity as `score`. */
export interface VectorIndex {
  readonly name: string;
  upsert(items: readonly VectorizedReview[]): Promise<void>;
  delete(ids: readonly string[]): Promise<void>;
  search(field: VectorField, vector: Float32Array, opts: ListOptions): Promise<Candidate[]>;
  count(): Promise<number>;
}

/** Where the full records live, to turn candidate ids into hits. */
export interface RecordStore {
  get(ids: readonly string[]): Promise<Map<string, ReviewRecord>>;
}

/**
 * A reranker scores (query, document) pairs; higher is more relevant. Scores are only compared
 * within one call.
 */
export interface Reranker {
  readonly name: string;
  score(query: string, documents: readonly string[]): Promise<number[]>;
  dispose?(): Promise<void>;
}
