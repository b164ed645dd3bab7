import { loadConfig } from '../../src/core/config.js';
import { type IngestDeps, runIngest } from '../../src/ingest/index.js';
import { LocalBlobStore, MetadataStore } from '../../src/storage/index.js';
import { tempDir } from '../helpers/paths.js';

/**
 * A config for crawling the local test site: no delay between pages, short backoff, a temp data dir, and
 * 127.0.0.1 (where the site listens) on the SSRF guard's allow list.
 */
export function testConfig(overrides: Record<string, unknown> = {}) {
  return loadConfig({
    env: {},
    overrides: {
      dataDir: tempDir('reviewlens-ingest-'),
      'ingest.allowHosts': ['127.0.0.1'],
      'ingest.domainDelayMs': 0,
      'ingest.retryBaseMs': 10,
      'ingest.photos': false,
      ...overrides,
    },
  });
}

/** PGlite in memory, blobs in a temp dir, and the ingestion run over them (no LLM unless given). */
export async function openStores(overrides: Record<string, unknown> = {}) {
  const config = testConfig(overrides);
  const meta = await MetadataStore.open({ url: 'memory://' });
  const blobs = new LocalBlobStore(`${config.dataDir}/blobs`);
  const deps: IngestDeps = { config, meta, blobs, llm: null };
  return {
    config,
    meta,
    blobs,
    deps,
    ingest: (req: Parameters<typeof runIngest>[1], extra: Partial<IngestDeps> = {}) =>
      runIngest({ ...deps, ...extra }, req),
  };
}
