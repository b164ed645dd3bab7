import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/** Customer photos through the API: HEIC is analyzed and searched; what is kept has no EXIF. */
const HEIC = readFileSync(join(ROOT, 'test', 'fixtures', 'photos', 'exif-gps.heic'));

let srv: RunningServer;

async function post(path: string, body: unknown) {
  const res = await fetch(`${srv.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv?.close();
});

describe('customer photos through the API', () => {
  it('analyzes a HEIC photo (JSON and multipart) instead of refusing it', async () => {
    const json = await post('/api/analyze', { text: 'Arrived today', image_base64: HEIC.toString('base64') });
    expect(json.status, JSON.stringify(json.body)).toBe(200);
    expect(json.body.modality).toBe('multimodal');
    expect(json.body.evidence.image).toBeDefined();

    const form = new FormData();
    form.set('text', 'Arrived today');
    form.set('image', new Blob([HEIC], { type: 'image/heic' }), 'IMG_0001.HEIC');
    const res = await fetch(`${srv.url}/api/analyze`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { modality: string }).modality).toBe('multimodal');
  });

  it('a review photo with GPS EXIF is served back without it; a HEIC one as a JPEG', async () => {
    const gps = await sharp({ create: { width: 60, height: 30, channels: 3, background: '#2266aa' } })
      .withMetadata({ orientation: 6 })
      .withExif({
        IFD0: { Make: 'TestPhone', Model: 'TP-1' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 29/1' },
      })
      .jpeg()
      .toBuffer();
    for (const [image, want] of [
      [gps, ['jpeg', 30, 60]],
      [HEIC, ['jpeg', 240, 160]],
    ] as const) {
      const created = await post('/api/reviews', {
        text: `a review with a photo ${want[1]}`,
        image_base64: image.toString('base64'),
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const review = (await (await fetch(`${srv.url}/api/reviews/${created.body.id}`)).json()) as { imageId: string };
      const photo = await fetch(`${srv.url}/api/photos/${review.imageId}`);
      expect(photo.status).toBe(200);
      expect(photo.headers.get('content-type')).toBe('image/jpeg');
      const bytes = Buffer.from(await photo.arrayBuffer());
      const m = await sharp(bytes).metadata();
      expect([m.format, m.width, m.height]).toEqual(want);
      expect(m.exif).toBeUndefined();
      expect(bytes.includes(Buffer.from('TestPhone'))).toBe(false);
      const thumb = await fetch(`${srv.url}/api/photos/${review.imageId}/thumbnail`);
      expect(thumb.status).toBe(200);
    }
  });

  it('searches by a HEIC photo', async () => {
    const r = await post('/api/search', { image_base64: HEIC.toString('base64'), k: 3 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.hits.length).toBeGreaterThan(0);
  });
});
