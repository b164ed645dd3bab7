import type { LanceIndexStats, LanceReviewIndex } from './lance.js';
import type {
  Candidate,
  LexicalIndex,
  ListOptions,
  RecordStore,
  ReviewRecord,
  VectorField,
  VectorIndex,
  VectorizedReview,
} from './types.js';

/** Fields of a stored review that can change without changing its id (text, product and photo make the id). */
export type MutableFields = Partial<Pick<ReviewRecord, 'rating' | 'date' | 'source' | 'label'>>;

/**
 * Everything the indexer and the searcher need from storage, whichever engines hold it: the embedded
 * LanceDB table, or Qdrant (vectors) + OpenSearch (BM25, records) at scale.
 */
export interface RetrievalBackend {
  readonly name: string;
  bm25(query: string, opts: ListOptions): Promise<Candidate[]>;
  dense(field: VectorField, vector: Float32Array, opts: ListOptions): Promise<Candidate[]>;
  records(ids: readonly string[]): Promise<Map<string, ReviewRecord>>;
  /** Which of `ids` are stored already. */
  existing(ids: readonly string[]): Promise<Set<string>>;
  write(items: readonly VectorizedReview[]): Promise<void>;
  update(id: string, fields: MutableFields): Promise<void>;
  delete(ids: readonly string[]): Promise<void>;
  count(): Promise<number>;
  stats(): Promise<BackendStats>;
  /** Compacts storage and drops old versions, where the engine keeps them (LanceDB). */
  compact?(): Promise<void>;
  /** Loads in-memory search indices now rather than on the first search (embedded backend). */
  warm?(): Promise<void>;
  close(): Promise<void>;
}

export type BackendStats = { backend: string; reviews: number } & Partial<LanceIndexStats> & Record<string, unknown>;

/** The embedded default: one LanceDB table is the lexical index, the vector index and the record store. */
export function lanceBackend(index: LanceReviewIndex): RetrievalBackend {
  return {
    name: 'lancedb',
    bm25: (q, o) => index.searchText(q, o),
    dense: (f, v, o) => index.searchVector(f, v, o),
    records: (ids) => index.get(ids),
    existing: (ids) => index.existing(ids),
    write: (items) => index.upsertVectors(items),
    update: (id, fields) => index.update(id, fields),
    delete: (ids) => index.delete(ids),
    count: () => index.count(),
    stats: async () => ({ backend: 'lancedb', ...(await index.stats()) }),
    compact: () => index.compact(),
    warm: () => index.warm(),
    close: () => index.close(),
  };
}

/**
 * Scale-out: dense search in a vector engine (Qdrant), BM25 and the records in a search engine
 * (OpenSearch or Elasticsearch). Writes go to both; the search engine is the record store.
 */
export function externalBackend(
  vectors: VectorIndex & { updateFields?(id: string, fields: MutableFields): Promise<void>; close?(): Promise<void> },
  lexical: LexicalIndex & RecordStore & { close?(): Promise<void> },
): RetrievalBackend {
  return {
    name: `${vectors.name}+${lexical.name}`,
    bm25: (q, o) => lexical.search(q, o),
    dense: (f, v, o) => vectors.search(f, v, o),
    records: (ids) => lexical.get(ids),
    existing: async (ids) => new Set((await lexical.get(ids)).keys()),
    async write(items) {
      // Vectors first: a review found by BM25 but missing its vectors would be worse than the reverse.
      await vectors.upsert(items);
      await lexical.upsert(items.map((i) => i.record));
    },
    async update(id, fields) {
      const cur = (await lexical.get([id])).get(id);
      if (!cur) return;
      // The vector engine filters on the same fields: keep its copy in step.
      await vectors.updateFields?.(id, fields);
      await lexical.upsert([{ ...cur, ...fields }]);
    },
    async delete(ids) {
      await lexical.delete(ids);
      await vectors.delete(ids);
    },
    count: () => lexical.count(),
    stats: async () => ({
      backend: `${vectors.name}+${lexical.name}`,
      reviews: await lexical.count(),
      vectors: await vectors.count(),
    }),
    async close() {
      await vectors.close?.();
      await lexical.close?.();
    },
  };
}
