import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLabelers, Ensemble, importReviewsJsonl, labelUnlabelled } from '../../src/labeling/index.js';
import { describeRequest, type FuzzRequest, fuzzRequests, type RouteSpec, routesOf } from '../helpers/api-fuzz.js';
import { MVSA_IMAGES, SHARED, tempDir } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/**
 * Issue 14, no 5xx from client mistakes: a property-based fuzz of every route in the OpenAPI document,
 * through `app.inject` on one real server (embedded stores, real model, API keys on), with a fixed seed.
 * The longer run over real HTTP is `npm run bench:fuzz` (docs/benchmarks.md).
 */
const SEED = 14;
const RUNS = 800;

let srv: RunningServer;
let routes: RouteSpec[];
let full: string;
let narrow: string;
const known: string[] = [];
let photo: Buffer;

async function send(r: FuzzRequest) {
  return srv.app.inject({
    method: r.method as 'GET',
    url: r.url,
    headers: r.headers,
    ...(r.body !== undefined ? { payload: r.body } : {}),
  });
}

beforeAll(async () => {
  srv = await startServer({ REVIEWLENS_AUTH: 'true', REVIEWLENS_RATE_LIMIT_MAX: '1000000' });
  full = (await srv.ctx.keys.create({ name: 'fuzz-admin', scopes: 'admin' })).key;
  narrow = (await srv.ctx.keys.create({ name: 'fuzz-label', scopes: 'label' })).key;
  photo = await sharp(readFileSync(join(MVSA_IMAGES, '100.jpg')))
    .resize(96)
    .jpeg()
    .toBuffer();
  // Things that exist, so that fuzzed ids sometimes hit: indexed reviews and their photo, the model.
  for (const text of ['Great phone, the battery lasts two days', 'Arrived cracked, a waste of money']) {
    const res = await srv.app.inject({
      method: 'POST',
      url: '/api/reviews',
      headers: { authorization: `Bearer ${full}` },
      payload: { text, image_base64: photo.toString('base64'), product: 'phone' },
    });
    expect(res.statusCode).toBe(201);
    known.push(res.json().id);
  }
  const rec = await srv.app.inject({ url: `/api/reviews/${known[0]}`, headers: { authorization: `Bearer ${full}` } });
  known.push(rec.json().imageId, srv.ctx.service.model.name, srv.ctx.service.model.version);
  // A few real reviews in the human review queue (items 1-6), so that submit and next have work.
  const lines = readFileSync(join(SHARED, 'mvsa-single', 'unlabeled.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean);
  const file = join(tempDir(), 'pool.jsonl');
  writeFileSync(file, `${lines.slice(0, 6).join('\n')}\n`);
  await importReviewsJsonl(srv.ctx.meta, srv.ctx.blobs, { data: file, images: MVSA_IMAGES });
  const { labelers } = await buildLabelers(srv.ctx.config, {
    registry: srv.ctx.registry,
    encoders: async () => srv.ctx.encoders as NonNullable<typeof srv.ctx.encoders>,
  });
  await labelUnlabelled(srv.ctx.meta, srv.ctx.blobs, new Ensemble(labelers), {
    thresholds: { accept: 1.01, review: 0 },
  });
  routes = routesOf(srv.app.swagger() as Parameters<typeof routesOf>[0]);
}, 180_000);

afterAll(async () => {
  await srv?.close();
});

describe('fuzzed requests to every documented route (fast-check, fixed seed)', () => {
  it('never answers 5xx, answers every 4xx on /api with an error code and message, and stays healthy', async () => {
    const seen = new Map<string, Record<string, number>>();
    await fc.assert(
      fc.asyncProperty(
        fuzzRequests(routes, { keys: { full, narrow }, photos: [photo], knownValues: known }),
        async (r) => {
          const res = await send(r);
          const byClass = seen.get(r.route) ?? {};
          byClass[`${String(res.statusCode)[0]}xx`] = (byClass[`${String(res.statusCode)[0]}xx`] ?? 0) + 1;
          seen.set(r.route, byClass);
          if (res.statusCode >= 500) {
            throw new Error(`${res.statusCode} for ${describeRequest(r)}\n  answer: ${res.body.slice(0, 400)}`);
          }
          if (res.statusCode >= 400 && r.method !== 'HEAD' && r.url.startsWith('/api')) {
            let error: { code?: unknown; message?: unknown } | undefined;
            try {
              error = (JSON.parse(res.body) as { error?: typeof error }).error;
            } catch {}
            if (typeof error?.code !== 'string' || typeof error.message !== 'string' || error.message === '') {
              throw new Error(
                `${res.statusCode} without { error: { code, message } } for ${describeRequest(r)}\n  answer: ${res.body.slice(0, 300)}`,
              );
            }
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    // Every documented route was tried, and the handlers behind validation ran (not only refusals).
    for (const r of routes)
      expect(seen.has(`${r.method} ${r.path}`), `${r.method} ${r.path} was never tried`).toBe(true);
    for (const route of ['POST /api/analyze', 'POST /api/search', 'POST /api/reviews', 'PATCH /api/reviews/{id}']) {
      expect(seen.get(route)?.['2xx'] ?? 0, `${route} never answered 2xx`).toBeGreaterThan(0);
    }
    const health = await srv.app.inject({ url: '/api/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json().status).toBe('ok');
  });
});

describe('client mistakes the fuzz found, each answered 4xx with a message', () => {
  const auth = () => ({ authorization: `Bearer ${full}` });

  it('a POST without a body to a route that takes JSON or a form: 400 naming both', async () => {
    for (const url of ['/api/analyze', '/api/search']) {
      const res = await srv.app.inject({ method: 'POST', url, headers: auth() });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'invalid_input', field: 'body' });
      expect(res.json().error.message).toContain('application/json or multipart/form-data');
    }
  });

  it('an id beyond a 32-bit integer, or text with a NUL the database cannot hold: 400, not a database 500', async () => {
    for (const url of [
      '/api/pipeline/runs/9999999999',
      '/api/pipeline/runs/4294967296?after=1',
      '/api/models/history?alias=a%00b',
    ]) {
      const res = await srv.app.inject({ url, headers: auth() });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.code).toBe('invalid_input');
      expect(res.json().error.message).toMatch(/cannot be used/);
    }
    const cancel = await srv.app.inject({
      method: 'POST',
      url: '/api/pipeline/runs/9999999999/cancel',
      headers: auth(),
    });
    expect(cancel.statusCode).toBe(400);
  });

  it('bad percent-encoding and over-long path parameters: 400 and 414 in the API error shape', async () => {
    const bad = await srv.app.inject({ url: '/api/reviews/%zz', headers: auth() });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'invalid_input' });
    expect(bad.json().error.message).toContain('URL is not valid');
    const long = await srv.app.inject({ url: `/api/reviews/${'a'.repeat(500)}`, headers: auth() });
    expect(long.statusCode).toBe(414);
    expect(long.json().error).toMatchObject({ code: 'uri_too_long' });
  });

  it('multipart that is not multipart, and bodies of other types: 400 and 415', async () => {
    const broken = await srv.app.inject({
      method: 'POST',
      url: '/api/search',
      headers: { ...auth(), 'content-type': 'multipart/form-data; boundary=x1' },
      payload: '--x1\r\nContent-Disposition: form-data; name="text"\r\n\r\nhello',
    });
    expect(broken.statusCode).toBe(400);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await srv.app.inject({
        method: 'POST',
        url: '/api/analyze',
        headers: { ...auth(), 'content-type': type },
        payload: 'text=hello',
      });
      expect(res.statusCode, type).toBe(415);
      expect(res.json().error.code).toBe('unsupported_media_type');
      expect(res.json().error.message).toBe(
        `a body of type "${type}" is not accepted here: send application/json or multipart/form-data`,
      );
    }
  });
});
