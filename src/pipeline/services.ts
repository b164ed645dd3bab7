import type { Config } from '../core/config.js';
import { type Encoders, loadArtifactEncoders } from '../models/index.js';
import { openRetrieval, type Retrieval } from '../retrieval/index.js';
import { MetadataStore, openBlobStore } from '../storage/index.js';
import { ModelRegistry } from '../training/index.js';
import type { PipelineServices } from './types.js';

/**
 * The services a pipeline needs outside the server (the CLI's `pipeline run`): the stores at once, the
 * production model's encoders and the search index on first use. `close` releases what was opened.
 * With `bundledArtifact`, a fresh store gets the bundled model registered and promoted first.
 */
export async function openPipelineServices(
  config: Config,
  opts: { log?: (msg: string) => void; bundledArtifact?: string } = {},
): Promise<PipelineServices & { close(): Promise<void> }> {
  const log = opts.log ?? (() => {});
  const meta = await MetadataStore.open({ url: config.database.url, dataDir: config.dataDir });
  const blobs = openBlobStore(config);
  const registry = new ModelRegistry(meta, blobs);
  if (opts.bundledArtifact) {
    // As the server does on start: a fresh store serves (and trains from) the bundled model.
    const boot = await registry.bootstrap(opts.bundledArtifact).catch(async (e) => {
      await meta.close();
      throw e;
    });
    if (boot.promoted) log(`promoted the bundled model ${boot.version} to production: ${boot.reason}`);
  }
  let encoders: Promise<Encoders> | undefined;
  let retrieval: Promise<Retrieval | undefined> | undefined;
  const loadEnc = () => {
    encoders ??= registry.production().then((a) => loadArtifactEncoders(config.models, a));
    return encoders;
  };
  return {
    config,
    meta,
    blobs,
    registry,
    encoders: loadEnc,
    retrieval() {
      retrieval ??= loadEnc()
        .then((enc) => openRetrieval(config, enc, blobs))
        .catch((e: Error) => {
          log(`the search index could not be opened: ${e.message}`);
          return undefined;
        });
      return retrieval;
    },
    async close() {
      const r = await retrieval?.catch(() => undefined);
      await r?.close().catch(() => {});
      const enc = await encoders?.catch(() => undefined);
      await enc?.text.dispose();
      await enc?.image.dispose();
      await meta.close();
    },
  };
}
