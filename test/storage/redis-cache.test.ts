import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/core/errors.js';
import { RedisCache } from '../../src/storage/index.js';
import { float32Replacer, float32Reviver, maskRedisUrl } from '../../src/storage/redis-cache.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/**
 * RedisCache against a real Redis server (127.0.0.1:6379, which `.ci/run` starts when it is not
 * running; REVIEWLENS_TEST_REDIS_URL to use another). Every key this file writes is under a prefix of
 * its own run, deleted at the end. REVIEWLENS_SKIP_REDIS=1 skips the tests that need the server.
 */
const REDIS_URL = process.env.REVIEWLENS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const skip = process.env.REVIEWLENS_SKIP_REDIS === '1';
if (skip) console.warn('REVIEWLENS_SKIP_REDIS=1: skipping the RedisCache tests that need a Redis server');
const RUN_PREFIX = `reviewlens-test:${randomBytes(6).toString('hex')}:`;
let seq = 0;
/** A key prefix no other test (or run) uses. */
const freshPrefix = () => `${RUN_PREFIX}${++seq}:`;

interface Entry {
  label: string;
  score: number;
  vectors: { text: Float32Array; image?: Float32Array };
  nested: { list: Float32Array[] };
}

const sample = (): Entry => ({
  label: 'positive',
  score: 0.93,
  vectors: {
    text: Float32Array.from([0.1, -2.5, 3e-8, Number.MAX_VALUE, -0, 1 / 3]),
    image: new Float32Array(1280).map((_, i) => Math.sin(i) * 1e3),
  },
  nested: { list: [new Float32Array(0), Float32Array.from([42])] },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port on 127.0.0.1 nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

describe('Float32Array JSON round trip', () => {
  it('tags Float32Arrays as base64 and restores them bit for bit, anywhere in the value', () => {
    const v = sample();
    const json = JSON.stringify(v, float32Replacer);
    expect(json).toContain('"$f32":"');
    const back = JSON.parse(json, float32Reviver) as Entry;
    expect(back.vectors.text).toBeInstanceOf(Float32Array);
    expect(back.vectors.image).toBeInstanceOf(Float32Array);
    expect(back.nested.list[0]).toBeInstanceOf(Float32Array);
    expect(back.nested.list[0]).toHaveLength(0);
    expect(Array.from(back.vectors.text)).toEqual(Array.from(v.vectors.text));
    expect(Object.is(back.vectors.text[4], -0)).toBe(true);
    expect(Buffer.from(back.vectors.image!.buffer).equals(Buffer.from(v.vectors.image!.buffer))).toBe(true);
    expect(back.label).toBe('positive');
    expect(back.score).toBe(0.93);
  });

  it('keeps the bytes of a Float32Array view into a larger buffer only', () => {
    const big = new Float32Array([1, 2, 3, 4, 5]);
    const view = big.subarray(1, 3);
    const back = JSON.parse(JSON.stringify({ view }, float32Replacer), float32Reviver) as { view: Float32Array };
    expect(Array.from(back.view)).toEqual([2, 3]);
  });
});

describe('maskRedisUrl', () => {
  it('hides the password and nothing else', () => {
    expect(maskRedisUrl('redis://:s3cret@cache.internal:6380/2')).toBe('redis://:***@cache.internal:6380/2');
    expect(maskRedisUrl('redis://app:s3cret@cache.internal:6380')).toBe('redis://app:***@cache.internal:6380');
    expect(maskRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});

describe('RedisCache.connect to nothing', () => {
  it('fails quickly with an UnavailableError naming the URL, password masked', async () => {
    const port = await closedPort();
    const url = `redis://:hunter2@127.0.0.1:${port}/0`;
    const t0 = performance.now();
    const err = await RedisCache.connect({ url, ttlSeconds: 60, connectTimeoutMs: 1000 }).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(err).toBeInstanceOf(UnavailableError);
    const message = (err as Error).message;
    expect(message).toContain(`127.0.0.1:${port}`);
    expect(message).toContain('***');
    expect(message).not.toContain('hunter2');
  });

  it('fails within connectTimeoutMs when the server accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => {
      sockets.push(s);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as { port: number };
    try {
      const t0 = performance.now();
      const err = await RedisCache.connect({
        url: `redis://127.0.0.1:${port}`,
        ttlSeconds: 60,
        connectTimeoutMs: 400,
      }).catch((e: unknown) => e);
      expect(performance.now() - t0).toBeLessThan(1500);
      expect(err).toBeInstanceOf(UnavailableError);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe.skipIf(skip)('RedisCache against a real Redis server', () => {
  const open: RedisCache<Entry>[] = [];
  const connect = async (opts: { keyPrefix: string; ttlSeconds?: number; url?: string; commandTimeoutMs?: number }) => {
    const c = await RedisCache.connect<Entry>({
      url: opts.url ?? REDIS_URL,
      ttlSeconds: opts.ttlSeconds ?? 60,
      keyPrefix: opts.keyPrefix,
      connectTimeoutMs: 2000,
      ...(opts.commandTimeoutMs ? { commandTimeoutMs: opts.commandTimeoutMs } : {}),
    });
    open.push(c);
    return c;
  };
  let admin: Redis;

  beforeAll(async () => {
    admin = new Redis(REDIS_URL, { lazyConnect: true });
    await admin.connect();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    // Nothing this run wrote is left behind.
    const keys = await admin.keys(`${RUN_PREFIX}*`);
    if (keys.length > 0) await admin.del(...keys);
    expect(await admin.keys(`${RUN_PREFIX}*`)).toEqual([]);
    await admin.quit();
  });

  it('stores and returns an object holding Float32Arrays, which come back as Float32Arrays', async () => {
    const prefix = freshPrefix();
    const cache = await connect({ keyPrefix: prefix });
    expect(cache.backend).toBe('redis');
    expect(cache.connected()).toBe(true);
    expect(await cache.get('a')).toBeUndefined();
    const v = sample();
    await cache.set('a', v);
    expect(await admin.exists(`${prefix}a`)).toBe(1);
    const ttl = await admin.ttl(`${prefix}a`);
    expect(ttl).toBeGreaterThan(55);
    expect(ttl).toBeLessThanOrEqual(60);
    const back = await cache.get('a');
    expect(back).toBeDefined();
    expect(back!.vectors.text).toBeInstanceOf(Float32Array);
    expect(back!.vectors.image).toBeInstanceOf(Float32Array);
    expect(Array.from(back!.vectors.text)).toEqual(Array.from(v.vectors.text));
    expect(Array.from(back!.vectors.image!)).toEqual(Array.from(v.vectors.image!));
    expect(back!.nested.list[1]).toEqual(Float32Array.from([42]));
    expect({ label: back!.label, score: back!.score }).toEqual({ label: 'positive', score: 0.93 });
    await cache.delete('a');
    expect(await cache.get('a')).toBeUndefined();
    expect(cache.errors).toBe(0);
  });

  it('lets entries expire after their time-to-live', async () => {
    const cache = await connect({ keyPrefix: freshPrefix(), ttlSeconds: 1 });
    await cache.set('short', sample());
    expect(await cache.get('short')).toBeDefined();
    await sleep(1300);
    expect(await cache.get('short')).toBeUndefined();
  });

  it('is shared by two instances (two servers) with the same prefix', async () => {
    const prefix = freshPrefix();
    const one = await connect({ keyPrefix: prefix });
    const two = await connect({ keyPrefix: prefix });
    await one.set('shared', sample());
    const seen = await two.get('shared');
    expect(seen?.label).toBe('positive');
    expect(seen?.vectors.text).toBeInstanceOf(Float32Array);
    await two.delete('shared');
    expect(await one.get('shared')).toBeUndefined();
  });

  it('clear() deletes its own prefix and leaves other keys alone', async () => {
    const prefix = freshPrefix();
    const mine = await connect({ keyPrefix: prefix });
    const other = await connect({ keyPrefix: freshPrefix() });
    // A prefix that merely starts like ours, with a glob character in it, must survive too.
    const lookalike = await connect({ keyPrefix: `${prefix.slice(0, -1)}*x:` });
    for (let i = 0; i < 1200; i++) await mine.set(`k${i}`, { ...sample(), score: i });
    await other.set('keep', sample());
    await lookalike.set('keep', sample());
    await mine.clear();
    expect(await admin.keys(`${prefix}*`)).toEqual([]);
    expect(await mine.get('k7')).toBeUndefined();
    expect((await other.get('keep'))?.label).toBe('positive');
    expect((await lookalike.get('keep'))?.label).toBe('positive');
  });

  it('answers a miss quickly and counts an error when the server stops answering, then goes on', async () => {
    const u = new URL(REDIS_URL);
    const proxy = new TcpProxy({ host: u.hostname, port: Number(u.port || 6379) });
    await proxy.start();
    try {
      const cache = await connect({ keyPrefix: freshPrefix(), url: proxy.url(REDIS_URL), commandTimeoutMs: 300 });
      await cache.set('x', sample());
      expect((await cache.get('x'))?.label).toBe('positive');
      expect(cache.errors).toBe(0);

      // Hung server: connection open, no replies.
      proxy.silence();
      let t0 = performance.now();
      expect(await cache.get('x')).toBeUndefined();
      expect(performance.now() - t0).toBeLessThan(1000);
      await expect(cache.set('y', sample())).resolves.toBeUndefined();
      await expect(cache.delete('x')).resolves.toBeUndefined();
      expect(cache.errors).toBe(3);

      // Server gone: connection closed, refused on reconnect.
      await proxy.kill();
      await sleep(50);
      expect(cache.connected()).toBe(false);
      t0 = performance.now();
      expect(await cache.get('x')).toBeUndefined();
      expect(performance.now() - t0).toBeLessThan(200);
      await expect(cache.set('y', sample())).resolves.toBeUndefined();
      expect(cache.errors).toBe(5);

      // Back again: the client reconnects on its own.
      await proxy.start();
      for (let i = 0; i < 50 && !cache.connected(); i++) await sleep(100);
      expect(cache.connected()).toBe(true);
      expect((await cache.get('x'))?.label).toBe('positive');
    } finally {
      await proxy.kill();
    }
  });
});
