import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../core/config.js';
import { reviewContentId, sha256 } from '../core/ids.js';
import type { SimilarReview } from '../core/types.js';
import { VlmAnalyzer } from '../llm/index.js';
import { type Encoders, loadEncoders } from '../models/index.js';
import { openRetrieval, type Retrieval, type SearchHit } from '../retrieval/index.js';
import {
  type Analysis,
  AnalysisService,
  Analyzer,
  type SentimentAnalyzer,
  type SimilarFinder,
} from '../sentiment/index.js';
import { type BlobStore, type Cache, LocalBlobStore, LruCache, MetadataStore } from '../storage/index.js';
import { ModelRegistry } from '../training/registry.js';

/** The model artifact shipped in the repository, promoted to production on a fresh store. */
export const BUNDLED_ARTIFACT = fileURLToPath(new URL('../../artifacts/reviewlens-fusion.json', import.meta.url));

export interface AppContext {
  config: Config;
  meta: MetadataStore;
  blobs: BlobStore;
  cache: Cache<Analysis>;
  registry: ModelRegistry;
  /** The local model's encoders; absent when `analyzer.backend` is `vlm` (they are not loaded then). */
  encoders?: Encoders;
  service: AnalysisService;
  /** The search index; absent with the `vlm` backend (no local encoders) or when it could not be opened. */
  retrieval?: Retrieval;
  /** Why `retrieval` is absent, for the search routes' 503 and the health report. */
  retrievalError?: string;
  close(): Promise<void>;
}

/** URL of a stored photo's thumbnail on this server. */
export const thumbnailUrl = (imageId: string) => `/api/photos/${imageId}/thumbnail`;

/** A search hit in the analysis answer's `similar_reviews` shape. */
export function similarReview(h: SearchHit): SimilarReview {
  const r = h.review;
  return {
    id: h.id,
    text: r.text,
    score: h.scores.rerank_score ?? h.scores.fused_score,
    ...(r.label ? { sentiment: r.label } : {}),
    ...(r.product ? { product: r.product } : {}),
    ...(r.rating != null ? { rating: r.rating } : {}),
    ...(r.imageId ? { thumbnail_url: thumbnailUrl(r.imageId) } : {}),
  };
}

function similarFinder(retrieval: Retrieval, k: number): SimilarFinder {
  const norm = (t: string) => t.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
  return async (input, vectors) => {
    if (k === 0 || typeof input.text !== 'string') return [];
    const self = reviewContentId({ text: input.text }, input.image ? sha256(input.image) : undefined);
    const res = await retrieval.searcher.search({
      text: input.text,
      ...(vectors ? { vectors } : input.image ? { image: input.image } : {}),
      // A few extra, for the copies of this very review (same text, maybe another product) left out below.
      k: k + 3,
      rerank: false,
      excludeIds: [self],
    });
    const text = norm(input.text);
    return res.hits
      .filter((h) => norm(h.review.text) !== text)
      .slice(0, k)
      .map(similarReview);
  };
}

/**
 * Opens the stores (applying migrations), bootstraps the registry, and loads the production model
 * with its encoders, or, with `analyzer.backend: vlm`, sets up the vision-language model client
 * instead (no local model is loaded then). Everything the server and the CLI's `analyze` share.
 */
export async function createContext(config: Config, log: (msg: string) => void = () => {}): Promise<AppContext> {
  const meta = await MetadataStore.open({ url: config.database.url, dataDir: config.dataDir });
  try {
    const blobs = new LocalBlobStore(join(config.dataDir, 'blobs'));
    const cache = new LruCache<Analysis>(config.cache);
    const registry = new ModelRegistry(meta, blobs);
    const boot = await registry.bootstrap(BUNDLED_ARTIFACT);
    if (boot.promoted) log(`promoted the bundled model ${boot.version} to production: ${boot.reason}`);
    let analyzer: SentimentAnalyzer;
    let encoders: Encoders | undefined;
    let retrieval: Retrieval | undefined;
    let retrievalError: string | undefined = 'the search index needs the local encoders (analyzer.backend is vlm)';
    if (config.analyzer.backend === 'vlm') {
      analyzer = VlmAnalyzer.fromConfig(config);
      log(
        `serving the vision-language model ${config.vlm.model} at ${config.vlm.url} (metadata: ${meta.backend}); ` +
          'its confidences are self-reported, not calibrated',
      );
    } else {
      const artifact = await registry.production();
      encoders = await loadEncoders({
        modelsDir: config.models.dir,
        threads: config.models.threads,
        text: artifact.encoders.text,
        image: artifact.encoders.image,
      });
      analyzer = new Analyzer(artifact, encoders, { ...config.limits }, config.models.useImage);
      log(`serving model ${artifact.name}@${artifact.version} (metadata: ${meta.backend})`);
      try {
        retrieval = await openRetrieval(config, encoders, blobs);
        retrievalError = undefined;
        log(`search index: ${retrieval.backend.name}, ${await retrieval.backend.count()} reviews`);
      } catch (e) {
        // Analysis still works without the index; search answers 503 with this reason.
        retrievalError = `the search index could not be opened: ${(e as Error).message}`;
        log(`WARNING: ${retrievalError}`);
      }
    }
    const loaded = encoders;
    const index = retrieval;
    return {
      config,
      meta,
      blobs,
      cache,
      registry,
      ...(loaded ? { encoders: loaded } : {}),
      service: new AnalysisService(
        analyzer,
        cache,
        index ? similarFinder(index, config.retrieval.similarK) : undefined,
      ),
      ...(index ? { retrieval: index } : {}),
      ...(retrievalError ? { retrievalError } : {}),
      async close() {
        await index?.close();
        await loaded?.text.dispose();
        await loaded?.image.dispose();
        await meta.close();
      },
    };
  } catch (e) {
    await meta.close().catch(() => {});
    throw e;
  }
}
