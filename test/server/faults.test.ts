import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';
import { PipelineRunner, type PipelineServices, type PipelineStep } from '../../src/pipeline/index.js';
import { ApiKeyStore } from '../../src/server/auth/index.js';
import { type AppContext, buildServer, createContext } from '../../src/server/index.js';
import { MetadataStore } from '../../src/storage/index.js';
import { MODELS_DIR, tempDir } from '../helpers/paths.js';
import { PG_ADMIN_URL, pgAdmin, SKIP_PG, tempDatabase } from '../helpers/postgres.js';
import { deadUrl } from '../helpers/replay-server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/**
 * PostgreSQL and Redis going away while the server runs, and coming back: the real servers on 127.0.0.1
 * (5432, 6379) behind TCP proxies this file stops and restarts, so the shared servers other tests use are
 * never touched. REVIEWLENS_SKIP_PG=1 or REVIEWLENS_SKIP_REDIS=1 skips.
 */
const REDIS_URL = process.env.REVIEWLENS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const skip = SKIP_PG || process.env.REVIEWLENS_SKIP_REDIS === '1';
// Redis database 5, flushed before and after: no other test uses it.
const redisDb = `${REDIS_URL.replace(/\/\d*$/, '')}/5`;
const target = (url: string, port: number) => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || port) };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 100 ms until it holds (at most `tries` times); returns whether it did. */
async function until(check: () => Promise<boolean>, tries = 200): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check().catch(() => false)) return true;
    await sleep(100);
  }
  return false;
}

