import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest, StrategyMemory } from '../../src/ingest/index.js';
import { LocalBlobStore, MetadataStore } from '../../src/storage/index.js';
import { pgAdmin, SKIP_PG, tempDatabase } from '../helpers/postgres.js';
import { testConfig } from './helpers.js';
import { type Site, startSite } from './site-server.js';

// The same ingestion on the PostgreSQL server (127.0.0.1:5432), in a database of its own.
describe.skipIf(SKIP_PG)('ingest on PostgreSQL', () => {
  const db = tempDatabase('reviewlens_ingest');
  let site: Site;
  beforeAll(async () => {
    site = await startSite();
    await pgAdmin(`CREATE DATABASE ${db.name}`);
  });
  afterAll(async () => {
    await site.close();
    await pgAdmin(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`);
  });

  it('applies migration 0006_ingest, stores reviews and keeps the strategy memory', async () => {
    const config = testConfig({ 'ingest.crawler': 'static' });
    const meta = await MetadataStore.open({ url: db.url });
    try {
      const deps = { config, meta, blobs: new LocalBlobStore(`${config.dataDir}/blobs`), llm: null };
      const urls = [`${site.url}/fixtures/static-paged-1.html`, `${site.url}/fixtures/stars-markup.html`];
      const first = await runIngest(deps, { urls });
      expect(first.reviews).toEqual({ found: 8, new: 8, duplicate: 0 });
      const second = await runIngest(deps, { urls });
      expect(second.reviews).toEqual({ found: 8, new: 0, duplicate: 8 });
      const memory = new StrategyMemory(meta.db);
      const stats = await memory.sources();
      // Sorted by URL: stars-markup.html (3 reviews), then static-paged-1.html (5, with its second page).
      expect(stats.map((s) => [s.crawls, s.newReviews, s.duplicateReviews])).toEqual([
        [2, 3, 3],
        [2, 5, 5],
      ]);
      expect((await memory.cachedSelectors('127.0.0.1'))?.extractor).toBe('repeated-structure');
      const runs = await meta.db.selectFrom('ingest_runs').select(['status', 'summary']).orderBy('id').execute();
      expect(runs.map((r) => [r.status, (r.summary as { reviews_new: number }).reviews_new])).toEqual([
        ['succeeded', 8],
        ['succeeded', 0],
      ]);
    } finally {
      await meta.close();
    }
  });
});
