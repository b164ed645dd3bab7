import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataStore } from '../../src/storage/index.js';
import { pgAdmin, SKIP_PG, tempDatabase } from '../helpers/postgres.js';
import { metadataSuite } from './metadata-suite.js';

/**
 * Integration test against a real PostgreSQL server (127.0.0.1:5432, started by .ci/run when it is
 * not running). Each run works in a database of its own, dropped at the end.
 * REVIEWLENS_TEST_PG_URL names an admin connection; REVIEWLENS_SKIP_PG=1 skips (and says so).
 */
const { name: dbName, url: dbUrl } = tempDatabase('reviewlens_test');

describe.skipIf(SKIP_PG)('PostgreSQL server', () => {
  beforeAll(async () => {
    await pgAdmin(`CREATE DATABASE ${dbName}`);
  });
  afterAll(async () => {
    await pgAdmin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  });

  metadataSuite('PostgreSQL', () => MetadataStore.open({ url: dbUrl }));

  it('reports a server that is down as unavailable, with the reason', async () => {
    await expect(MetadataStore.open({ url: 'postgres://postgres@127.0.0.1:1/none' })).rejects.toThrow(
      /metadata store \(postgres\) is not usable/,
    );
  });

  it('uses the postgres backend', async () => {
    const s = await MetadataStore.open({ url: dbUrl });
    expect(s.backend).toBe('postgres');
    await s.close();
  });
});
