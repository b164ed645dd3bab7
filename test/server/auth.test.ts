import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKeyStore,
  AUTH_DISABLED_WARNING,
  type AuthOptions,
  type CreatedApiKey,
  hasScope,
  parseScopes,
  registerAuth,
} from '../../src/server/auth/index.js';
import { MetadataStore } from '../../src/storage/index.js';
import { tempDir } from '../helpers/paths.js';

const openMemory = () => MetadataStore.open({ url: 'memory://', dataDir: tempDir() });

describe('ApiKeyStore', () => {
  let meta: MetadataStore;
  let keys: ApiKeyStore;
  beforeAll(async () => {
    meta = await openMemory();
    keys = new ApiKeyStore(meta);
  });
  afterAll(async () => {
    await meta.close();
  });

  it('creates a key shown once as rl_<prefix>_<secret>, stored only as its sha256', async () => {
    const k = await keys.create({ name: 'checkout', scopes: 'analyze, search' });
    expect(k.key).toMatch(/^rl_[0-9A-Za-z]{8}_[0-9A-Za-z]{32,}$/);
    expect(k.key.startsWith(`rl_${k.prefix}_`)).toBe(true);
    expect(k).toMatchObject({ name: 'checkout', scopes: ['analyze', 'search'] });
    expect(k.createdAt).toBeInstanceOf(Date);
    const row = await meta.db.selectFrom('api_keys').selectAll().where('id', '=', k.id).executeTakeFirstOrThrow();
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(k.key.split('_')[2]);
  });

  it('lists keys without their hashes or secrets', async () => {
    const k = await keys.create({ name: 'lister', scopes: ['label'] });
    const list = await keys.list();
    const mine = list.find((x) => x.id === k.id);
    expect(mine).toEqual({
      id: k.id,
      name: 'lister',
      prefix: k.prefix,
      scopes: ['label'],
      createdAt: expect.any(Date),
      lastUsedAt: null,
      revokedAt: null,
    });
    const text = JSON.stringify(list);
    expect(text).not.toContain('key_hash');
    expect(text).not.toContain(k.key);
    for (const x of list) expect(Object.keys(x)).not.toContain('keyHash');
  });

  it('verifies a key, refuses unknown, malformed and tampered keys, and records the last use', async () => {
    const k = await keys.create({ name: 'verify', scopes: 'search' });
    expect(await keys.verify(k.key)).toEqual({ id: k.id, name: 'verify', prefix: k.prefix, scopes: ['search'] });
    const tampered = `${k.key.slice(0, -1)}${k.key.endsWith('a') ? 'b' : 'a'}`;
    expect(await keys.verify(tampered)).toBeUndefined();
    expect(await keys.verify(`rl_ZZZZZZZZ_${'x'.repeat(40)}`)).toBeUndefined();
    expect(await keys.verify('not-a-key')).toBeUndefined();
    expect(await keys.verify('')).toBeUndefined();
    const listed = (await keys.list()).find((x) => x.id === k.id);
    expect(listed?.lastUsedAt).toBeInstanceOf(Date);
  });

  it('revokes by id or prefix: the key stops verifying at once; revoking twice is harmless', async () => {
    const a = await keys.create({ name: 'a', scopes: 'analyze' });
    const b = await keys.create({ name: 'b', scopes: 'analyze' });
    expect(await keys.verify(a.key)).toBeDefined(); // now cached
    const r = await keys.revoke(String(a.id));
    expect(r.alreadyRevoked).toBe(false);
    expect(r.key.revokedAt).toBeInstanceOf(Date);
    expect(await keys.verify(a.key)).toBeUndefined();
    expect((await keys.revoke(b.prefix)).key.id).toBe(b.id);
    expect(await keys.verify(b.key)).toBeUndefined();
    expect((await keys.revoke(a.prefix)).alreadyRevoked).toBe(true);
    expect((await keys.list()).find((x) => x.id === a.id)?.revokedAt).toBeInstanceOf(Date);
    await expect(keys.revoke('nosuchpx')).rejects.toMatchObject({ statusCode: 404 });
    await expect(keys.revoke('999999')).rejects.toThrow(/no API key with id 999999/);
  });

  it('rotates a key: a new key with the same name and scopes, the old one revoked at once', async () => {
    const old = await keys.create({ name: 'checkout', scopes: 'analyze,search' });
    expect(await keys.verify(old.key)).toBeDefined(); // now cached
    const { created, old: info } = await keys.rotate(old.prefix);
    expect(created).toMatchObject({ name: 'checkout', scopes: ['analyze', 'search'] });
    expect(created.key).not.toBe(old.key);
    expect(created.prefix).not.toBe(old.prefix);
    expect(info).toMatchObject({ id: old.id, revokedAt: expect.any(Date) });
    expect(await keys.verify(old.key)).toBeUndefined();
    expect(await keys.verify(created.key)).toMatchObject({ id: created.id, scopes: ['analyze', 'search'] });

    await expect(keys.rotate(old.id)).rejects.toMatchObject({ statusCode: 400, message: /revoked already/ });
    await expect(keys.rotate('nosuchpx')).rejects.toMatchObject({ statusCode: 404 });
    for (const bad of [-1, 1.5, Number.NaN, 31 * 24 * 3600]) {
      await expect(keys.rotate(created.id, { graceSeconds: bad })).rejects.toMatchObject({ field: 'graceSeconds' });
    }
    expect(await keys.verify(created.key)).toBeDefined(); // a refused rotation changed nothing
  });

  it('rotates with a grace period: the old key works until it ends, and never longer from the cache', async () => {
    let now = Date.now();
    const server = new ApiKeyStore(meta, { now: () => now, cacheTtlMs: 30_000 });
    const old = await keys.create({ name: 'grace', scopes: 'label' });
    const { created, old: info } = await keys.rotate(old.id, { graceSeconds: 10 });
    expect(info.revokedAt!.getTime()).toBeGreaterThan(Date.now());
    expect(await server.verify(old.key)).toMatchObject({ id: old.id }); // in its grace period, and cached
    expect(await server.verify(created.key)).toMatchObject({ id: created.id });
    // The grace period ends (moved into the past in the database; the server's clock 11 s on): the cached
    // verification ends with it, not 30 s after it was cached.
    await meta.db
      .updateTable('api_keys')
      .set({ revoked_at: new Date(Date.now() - 1000) })
      .where('id', '=', old.id)
      .execute();
    now += 11_000;
    expect(await server.verify(old.key)).toBeUndefined();
    expect(await server.verify(created.key)).toBeDefined();
    await expect(keys.rotate(old.id)).rejects.toMatchObject({ statusCode: 400 });

    // Revoking a key during its grace period revokes it at once; rotating again never lengthens it.
    const a = await keys.create({ name: 'grace-2', scopes: 'label' });
    const first = await keys.rotate(a.id, { graceSeconds: 60 });
    const second = await keys.rotate(a.id, { graceSeconds: 600 });
    expect(second.old.revokedAt!.getTime()).toBe(first.old.revokedAt!.getTime());
    expect(await keys.verify(a.key)).toBeDefined();
    expect((await keys.revoke(a.id)).alreadyRevoked).toBe(false);
    expect(await keys.verify(a.key)).toBeUndefined();
    expect((await keys.revoke(a.id)).alreadyRevoked).toBe(true);
  });

  it('trusts a verified key for the cache TTL: another process revoking it is seen when the TTL expires', async () => {
    let now = 1_000_000;
    const server = new ApiKeyStore(meta, { now: () => now, cacheTtlMs: 30_000 });
    const cli = new ApiKeyStore(meta);
    const k = await cli.create({ name: 'ttl', scopes: 'search' });
    expect(await server.verify(k.key)).toBeDefined();
    await cli.revoke(k.id);
    now += 10_000;
    expect(await server.verify(k.key)).toBeDefined(); // still cached: documented behaviour
    now += 21_000;
    expect(await server.verify(k.key)).toBeUndefined();
  });

  it('writes last_used_at at most once per interval per key', async () => {
    let now = 5_000_000;
    const store = new ApiKeyStore(meta, { now: () => now, cacheTtlMs: 0 });
    const k = await store.create({ name: 'touch', scopes: 'search' });
    const lastUsed = async () =>
      (await meta.db.selectFrom('api_keys').select('last_used_at').where('id', '=', k.id).executeTakeFirstOrThrow())
        .last_used_at;
    await store.verify(k.key);
    const first = await lastUsed();
    expect(first).not.toBeNull();
    await meta.db.updateTable('api_keys').set({ last_used_at: null }).where('id', '=', k.id).execute();
    now += 30_000;
    await store.verify(k.key);
    expect(await lastUsed()).toBeNull();
    now += 31_000;
    await store.verify(k.key);
    expect(await lastUsed()).not.toBeNull();
  });

  it('validates scope names and key names with clear messages', async () => {
    await expect(keys.create({ name: 'x', scopes: 'analyze,write,root' })).rejects.toThrow(
      /unknown scopes "write", "root": the scopes are analyze, search, label, admin/,
    );
    await expect(keys.create({ name: 'x', scopes: ' , ' })).rejects.toMatchObject({
      statusCode: 400,
      field: 'scopes',
    });
    await expect(keys.create({ name: '  ', scopes: 'analyze' })).rejects.toMatchObject({ field: 'name' });
    expect(parseScopes('admin, analyze,analyze')).toEqual(['analyze', 'admin']);
  });

  it('admin implies every scope; other scopes imply only themselves', () => {
    for (const s of ['analyze', 'search', 'label', 'admin'] as const) expect(hasScope(['admin'], s)).toBe(true);
    expect(hasScope(['analyze'], 'analyze')).toBe(true);
    expect(hasScope(['analyze'], 'search')).toBe(false);
    expect(hasScope(['analyze', 'search', 'label'], 'admin')).toBe(false);
  });
});

