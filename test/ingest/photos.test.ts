import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/core/ids.js';
import { downloadPhoto } from '../../src/ingest/index.js';
import { LocalBlobStore } from '../../src/storage/index.js';
import { SHARED, tempDir } from '../helpers/paths.js';
import { type Site, startSite } from './site-server.js';

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site.close();
});

const limits = { maxBytes: 10 * 1024 * 1024, timeoutMs: 2000, userAgent: 'test' };

describe('review photo download', () => {
  it('stores a photo by the sha256 of its bytes', async () => {
    const blobs = new LocalBlobStore(tempDir());
    const id = await downloadPhoto(`${site.url}/photos/tent.jpg`, blobs, limits);
    const bytes = readFileSync(join(SHARED, 'mvsa-single', 'images', '1.jpg'));
    expect(id).toBe(sha256(bytes));
    expect((await blobs.get(id)).equals(bytes)).toBe(true);
  });

  it('refuses what is not an image by its bytes, what is over the size limit, and a missing photo', async () => {
    const blobs = new LocalBlobStore(tempDir());
    await expect(downloadPhoto(`${site.url}/photos/not-an-image.jpg`, blobs, limits)).rejects.toMatchObject({
      code: 'unsupported_media_type',
    });
    await expect(
      downloadPhoto(`${site.url}/photos/tent.jpg`, blobs, { ...limits, maxBytes: 1000 }),
    ).rejects.toMatchObject({
      code: 'payload_too_large',
    });
    await expect(downloadPhoto(`${site.url}/photos/missing.jpg`, blobs, limits)).rejects.toThrow(/HTTP 404/);
    await expect(downloadPhoto(`${site.url}/slow.html`, blobs, { ...limits, timeoutMs: 200 })).rejects.toThrow(
      /no answer in 200 ms/,
    );
  });
});
