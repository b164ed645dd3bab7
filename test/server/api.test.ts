import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MVSA_IMAGES } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const photo = readFileSync(join(MVSA_IMAGES, '100.jpg'));
let srv: RunningServer;

beforeAll(async () => {
  srv = await startServer({ REVIEWLENS_MAX_IMAGE_BYTES: String(2 * 1024 * 1024), REVIEWLENS_MAX_TEXT_CHARS: '2000' });
});
afterAll(async () => {
  await srv?.close();
});

function form(fields: Record<string, string | { bytes: Uint8Array; name: string; type?: string }>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string') f.append(k, v);
    else f.append(k, new Blob([new Uint8Array(v.bytes)], { type: v.type ?? 'application/octet-stream' }), v.name);
  }
  return f;
}

async function analyzeForm(fields: Parameters<typeof form>[0]) {
  const res = await fetch(`${srv.url}/api/analyze`, { method: 'POST', body: form(fields) });
  return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
}

async function analyzeJson(body: unknown) {
  const res = await fetch(`${srv.url}/api/analyze`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

function expectContract(b: Record<string, any>) {
  expect(['positive', 'negative', 'neutral']).toContain(b.sentiment);
  expect(b.confidence).toBeGreaterThan(0);
  expect(b.confidence).toBeLessThanOrEqual(1);
  expect(b.scores.negative + b.scores.neutral + b.scores.positive).toBeCloseTo(1, 5);
  expect(b.confidence).toBeCloseTo(b.scores[b.sentiment], 10);
  expect(Math.max(b.scores.negative, b.scores.neutral, b.scores.positive)).toBe(b.scores[b.sentiment]);
  expect(Array.isArray(b.similar_reviews)).toBe(true);
  expect(typeof b.processing_time_ms).toBe('number');
  expect(typeof b.cached).toBe('boolean');
  expect(b.model.name).toBe('reviewlens-fusion');
  expect(b.model.version).toMatch(/^3\.0\.0\+[0-9a-f]{8}$/);
  expect(typeof b.mismatch).toBe('boolean');
  expect(b.sarcasm.probability).toBeGreaterThanOrEqual(0);
  expect(b.sarcasm.probability).toBeLessThanOrEqual(1);
  expect(Array.isArray(b.evidence.top_words.for)).toBe(true);
}

describe('POST /api/analyze', () => {
  it('answers a multipart review with a real photo in the seed contract, multimodal', async () => {
    const { status, body, headers } = await analyzeForm({
      text: 'The screen cracked after two days',
      image: { bytes: photo, name: 'photo.jpg', type: 'image/jpeg' },
    });
    expect(status).toBe(200);
    expectContract(body);
    expect(body.modality).toBe('multimodal');
    expect(body.evidence.image.scores).toBeDefined();
    expect(body.evidence.text.sentiment).toBe('negative');
    expect(headers.get('x-request-id')).toBeTruthy();
  });

  it('answers text only, and the clearly worded reviews the right way round', async () => {
    const neg = await analyzeForm({ text: 'Terrible quality, it broke after one day. Total waste of money.' });
    expect(neg.status).toBe(200);
    expectContract(neg.body);
    expect(neg.body.modality).toBe('text_only');
    expect(neg.body.sentiment).toBe('negative');
    const pos = await analyzeJson({ text: 'Absolutely love it, works perfectly and arrived early. Great value!' });
    expect(pos.status).toBe(200);
    expect(pos.body.sentiment).toBe('positive');
  });

  it('accepts JSON with image_base64 (and a data URL) and gives the same answer as multipart', async () => {
    const text = 'Look at what arrived today';
    const a = await analyzeJson({ text, image_base64: photo.toString('base64') });
    const b = await analyzeJson({ text, image_base64: `data:image/jpeg;base64,${photo.toString('base64')}` });
    const c = await analyzeForm({ text, image: { bytes: photo, name: 'x.jpg' } });
    expect(a.status).toBe(200);
    expect(a.body.modality).toBe('multimodal');
    expect(b.body.scores).toEqual(a.body.scores);
    expect(c.body.scores).toEqual(a.body.scores);
  });

  it('serves a repeated request from the cache, marked cached', async () => {
    const text = `Cache me ${Date.now()}`;
    const first = await analyzeJson({ text });
    const second = await analyzeJson({ text });
    expect(first.body.cached).toBe(false);
    expect(second.body.cached).toBe(true);
    expect(second.body.scores).toEqual(first.body.scores);
  });

  it('chunks a long review instead of cutting it, and reports the windows', async () => {
    const long = Array.from({ length: 60 }, (_, i) => `Sentence ${i} says the blender is loud but works.`).join(' ');
    const r = await analyzeJson({ text: long.slice(0, 2000) });
    expect(r.status).toBe(200);
    expect(r.body.evidence.text_chunks).toBeGreaterThan(1);
  });

  describe('bad input gets a clear error naming the field, and the server keeps serving', () => {
    const cases: Array<
      [string, () => Promise<{ status: number; body: Record<string, any> }>, number, string | undefined]
    > = [
      ['empty text', () => analyzeJson({ text: '' }), 400, 'text'],
      ['whitespace text', () => analyzeForm({ text: '   \n\t ' }), 400, 'text'],
      ['missing text (JSON)', () => analyzeJson({ image_base64: photo.toString('base64') }), 400, 'text'],
      ['missing text (multipart)', () => analyzeForm({ image: { bytes: photo, name: 'p.jpg' } }), 400, 'text'],
      ['text of the wrong type', () => analyzeJson({ text: 42 }), 400, 'text'],
      ['text over the limit', () => analyzeJson({ text: 'a'.repeat(2001) }), 413, 'text'],
      [
        'photo over the size limit (multipart)',
        () => analyzeForm({ text: 'hi', image: { bytes: Buffer.alloc(3 * 1024 * 1024, 1), name: 'big.jpg' } }),
        413,
        'image',
      ],
      [
        'photo over the size limit (JSON)',
        () => analyzeJson({ text: 'hi', image_base64: Buffer.alloc(2.1 * 1024 * 1024, 1).toString('base64') }),
        413,
        'image_base64',
      ],
      [
        'a 50 MB upload (JSON body over the limit, refused unread)',
        () => analyzeJson({ text: 'hi', image_base64: 'A'.repeat(50 * 1024 * 1024) }),
        413,
        undefined,
      ],
      [
        'a 50 MB upload (multipart)',
        () => analyzeForm({ text: 'hi', image: { bytes: Buffer.alloc(50 * 1024 * 1024, 7), name: 'huge.jpg' } }),
        413,
        'image',
      ],
      [
        'base64 that is not an image',
        () => analyzeJson({ text: 'hi', image_base64: Buffer.from('plain text, not a photo').toString('base64') }),
        415,
        'image_base64',
      ],
      [
        'a text file named .jpg',
        () =>
          analyzeForm({
            text: 'hi',
            image: { bytes: Buffer.from('hello, I am not a photo'), name: 'photo.jpg', type: 'image/jpeg' },
          }),
        415,
        'image',
      ],
      [
        'a PDF named .jpg',
        () => analyzeForm({ text: 'hi', image: { bytes: Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj'), name: 'photo.jpg' } }),
        415,
        'image',
      ],
      [
        'a truncated JPEG',
        () => analyzeForm({ text: 'hi', image: { bytes: photo.subarray(0, 3000), name: 'cut.jpg' } }),
        400,
        'image',
      ],
      ['invalid base64', () => analyzeJson({ text: 'hi', image_base64: '!!!not base64!!!' }), 400, 'image_base64'],
      ['broken JSON', () => analyzeJson('{"text": "unterminated'), 400, undefined],
    ];
    for (const [name, call, status, field] of cases) {
      it(`${name} -> ${status}`, async () => {
        const r = await call();
        expect(r.status, JSON.stringify(r.body)).toBe(status);
        expect(r.body.error.message).toBeTruthy();
        if (field) expect(r.body.error.field, JSON.stringify(r.body)).toBe(field);
        const after = await analyzeJson({ text: 'still working?' });
        expect(after.status).toBe(200);
      });
    }

    it('a PNG named .jpg is judged by its bytes and analysed', async () => {
      const png = await sharp(photo).png().toBuffer();
      const r = await analyzeForm({ text: 'nice', image: { bytes: png, name: 'photo.jpg', type: 'image/jpeg' } });
      expect(r.status).toBe(200);
      expect(r.body.modality).toBe('multimodal');
    });

    it('unknown fields are ignored, in JSON and in multipart', async () => {
      const a = await analyzeJson({ text: 'works fine', colour: 'blue' });
      const b = await analyzeForm({ text: 'works fine', colour: 'blue' });
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect(b.body.scores).toEqual(a.body.scores);
    });

    it('a body that is not valid multipart but says it is -> 400 naming the body, on analyze and search', async () => {
      const boundary = 'x-boundary-42';
      const whole = `--${boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\nhello\r\n--${boundary}--\r\n`;
      const bodies = [
        // cut in the middle of a part, in a part header, and no boundary at all
        whole.slice(0, 60),
        `--${boundary}\r\nContent-Disposition: form-da`,
        'not multipart at all',
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="p.jpg"\r\n\r\n\xff\xd8\xff`,
      ];
      for (const path of ['/api/analyze', '/api/search']) {
        for (const body of bodies) {
          const res = await fetch(`${srv.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
            body,
          });
          const json = (await res.json()) as { error: { code: string; message: string; field?: string } };
          expect(res.status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(json)}`).toBeLessThan(500);
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(json.error.message).toBeTruthy();
        }
      }
      expect((await analyzeJson({ text: 'still working?' })).status).toBe(200);
    });

    it('an unsupported content type -> 415', async () => {
      const res = await fetch(`${srv.url}/api/analyze`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'hello',
      });
      expect(res.status).toBe(415);
    });
  });
});

describe('GET /api/health and /api/docs', () => {
  it('health reports models, device, cache, stores and the model version', async () => {
    const res = await fetch(`${srv.url}/api/health`);
    const b = (await res.json()) as Record<string, any>;
    expect(res.status).toBe(200);
    expect(b).toMatchObject({ status: 'ok', models_loaded: true, device: 'cpu', cache_connected: true });
    expect(b.store.metadata).toEqual({ backend: 'pglite', ok: true });
    expect(b.store.blobs.ok).toBe(true);
    expect(b.model_version).toBe(b.model.version);
  });

  it('docs is an OpenAPI document of every route', async () => {
    const res = await fetch(`${srv.url}/api/docs`);
    const doc = (await res.json()) as Record<string, any>;
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/analyze',
      '/api/analyze/batch',
      '/api/drift',
      '/api/health',
      '/api/index/stats',
      '/api/models',
      '/api/models/history',
      '/api/models/promote',
      '/api/models/promotions',
      '/api/models/rollback',
      '/api/models/{name}/{version}',
      '/api/models/{name}/{version}/report',
      '/api/photos/{id}',
      '/api/photos/{id}/thumbnail',
      '/api/pipeline/runs',
      '/api/pipeline/runs/{id}',
      '/api/pipeline/runs/{id}/cancel',
      '/api/pipeline/runs/{id}/resume',
      '/api/pipeline/schedules',
      '/api/pipeline/steps',
      '/api/queue',
      '/api/queue/next',
      '/api/queue/stats',
      '/api/queue/{id}/submit',
      '/api/ready',
      '/api/reports/{id}',
      '/api/reviews',
      '/api/reviews/{id}',
      '/api/search',
      '/api/synthesis',
    ]);
    const analyze = doc.paths['/api/analyze'].post;
    expect(Object.keys(analyze.requestBody.content).sort()).toEqual(['application/json', 'multipart/form-data']);
    expect(analyze.responses['200'].content['application/json'].schema.required).toContain('sentiment');
  });

  it('unknown routes answer 404 in the error shape', async () => {
    const res = await fetch(`${srv.url}/api/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as Record<string, any>).error.code).toBe('not_found');
  });
});