/** A small app with a public route, an `analyze` route and an `admin` route. */
async function buildApp(opts: AuthOptions): Promise<FastifyInstance> {
  const app = Fastify();
  registerAuth(app, opts);
  const who = (req: { apiKey?: { prefix: string } }) => ({ key: req.apiKey?.prefix ?? null });
  app.get('/health', { config: { scope: 'public' } }, async (req) => who(req));
  app.get('/open', async (req) => who(req));
  app.post('/analyze', { config: { scope: 'analyze' } }, async (req) => who(req));
  app.post('/admin', { config: { scope: 'admin' } }, async (req) => who(req));
  await app.ready();
  return app;
}

describe('registerAuth', () => {
  let meta: MetadataStore;
  let store: ApiKeyStore;
  let app: FastifyInstance;
  let analyst: CreatedApiKey;
  let admin: CreatedApiKey;
  beforeAll(async () => {
    meta = await openMemory();
    store = new ApiKeyStore(meta);
    analyst = await store.create({ name: 'analyst', scopes: 'analyze' });
    admin = await store.create({ name: 'root', scopes: 'admin' });
    app = await buildApp({ store, enabled: true });
  });
  afterAll(async () => {
    await app.close();
    await meta.close();
  });

  it('lets public routes and routes without a scope through without a key', async () => {
    for (const url of ['/health', '/open']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual({ key: null });
    }
  });

  it('401 with WWW-Authenticate: Bearer without a key, with a bad key, or another auth scheme', async () => {
    const cases = [
      {},
      { authorization: 'Bearer rl_nothere0_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' },
      { 'x-api-key': 'garbage' },
      { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` },
      { authorization: `Bearer ${analyst.key.slice(0, -2)}` },
    ];
    for (const headers of cases) {
      const r = await app.inject({ method: 'POST', url: '/analyze', headers });
      expect(r.statusCode, JSON.stringify(headers)).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer');
      expect(r.json().error.code).toBe('unauthorized');
      expect(r.json().error.message).toEqual(expect.any(String));
    }
  });

  it('200 with the key as a Bearer token or in X-API-Key; the key is attached to the request', async () => {
    const bearer = await app.inject({
      method: 'POST',
      url: '/analyze',
      headers: { authorization: `Bearer ${analyst.key}` },
    });
    expect(bearer.statusCode).toBe(200);
    expect(bearer.json()).toEqual({ key: analyst.prefix });
    const header = await app.inject({ method: 'POST', url: '/analyze', headers: { 'x-api-key': analyst.key } });
    expect(header.statusCode).toBe(200);
    expect(header.json()).toEqual({ key: analyst.prefix });
    const lower = await app.inject({
      method: 'POST',
      url: '/analyze',
      headers: { authorization: `bearer ${admin.key}` },
    });
    expect(lower.statusCode).toBe(200);
  });

  it('403 naming the scope when the key lacks it; admin reaches every route', async () => {
    const r = await app.inject({ method: 'POST', url: '/admin', headers: { 'x-api-key': analyst.key } });
    expect(r.statusCode).toBe(403);
    expect(r.json().error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('"admin" scope') });
    for (const url of ['/admin', '/analyze']) {
      const ok = await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${admin.key}` } });
      expect(ok.statusCode).toBe(200);
    }
  });

  it('401 after the key is revoked', async () => {
    const k = await store.create({ name: 'temp', scopes: 'analyze' });
    const headers = { authorization: `Bearer ${k.key}` };
    expect((await app.inject({ method: 'POST', url: '/analyze', headers })).statusCode).toBe(200);
    await store.revoke(k.prefix);
    const r = await app.inject({ method: 'POST', url: '/analyze', headers });
    expect(r.statusCode).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer');
  });

  it('disabled: every request passes, nothing is attached, and it says so loudly', async () => {
    const logged: string[] = [];
    const off = await buildApp({ store, enabled: false, log: (m) => logged.push(m) });
    try {
      for (const url of ['/analyze', '/admin']) {
        const r = await off.inject({ method: 'POST', url, headers: { 'x-api-key': analyst.key } });
        expect(r.statusCode).toBe(200);
        expect(r.json()).toEqual({ key: null });
        expect((await off.inject({ method: 'POST', url })).statusCode).toBe(200);
      }
      expect(logged).toEqual([AUTH_DISABLED_WARNING]);
    } finally {
      await off.close();
    }
  });

  it('a store failure is a 503, not a pass', async () => {
    const broken = await buildApp({
      store: {
        verify: async () => {
          throw new Error('connection refused');
        },
      },
      enabled: true,
    });
    try {
      const r = await broken.inject({ method: 'POST', url: '/analyze', headers: { 'x-api-key': analyst.key } });
      expect(r.statusCode).toBe(503);
    } finally {
      await broken.close();
    }
  });
});
