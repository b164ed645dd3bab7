import { join } from 'node:path';
import type { Config } from '../core/config.js';
import type { Encoders } from '../models/index.js';
import type { BlobStore } from '../storage/blobs.js';
import { externalBackend, lanceBackend, type RetrievalBackend } from './backend.js';
import { HybridSearcher } from './hybrid.js';
import { ReviewIndexer, reviewEncoders } from './indexer.js';
import { LanceReviewIndex } from './lance.js';
import { OpenSearchLexicalIndex } from './opensearch.js';
import { QdrantVectorIndex } from './qdrant.js';
import { createReranker } from './rerank/factory.js';

export {
  type BackendStats,
  externalBackend,
  lanceBackend,
  type MutableFields,
  type RetrievalBackend,
} from './backend.js';
export { ExactVectorSet, type FilterFields, filterPredicate } from './exact-scan.js';
export { asciiFold, foldForIndex, foldQuery } from './fold.js';
export { type Fused, type RankedList, reciprocalRankFusion } from './fusion.js';
export {
  DEFAULT_HYBRID,
  HybridSearcher,
  type HybridSettings,
  type QueryEncoders,
  type SearchHit,
  type SearchMode,
  type SearchRequest,
  type SearchResult,
  type SearchTimings,
  type StageScores,
} from './hybrid.js';
export { type IndexReport, type ReviewEncoders, ReviewIndexer, type ReviewInput, reviewEncoders } from './indexer.js';
export { filterSql, type LanceIndexOptions, type LanceIndexStats, LanceReviewIndex } from './lance.js';
export { OpenSearchLexicalIndex } from './opensearch.js';
export { QdrantVectorIndex } from './qdrant.js';
export { createReranker } from './rerank/factory.js';
export * from './types.js';

export interface Retrieval {
  backend: RetrievalBackend;
  indexer: ReviewIndexer;
  searcher: HybridSearcher;
  close(): Promise<void>;
}

/** Opens the configured backend (LanceDB by default) over the served model's encoders. */
export async function openBackend(config: Config, dims: { text: number; image: number }): Promise<RetrievalBackend> {
  const r = config.retrieval;
  if (r.backend === 'external') {
    const vectors = new QdrantVectorIndex({
      url: r.qdrant.url,
      collection: r.qdrant.collection,
      textDim: dims.text,
      imageDim: dims.image,
      ...(r.qdrant.apiKey ? { apiKey: r.qdrant.apiKey } : {}),
    });
    const lexical = new OpenSearchLexicalIndex({
      node: r.opensearch.url,
      index: r.opensearch.index,
      ...(r.opensearch.username ? { auth: { username: r.opensearch.username, password: r.opensearch.password } } : {}),
    });
    await vectors.ensureCollection();
    await lexical.ensureIndex();
    return externalBackend(vectors, lexical);
  }
  const index = await LanceReviewIndex.open({
    uri: r.uri || join(config.dataDir, 'index'),
    table: r.table,
    textDim: dims.text,
    imageDim: dims.image,
    annMinRows: r.annMinRows,
    annQuantization: r.annQuantization,
    refineFactor: r.refineFactor,
    ef: r.ef,
    efScaleRows: r.efScaleRows,
    maintenanceSeconds: r.maintenanceSeconds,
    maintenanceRows: r.maintenanceRows,
    recordCacheSize: r.recordCacheSize,
    ...(Object.keys(r.storageOptions).length > 0 ? { storageOptions: r.storageOptions } : {}),
  });
  return lanceBackend(index);
}

/** Backend, indexer and searcher, wired from the config. */
export async function openRetrieval(config: Config, encoders: Encoders, blobs: BlobStore): Promise<Retrieval> {
  const backend = await openBackend(config, { text: encoders.text.dim, image: encoders.image.dim });
  // The in-memory search indices are rebuilt from the table in the background, so the first search does not
  // wait for the whole load (a failed load is retried, and reported, by that search).
  backend.warm?.().catch(() => {});
  try {
    const enc = reviewEncoders(encoders, config.limits);
    const r = config.retrieval;
    const reranker = await createReranker(config);
    const searcher = new HybridSearcher(
      backend,
      enc,
      {
        rrfK: r.rrfK,
        weights: r.weights,
        candidates: r.candidates,
        rerank: r.rerank.byDefault,
        rerankDepth: r.rerank.depth,
        maxK: r.maxK,
      },
      reranker,
    );
    return {
      backend,
      indexer: new ReviewIndexer(backend, enc, blobs),
      searcher,
      async close() {
        await reranker?.dispose?.();
        await backend.close();
      },
    };
  } catch (e) {
    await backend.close().catch(() => {});
    throw e;
  }
}