describe.skipIf(skip)('the server with PostgreSQL and Redis going away and coming back', () => {
  const db = tempDatabase('reviewlens_faults');
  const pg = new TcpProxy(target(PG_ADMIN_URL, 5432));
  const redis = new TcpProxy(target(REDIS_URL, 6379));
  let admin: Redis;
  let ctx: AppContext;
  let app: FastifyInstance;
  let base = '';
  let key = '';
  const log: string[] = [];

  beforeAll(async () => {
    await pgAdmin(`CREATE DATABASE ${db.name}`);
    admin = new Redis(redisDb);
    await admin.flushdb();
    await pg.start();
    await redis.start();
    const dataDir = tempDir('reviewlens-faults-');
    const cfg = loadConfig({
      env: { REVIEWLENS_MODELS_DIR: MODELS_DIR, REVIEWLENS_RELOAD_INTERVAL_SECONDS: '0' },
      cwd: dataDir,
      overrides: {
        dataDir,
        'database.url': pg.url(db.url),
        'redis.url': redis.url(redisDb),
        'auth.enabled': true,
        'server.port': 0,
        // One route with a small budget, to see the limit hold in-process while Redis is away.
        'rateLimit.routes': { '/api/models': 3 },
      },
    });
    ctx = await createContext(cfg, (m) => log.push(m));
    app = await buildServer(ctx, { logger: false });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    key = (await ctx.keys.create({ name: 'faults', scopes: ['admin'] })).key;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await pg.kill();
    await redis.kill();
    await admin?.flushdb();
    admin?.disconnect();
    await pgAdmin(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`);
  }, 60_000);

  const headers = () => ({ 'content-type': 'application/json', authorization: `Bearer ${key}` });
  const analyze = async (text: string) => {
    const r = await fetch(`${base}/api/analyze`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ text }),
    });
    return { status: r.status, body: (await r.json()) as Record<string, any> };
  };
  const get = async (path: string) => {
    const r = await fetch(`${base}${path}`, { headers: headers() });
    return { status: r.status, headers: r.headers, body: (await r.json()) as Record<string, any> };
  };
  const cacheKeys = async () => (await admin.keys('reviewlens:cache:*')).length;
  const limitKeys = async () => (await admin.keys('reviewlens:ratelimit:*')).length;

  it('with both up: caches and counts in Redis, and readiness says ok', async () => {
    expect((await analyze('The handle snapped off after a week')).body.cached).toBe(false);
    expect((await analyze('The handle snapped off after a week')).body.cached).toBe(true);
    expect(await cacheKeys()).toBe(1);
    expect(await limitKeys()).toBeGreaterThan(0);
    const ready = await get('/api/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, status: 'ok', degraded: [] });
    expect(ready.body.checks).toMatchObject({
      metadata: { ok: true, backend: 'postgres' },
      cache: { ok: true, backend: 'redis', mode: 'primary' },
      rate_limit: { ok: true, backend: 'redis', mode: 'primary' },
    });
    expect((await get('/api/queue')).status).toBe(200);
  });

  it('with both down: analyses answer 200 from the in-process cache, limits hold in-process, database routes answer 503', async () => {
    await pg.kill();
    await redis.kill();

    // The key was verified before the outage: it is still accepted, and analyses need no database.
    const first = await analyze('Arrived scratched and the seller never answered');
    expect(first.status).toBe(200);
    expect(first.body.cached).toBe(false);
    const again = await analyze('Arrived scratched and the seller never answered');
    expect(again.status).toBe(200);
    expect(again.body.cached).toBe(true); // the in-process fallback holds it

    const ready = await get('/api/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.ready).toBe(true);
    expect(ready.body.status).toBe('degraded');
    expect(ready.body.degraded).toEqual(expect.arrayContaining(['metadata', 'cache', 'rate_limit']));
    expect(ready.body.checks.metadata).toMatchObject({ ok: false, backend: 'postgres' });
    expect(ready.body.checks.metadata.affects).toMatch(/answer 503/);
    expect(ready.body.checks.cache).toMatchObject({ ok: true, backend: 'redis', mode: 'fallback', fallback: 'memory' });
    expect(ready.body.checks.cache.error).toMatch(/not connected|failed/);
    expect(ready.body.checks.rate_limit).toMatchObject({ ok: true, mode: 'fallback', fallback: 'memory' });
    expect((await get('/api/health')).body.cache_connected).toBe(false);

    // What truly needs the database: a documented 503 with Retry-After, never a 500.
    for (const path of ['/api/queue', '/api/pipeline/runs']) {
      const r = await get(path);
      expect(r.status, path).toBe(503);
      expect(r.headers.get('retry-after')).toBe('5');
      expect(r.body.error.code).toBe('unavailable');
    }
    // The in-process limiter still counts: 3 allowed on /api/models, the 4th refused.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await get('/api/models')).status);
    expect(statuses).toEqual([503, 503, 503, 429]);
    expect(log.some((m) => /WARNING: the redis cache .*in-process cache serves/.test(m))).toBe(true);
    // Nothing new reached Redis meanwhile (it was not there).
    expect(await cacheKeys()).toBe(1);
  });

  it('with both back: Redis caches and counts again and the database routes work, without a restart', async () => {
    await pg.start();
    await redis.start();
    // The clients reconnect on their own (Redis within 2 s; PostgreSQL on the next query).
    const back = await until(async () => (await get('/api/ready')).body.status === 'ok');
    const ready = await get('/api/ready');
    expect(back, JSON.stringify(ready.body)).toBe(true);
    expect(ready.body.checks.cache).toMatchObject({ mode: 'primary' });
    expect(ready.body.checks.rate_limit).toMatchObject({ mode: 'primary' });
    expect((await get('/api/health')).body.cache_connected).toBe(true);

    expect((await get('/api/queue')).status).toBe(200);
    const before = await cacheKeys();
    expect((await analyze('Works as described, fast delivery')).body.cached).toBe(false);
    expect(await cacheKeys()).toBe(before + 1);
    expect((await analyze('Works as described, fast delivery')).body.cached).toBe(true);
    // The rate-limit counters are in Redis again: /api/models starts a window there (the count of the
    // outage stayed in-process), so it answers 200 and Redis holds its counter.
    expect((await get('/api/models')).status).toBe(200);
    const counters = await admin.keys('reviewlens:ratelimit:*/api/models');
    expect(counters).toHaveLength(1);
    expect(await admin.get(counters[0] as string)).toBe('1');
    expect(log.some((m) => /shared in Redis again/.test(m))).toBe(true);
  });

  it('accepts a key verified before the outage once its cache entry has expired, and refuses an unseen one with 503', async () => {
    let now = 1_000_000;
    const keys = new ApiKeyStore(ctx.meta, { cacheTtlMs: 1000, now: () => now });
    const known = await ctx.keys.create({ name: 'known', scopes: ['analyze'] });
    const unseen = await ctx.keys.create({ name: 'unseen', scopes: ['analyze'] });
    expect((await keys.verify(known.key))?.name).toBe('known');
    await pg.kill();
    now += 60_000; // long past the cache TTL: the store asks the database, which is away
    try {
      expect((await keys.verify(known.key))?.name).toBe('known');
      await expect(keys.verify(unseen.key)).rejects.toThrow();
    } finally {
      await pg.start();
    }
    // Back: the database decides again (a revoked key is refused at once).
    await ctx.keys.revoke(known.prefix);
    expect(await until(async () => (await keys.verify(known.key)) === undefined)).toBe(true);
  });
});

describe.skipIf(SKIP_PG)('a pipeline step while PostgreSQL goes away', () => {
  const db = tempDatabase('reviewlens_faults_pipe');
  const pg = new TcpProxy(target(PG_ADMIN_URL, 5432));
  let meta: MetadataStore;

  beforeAll(async () => {
    await pgAdmin(`CREATE DATABASE ${db.name}`);
    await pg.start();
    meta = await MetadataStore.open({ url: pg.url(db.url) });
  }, 60_000);
  afterAll(async () => {
    await meta?.close();
    await pg.kill();
    await pgAdmin(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`);
  }, 60_000);

  const services = (): PipelineServices =>
    ({
      config: loadConfig({ env: {} }),
      meta,
      blobs: undefined,
      registry: undefined,
      encoders: async () => {
        throw new Error('not needed');
      },
      retrieval: async () => undefined,
    }) as unknown as PipelineServices;

  it('is retried with exponential backoff while the database is away, and succeeds once it is back', async () => {
    let gate!: () => void;
    const opened = new Promise<void>((r) => {
      gate = r;
    });
    let attempts = 0;
    const step: PipelineStep = {
      name: 'count',
      description: 'counts the reviews (needs the database)',
      async run() {
        attempts++;
        await opened;
        return { reviews: await meta.reviews.count() };
      },
    };
    const lines: string[] = [];
    const runner = new PipelineRunner(services(), [step], {
      retry: { attempts: 8, baseMs: 50, maxMs: 200 },
      log: (_level, m) => lines.push(m),
    });
    const { id } = await runner.start();
    expect(await until(async () => attempts === 1)).toBe(true);
    await pg.kill();
    gate();
    // Four failed attempts, waiting 50, 100, 200, 200 ms (doubling, capped at maxMs) ...
    expect(await until(async () => lines.filter((l) => / retry \d+\/7 in /.test(l)).length >= 4)).toBe(true);
    await pg.start();
    // ... then the database is back and the step (and the runner's own writes) go through.
    const run = await runner.wait(id);
    await runner.close();
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]).toMatchObject({ status: 'succeeded', output: { reviews: 0 } });
    const delays = lines
      .map((l) => / retry (\d+)\/7 in (\d+) ms/.exec(l))
      .filter((m) => m !== null)
      .map((m) => [Number(m[1]), Number(m[2])]);
    const stepDelays = delays.slice(0, 4).map(([, d]) => d);
    expect(stepDelays).toEqual([50, 100, 200, 200]);
    expect(attempts).toBeGreaterThanOrEqual(5);
    expect(attempts).toBeLessThanOrEqual(8);
    expect(lines.some((l) => /count: failed: .* \(a store is unreachable\); retry 1\/7 in 50 ms/.test(l))).toBe(true);
  });

  it('gives up after the configured attempts and fails the run naming why', async () => {
    const dead = await deadUrl();
    let attempts = 0;
    const step: PipelineStep = {
      name: 'call',
      description: 'calls a server that is not there',
      async run() {
        attempts++;
        await fetch(dead);
        return {};
      },
    };
    const lines: string[] = [];
    const runner = new PipelineRunner(services(), [step], {
      retry: { attempts: 3, baseMs: 20, maxMs: 1000 },
      log: (_level, m) => lines.push(m),
    });
    const run = await runner.wait((await runner.start()).id);
    await runner.close();
    expect(attempts).toBe(3);
    expect(run.status).toBe('failed');
    expect(run.steps[0]?.error).toMatch(/a store stayed unreachable through 3 attempts/);
    expect(lines.filter((l) => /retry \d\/2 in (20|40) ms/.test(l))).toHaveLength(2);
  });

  it('does not retry a step that fails for another reason', async () => {
    let attempts = 0;
    const step: PipelineStep = {
      name: 'bad',
      description: 'a query with an error in it',
      async run() {
        attempts++;
        await meta.db
          .selectFrom('no_such_table' as never)
          .selectAll()
          .execute();
        return {};
      },
    };
    const runner = new PipelineRunner(services(), [step], { retry: { attempts: 5, baseMs: 20, maxMs: 100 } });
    const run = await runner.wait((await runner.start()).id);
    await runner.close();
    expect(attempts).toBe(1);
    expect(run.status).toBe('failed');
    expect(run.steps[0]?.error).toMatch(/no_such_table/);
  });
});
