import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LanceReviewIndex } from '../../src/retrieval/index.js';
import { tempDir } from '../helpers/paths.js';

/**
 * The LanceDB index on object storage (`retrieval.uri: s3://...`), against s3rver, an S3-compatible
 * server run in-process on 127.0.0.1 (no real S3 can be reached from here).
 */
let server: S3rver;
let storageOptions: Record<string, string>;

beforeAll(async () => {
  server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    directory: tempDir('reviewlens-s3-'),
    silent: true,
    configureBuckets: [{ name: 'reviews' }],
  });
  const { port } = await server.run();
  storageOptions = {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    allow_http: 'true',
    aws_access_key_id: 'S3RVER',
    aws_secret_access_key: 'S3RVER',
  };
});
afterAll(async () => {
  await server?.close();
});

describe('LanceReviewIndex on S3', () => {
  it('writes, searches, updates and reopens an index kept in a bucket', async () => {
    const open = () => LanceReviewIndex.open({ uri: 's3://reviews/index', textDim: 2, imageDim: 2, storageOptions });
    const ix = await open();
    await ix.upsertVectors([
      { record: { id: 'a', text: 'Battery lasts for days', product: 'p1' }, textVector: Float32Array.from([1, 0]) },
      {
        record: { id: 'b', text: 'Screen broke on arrival', product: 'p2' },
        textVector: Float32Array.from([0, 1]),
        imageVector: Float32Array.from([1, 1]),
      },
    ]);
    expect((await ix.searchText('battery', { limit: 5 })).map((c) => c.id)).toEqual(['a']);
    expect((await ix.searchVector('text', Float32Array.from([0.1, 1]), { limit: 1 }))[0]?.id).toBe('b');
    await ix.update('a', { label: 'positive' });
    await ix.close();

    const again = await open();
    expect(await again.count()).toBe(2);
    expect((await again.get(['a'])).get('a')).toMatchObject({ label: 'positive', product: 'p1' });
    expect((await again.stats()).withPhoto).toBe(1);
    await again.close();
  });
});
