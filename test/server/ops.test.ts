import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_ARTIFACT } from '../../src/server/index.js';
import { MODELS_DIR, MVSA_IMAGES, ROOT, tempDir } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const photo = readFileSync(join(MVSA_IMAGES, '100.jpg')).toString('base64');
const post = (srv: RunningServer, path: string, body: unknown) =>
  fetch(`${srv.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** The bundled artifact under another version (and, optionally, other encoders). */
function variant(version: string, textEncoder?: string): Uint8Array {
  const a = JSON.parse(readFileSync(BUNDLED_ARTIFACT, 'utf8')) as Record<string, any>;
  a.version = version;
  if (textEncoder) a.encoders.text = textEncoder;
  return Buffer.from(JSON.stringify(a));
}

describe('operations', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    // Micro-batching on here (it is off by default), so the batch below goes through the batcher.
    srv = await startServer({ REVIEWLENS_MAX_BATCH_ITEMS: '4', REVIEWLENS_MICRO_BATCH_MAX: '8' });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('reports readiness apart from liveness', async () => {
    const r = await fetch(`${srv.url}/api/ready`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as Record<string, any>;
    expect(body.ready).toBe(true);
    expect(body.checks).toMatchObject({
      model: { ok: true },
      metadata: { ok: true },
      blobs: { ok: true },
      cache: { ok: true },
    });
  });

  it('analyzes a batch, answering a bad item in its place', async () => {
    const r = await post(srv, '/api/analyze/batch', {
      items: [{ text: 'I love it' }, { text: '   ' }, { text: 'Broken on arrival', image_base64: photo }],
    });
    expect(r.status).toBe(200);
    const { results } = (await r.json()) as { results: Record<string, any>[] };
    expect(results).toHaveLength(3);
    expect(results[0]?.sentiment).toBe('positive');
    expect(results[1]?.error).toMatchObject({ code: 'invalid_input', field: 'text' });
    expect(results[2]?.modality).toBe('multimodal');
    const tooMany = await post(srv, '/api/analyze/batch', { items: Array.from({ length: 5 }, () => ({ text: 'x' })) });
    expect(tooMany.status).toBe(400);
  });

  it('exposes Prometheus metrics: requests, latency, stages, cache, model', async () => {
    await post(srv, '/api/analyze', { text: 'Same text twice' });
    await post(srv, '/api/analyze', { text: 'Same text twice' });
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    expect(text).toMatch(/reviewlens_http_requests_total\{method="POST",route="\/api\/analyze",status="200"\} [1-9]/);
    expect(text).toMatch(
      /reviewlens_http_request_duration_seconds_bucket\{le="0\.1",method="POST",route="\/api\/analyze",status="200"\}/,
    );
    expect(text).toMatch(/reviewlens_stage_duration_seconds_count\{stage="text_encoder"\} [1-9]/);
    expect(text).toMatch(/reviewlens_stage_duration_seconds_count\{stage="image_encoder"\} [1-9]/);
    expect(text).toMatch(/reviewlens_stage_duration_seconds_count\{stage="classifier"\} [1-9]/);
    expect(text).toMatch(/reviewlens_cache_lookups_total\{result="hit"\} [1-9]/);
    expect(text).toMatch(/reviewlens_cache_lookups_total\{result="miss"\} [1-9]/);
    expect(text).toMatch(/reviewlens_model_info\{name="reviewlens-fusion",version="[^"]+"\} 1/);
    expect(text).toMatch(/reviewlens_queue_depth\{queue="text"\} 0/);
    expect(text).toMatch(/reviewlens_rate_limited_total/);
  });

  it('hot-reloads a newly promoted model with no failed request, and keeps serving when one cannot load', async () => {
    const before = srv.ctx.service.model;
    const { artifact } = await srv.ctx.registry.register(variant('9.9.9-hot'), 'test');
    let stop = false;
    const statuses: number[] = [];
    const versions = new Set<string>();
    const load = (async () => {
      while (!stop) {
        const r = await post(srv, '/api/analyze', { text: `steady traffic ${statuses.length}` });
        statuses.push(r.status);
        versions.add(((await r.json()) as { model: { version: string } }).model.version);
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await srv.ctx.registry.promote(artifact.name, artifact.version);
    await srv.ctx.watcher?.check();
    await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await load;
    expect(statuses.length).toBeGreaterThan(2);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(versions).toEqual(new Set([before.version, '9.9.9-hot']));
    expect(srv.ctx.service.model.version).toBe('9.9.9-hot');
    // A cached answer of the old model is not served for the new one.
    const r = (await (await post(srv, '/api/analyze', { text: 'steady traffic 0' })).json()) as Record<string, any>;
    expect(r.model.version).toBe('9.9.9-hot');
    expect(r.cached).toBe(false);

    const bad = await srv.ctx.registry.register(variant('9.9.10-other-encoder', 'some-other-encoder'), 'test');
    await srv.ctx.registry.promote(bad.artifact.name, bad.artifact.version);
    await srv.ctx.watcher?.check();
    expect(srv.ctx.service.model.version).toBe('9.9.9-hot');
    expect((await post(srv, '/api/analyze', { text: 'still fine' })).status).toBe(200);
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    expect(metrics).toMatch(/reviewlens_model_reloads_total\{result="ok"\} 1/);
    expect(metrics).toMatch(/reviewlens_model_reloads_total\{result="failed"\} 1/);
  });
});

describe('graceful shutdown', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('finishes the requests in flight on SIGTERM, then exits 0', async () => {
    const port = 17000 + Math.floor(Math.random() * 1000);
    child = spawn(process.execPath, [join(ROOT, 'bin', 'reviewlens.js'), 'start'], {
      env: {
        ...process.env,
        REVIEWLENS_DATA_DIR: tempDir('reviewlens-shutdown-'),
        REVIEWLENS_MODELS_DIR: MODELS_DIR,
        REVIEWLENS_PORT: String(port),
        REVIEWLENS_AUTH: 'false',
        REVIEWLENS_DEMO_POOL: 'off',
        REVIEWLENS_LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));
    for (let i = 0; i < 240; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/api/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // A batch of photos takes a while; the signal arrives while it is being worked on.
    const items = Array.from({ length: 12 }, (_, i) => ({ text: `photo review ${i}`, image_base64: photo }));
    const pending = fetch(`http://127.0.0.1:${port}/api/analyze/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
    });
    await new Promise((r) => setTimeout(r, 150));
    child.kill('SIGTERM');
    const res = await pending;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { results: unknown[] }).results).toHaveLength(12);
    expect(await exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
  }, 120_000);
});

