import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_ARTIFACT } from '../../src/server/index.js';
import { mvsaRows, storeMvsaReviews } from '../helpers/mvsa.js';
import { type RunningServer, startServer } from '../helpers/server.js';

let server: RunningServer;
let admin: string;
let analyst: string;

const call = async (path: string, key: string, init: { method?: string; json?: unknown } = {}) => {
  const res = await fetch(`${server.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${key}`,
      ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

beforeAll(async () => {
  server = await startServer({ REVIEWLENS_AUTH: 'true' });
  admin = (await server.ctx.keys.create({ name: 'ops', scopes: ['admin'] })).key;
  analyst = (await server.ctx.keys.create({ name: 'analyst', scopes: ['analyze'] })).key;
});
afterAll(async () => {
  await server?.close();
});

describe('registry routes', () => {
  it('lists versions with their headline metrics and aliases to any analyze key', async () => {
    const { status, body } = await call('/api/models', analyst);
    expect(status).toBe(200);
    const model = server.ctx.service.model;
    expect(body.production).toEqual({ name: model.name, version: model.version });
    expect(body.versions).toHaveLength(1);
    expect(body.versions[0].aliases).toEqual(['production']);
    // The headline is the product's own domain: the star-balanced e-commerce test split; MVSA comes second.
    expect(body.versions[0].summary.test_set).toMatch(/e-commerce/);
    expect(body.versions[0].summary.macro_f1).toBeGreaterThan(0.5);
    expect(body.versions[0].summary.n).toBe(3550);
    expect(body.versions[0].summary.other_sets['mvsa-single'].n).toBe(635);
  });

  it('answers a version’s full report, and 404 for an unknown one', async () => {
    const model = server.ctx.service.model;
    const ok = await call(`/api/models/${model.name}/${encodeURIComponent(model.version)}`, analyst);
    expect(ok.status).toBe(200);
    expect(ok.body.metrics.test.served.n).toBe(635);
    const missing = await call(`/api/models/${model.name}/0.0.0`, analyst);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain('is not registered');
  });

  it('promotes and rolls back with an admin key only', async () => {
    // A second registered version: the bundled artifact under another version number.
    const artifact = JSON.parse(readFileSync(BUNDLED_ARTIFACT, 'utf8'));
    const old = server.ctx.service.model;
    artifact.version = `${old.version}-b`;
    await server.ctx.registry.register(new TextEncoder().encode(JSON.stringify(artifact)), 'test');

    const denied = await call('/api/models/promote', analyst, {
      method: 'POST',
      json: { name: old.name, version: artifact.version },
    });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toContain('"admin" scope');

    const promoted = await call('/api/models/promote', admin, {
      method: 'POST',
      json: { name: old.name, version: artifact.version },
    });
    expect(promoted.status).toBe(200);
    expect(await server.ctx.registry.alias('production')).toEqual({ name: old.name, version: artifact.version });
    const history = await call('/api/models/history?alias=production', analyst);
    expect(history.body.history[0]).toMatchObject({ version: artifact.version, action: 'promote' });
    expect(history.body.history[0].reason).toContain('by ops');

    const back = await call('/api/models/rollback', admin, { method: 'POST', json: {} });
    expect(back.status).toBe(200);
    expect(back.body.to).toEqual({ name: old.name, version: old.version });
    expect(await server.ctx.registry.alias('production')).toEqual({ name: old.name, version: old.version });

    const unknown = await call('/api/models/promote', admin, {
      method: 'POST',
      json: { name: old.name, version: 'x' },
    });
    expect(unknown.status).toBe(404);
  });
});

describe('pipeline routes', () => {
  it('refuses an unknown step, naming the known ones', async () => {
    const { status, body } = await call('/api/pipeline/runs', admin, { method: 'POST', json: { steps: ['crawl'] } });
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/unknown pipeline step crawl \(known: .*index/);
  });

  it('needs an admin key', async () => {
    const { status } = await call('/api/pipeline/runs', analyst);
    expect(status).toBe(403);
  });

  it('runs the index step over the stored reviews, and a second run finds them indexed', async () => {
    const stored = await storeMvsaReviews(server.ctx, mvsaRows().slice(0, 6));
    expect(stored.inserted).toHaveLength(6);
    const before = await server.ctx.retrieval!.backend.count();

    const started = await call('/api/pipeline/runs', admin, { method: 'POST', json: { steps: ['index'] } });
    expect(started.status).toBe(202);
    expect(started.body.requested_by).toBe('ops');
    const id = started.body.id as number;
    await expect
      .poll(async () => (await call(`/api/pipeline/runs/${id}`, admin)).body.status, { timeout: 60_000 })
      .toBe('succeeded');
    const run = await call(`/api/pipeline/runs/${id}`, admin);
    expect(run.body.steps[0].output).toMatchObject({ reviews: 6, added: 6, withPhoto: 6, failed: 0 });
    expect(run.body.logs.map((l: { message: string }) => l.message)).toContain('done');
    expect(await server.ctx.retrieval!.backend.count()).toBe(before + 6);

    const again = await call('/api/pipeline/runs', admin, { method: 'POST', json: { steps: ['index'] } });
    await expect
      .poll(async () => (await call(`/api/pipeline/runs/${again.body.id}`, admin)).body.status, { timeout: 60_000 })
      .toBe('succeeded');
    const second = await call(`/api/pipeline/runs/${again.body.id}`, admin);
    expect(second.body.steps[0].output).toMatchObject({ added: 0, duplicate: 6 });

    const list = await call('/api/pipeline/runs?limit=1', admin);
    expect(list.body.total).toBe(2);
    expect(list.body.runs).toHaveLength(1);
    expect(list.body.runs[0].id).toBe(again.body.id);
  });
});
