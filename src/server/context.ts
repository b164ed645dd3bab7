import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../core/config.js';
import { VlmAnalyzer } from '../llm/index.js';
import { type Encoders, loadEncoders } from '../models/index.js';
import { type Analysis, AnalysisService, Analyzer, type SentimentAnalyzer } from '../sentiment/index.js';
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
  close(): Promise<void>;
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
    }
    const loaded = encoders;
    return {
      config,
      meta,
      blobs,
      cache,
      registry,
      ...(loaded ? { encoders: loaded } : {}),
      service: new AnalysisService(analyzer, cache),
      async close() {
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