describe('keys and rate limits on the real server (in-process limits)', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ REVIEWLENS_AUTH: 'true', REVIEWLENS_RATE_LIMIT_MAX: '3' });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('needs a key with the route scope, and limits each key per route', async () => {
    const analyzeKey = (await srv.ctx.keys.create({ name: 'a', scopes: ['analyze'] })).key;
    const otherKey = (await srv.ctx.keys.create({ name: 'b', scopes: ['analyze'] })).key;
    const call = (path: string, key?: string, header = 'authorization') =>
      fetch(`${srv.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(key ? { [header]: header === 'authorization' ? `Bearer ${key}` : key } : {}),
        },
        body: JSON.stringify({ text: 'Fine' }),
      });
    const none = await call('/api/analyze');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect((await call('/api/analyze', 'rl_nope_nope')).status).toBe(401);
    const forbidden = await call('/api/search', analyzeKey);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { error: { message: string } }).error.message).toMatch(/"search" scope/);
    // Health, readiness and metrics need no key and are not limited.
    for (let i = 0; i < 5; i++) expect((await fetch(`${srv.url}/api/health`)).status).toBe(200);

    const ok = await call('/api/analyze', analyzeKey, 'x-api-key');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit-limit')).toBe('3');
    expect(ok.headers.get('ratelimit-remaining')).toBe('2');
    expect((await call('/api/analyze', analyzeKey)).status).toBe(200);
    expect((await call('/api/analyze', analyzeKey)).status).toBe(200);
    const limited = await call('/api/analyze', analyzeKey);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    // Another key has its own budget.
    expect((await call('/api/analyze', otherKey)).status).toBe(200);
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    expect(metrics).toMatch(/reviewlens_rate_limited_total\{route="\/api\/analyze"\} 1/);
  });
});

describe('request timeout', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ REVIEWLENS_REQUEST_TIMEOUT_MS: '60' });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('answers 503 timeout when an analysis takes longer than server.requestTimeoutMs, and keeps serving', async () => {
    // Eight photos take far more than 60 ms on two cores.
    const items = Array.from({ length: 8 }, (_, i) => ({ text: `slow ${i}`, image_base64: photo }));
    const r = await post(srv, '/api/analyze/batch', { items });
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'timeout',
      message: expect.stringMatching(/longer than 60 ms/),
    });
    expect((await fetch(`${srv.url}/api/health`)).status).toBe(200);
  });
});
