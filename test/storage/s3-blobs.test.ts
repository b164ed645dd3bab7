import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, NotFoundError, sha256, ValidationError } from '../../src/core/index.js';
import { BUNDLED_ARTIFACT } from '../../src/server/context.js';
import { MetadataStore, openBlobStore, S3BlobStore } from '../../src/storage/index.js';
import { ModelRegistry, PRODUCTION } from '../../src/training/index.js';
import { SHARED, tempDir } from '../helpers/paths.js';

/**
 * The blob store's S3 adapter (`blobs.backend: s3`) against s3rver, an S3-compatible server written in JS and
 * run in-process on 127.0.0.1: no real S3 or MinIO can be reached or installed here (MinIO is not in Debian and
 * no image can be pulled), so MinIO itself was not run.
 */
let server: S3rver;
let endpoint: string;
const creds = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

beforeAll(async () => {
  server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    directory: tempDir('reviewlens-s3blobs-'),
    silent: true,
    configureBuckets: [{ name: 'blobs' }],
  });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await server?.close();
});

describe('S3BlobStore', () => {
  it('stores a real photo by its sha256 under the prefix, once, and reads, checks and deletes it', async () => {
    const store = new S3BlobStore({ bucket: 'blobs', prefix: 'test-a/', endpoint, ...creds });
    const photo = readFileSync(join(SHARED, 'product-photos', 'images', 'deep-learning-based-parc-303109db6b8a.jpg'));
    const id = await store.put(photo);
    expect(id).toBe(sha256(photo));
    expect(await store.put(Buffer.from(photo))).toBe(id);
    expect((await store.get(id)).equals(photo)).toBe(true);
    expect(await store.has(id)).toBe(true);
    expect(await store.status()).toEqual({ backend: 's3', ok: true });
    await store.delete(id);
    expect(await store.has(id)).toBe(false);
    await expect(store.get(id)).rejects.toThrow(NotFoundError);
    await expect(store.get('../etc/passwd')).rejects.toThrow(ValidationError);
    store.close();
  });

  it('reports a bucket that does not exist as not ok, naming it', async () => {
    const store = new S3BlobStore({ bucket: 'no-such-bucket', endpoint, ...creds });
    const st = await store.status();
    expect(st.ok).toBe(false);
    expect(st.error).toMatch(/^bucket no-such-bucket: /);
    store.close();
  });

  it('is what the config selects, and the model registry keeps its artifacts in it (shared by two stores)', async () => {
    const dir = tempDir();
    const config = loadConfig({
      env: {
        REVIEWLENS_BLOBS_BACKEND: 's3',
        REVIEWLENS_S3_BUCKET: 'blobs',
        REVIEWLENS_S3_PREFIX: 'test-b/',
        REVIEWLENS_S3_ENDPOINT: endpoint,
        REVIEWLENS_S3_ACCESS_KEY_ID: creds.accessKeyId,
        REVIEWLENS_S3_SECRET_ACCESS_KEY: creds.secretAccessKey,
      },
      cwd: dir,
      overrides: { dataDir: dir },
    });
    const blobs = openBlobStore(config);
    expect(blobs).toBeInstanceOf(S3BlobStore);
    const meta = await MetadataStore.open({ url: 'memory://' });
    try {
      const registry = new ModelRegistry(meta, blobs);
      const boot = await registry.bootstrap(BUNDLED_ARTIFACT);
      expect(boot.promoted).toBe(true);
      // A second process (another server, a worker) with its own client reads the same artifact.
      const other = new ModelRegistry(meta, openBlobStore(config));
      const prod = await registry.alias(PRODUCTION);
      const loaded = await other.load(prod!.name, prod!.version);
      expect(loaded.version).toBe(boot.version);
      const row = (await meta.listModelVersions())[0]!;
      expect(
        await new S3BlobStore({ bucket: 'blobs', prefix: 'test-b/', endpoint, ...creds }).has(row.artifactBlob),
      ).toBe(true);
    } finally {
      await meta.close();
    }
  });

  it('refuses an s3 backend without a bucket at config load', () => {
    expect(() => loadConfig({ env: { REVIEWLENS_BLOBS_BACKEND: 's3' }, cwd: tempDir() })).toThrow(
      /blobs\.s3\.bucket: is required when blobs\.backend is 's3'/,
    );
  });
});
