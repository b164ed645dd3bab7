import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/core/ids.js';
import { downloadPhoto } from '../../src/ingest/index.js';
import { SafeFetcher } from '../../src/net/index.js';
import { LocalBlobStore } from '../../src/storage/index.js';
import { ROOT, SHARED, tempDir } from '../helpers/paths.js';
import { type Site, startSite } from './site-server.js';

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site.close();
});

// The test servers listen on 127.0.0.1, which the SSRF guard refuses unless allowed.
const limits = {
  maxBytes: 10 * 1024 * 1024,
  timeoutMs: 2000,
  userAgent: 'test',
  fetcher: new SafeFetcher({ allow: ['127.0.0.1'] }),
};

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

describe('review photos are kept without what they say about the customer', () => {
  let server: Server;
  let base: string;
  const photos = new Map<string, Buffer>();
  beforeAll(async () => {
    photos.set(
      '/gps.jpg',
      await sharp({ create: { width: 40, height: 20, channels: 3, background: '#aa3311' } })
        .withMetadata({ orientation: 6 })
        .withExif({
          IFD0: { Make: 'TestPhone', Model: 'TP-1' },
          IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 29/1' },
        })
        .jpeg()
        .toBuffer(),
    );
    photos.set('/phone.heic', readFileSync(join(ROOT, 'test', 'fixtures', 'photos', 'exif-gps.heic')));
    server = createServer((req, res) => {
      const body = photos.get(req.url ?? '');
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/octet-stream' }).end(body ?? '');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((ok) => server.close(ok));
  });

  it('a JPEG is stored without its EXIF (GPS, device), turned the right way up', async () => {
    const blobs = new LocalBlobStore(tempDir());
    const stored = await blobs.get(await downloadPhoto(`${base}/gps.jpg`, blobs, limits));
    const m = await sharp(stored).metadata();
    expect([m.format, m.width, m.height, m.exif]).toEqual(['jpeg', 20, 40, undefined]);
    expect(stored.includes(Buffer.from('TestPhone'))).toBe(false);
  });

  it('a HEIC photo is stored as a JPEG without its EXIF', async () => {
    const blobs = new LocalBlobStore(tempDir());
    const stored = await blobs.get(await downloadPhoto(`${base}/phone.heic`, blobs, limits));
    const m = await sharp(stored).metadata();
    expect([m.format, m.width, m.height, m.exif]).toEqual(['jpeg', 240, 160, undefined]);
  });
});
