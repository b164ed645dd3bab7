import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FallbackCache, LruCache, RedisCache } from '../../src/storage/index.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/**
 * The Redis cache with the in-process one standing in, against a real Redis server (127.0.0.1:6379) behind
 * a TCP proxy this file hangs, stops and restarts. Keys live under a prefix of this run, deleted at the end.
 */
const REDIS_URL = process.env.REVIEWLENS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const skip = process.env.REVIEWLENS_SKIP_REDIS === '1';
const PREFIX = `reviewlens-test-fallback:${randomBytes(6).toString('hex')}:`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip)('FallbackCache over a real Redis server', () => {
  const u = new URL(REDIS_URL);
  let admin: Redis;
  beforeAll(async () => {
    admin = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await admin.keys(`${PREFIX}*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
  });

  it('serves from memory while Redis hangs or is gone, and from Redis again once it is back', async () => {
    const proxy = new TcpProxy({ host: u.hostname, port: Number(u.port || 6379) });
    await proxy.start();
    const changes: string[] = [];
    const redis = await RedisCache.connect<{ v: number }>({
      url: proxy.url(REDIS_URL),
      ttlSeconds: 60,
      keyPrefix: `${PREFIX}1:`,
      commandTimeoutMs: 200,
    });
    const cache = new FallbackCache(redis, new LruCache<{ v: number }>({ maxEntries: 100, ttlSeconds: 60 }), {
      retryAfterMs: 300,
      onChange: (mode, reason) => changes.push(`${mode}: ${reason}`),
    });
    try {
      await cache.set('a', { v: 1 });
      expect(await admin.get(`${PREFIX}1:a`)).toBe('{"v":1}');
      expect(cache.health()).toEqual({ ok: true, backend: 'redis', mode: 'primary' });

      // Hung: the write times out, lands in memory, and is read back from there.
      proxy.silence();
      await cache.set('b', { v: 2 });
      expect(await cache.get('b')).toEqual({ v: 2 });
      expect(cache.health()).toMatchObject({ ok: true, mode: 'fallback', fallback: 'memory' });
      expect(cache.health().error).toMatch(/failed: Command timed out/);

      // Gone, then back: the client reconnects by itself and Redis serves again.
      await proxy.kill();
      await cache.set('c', { v: 3 });
      expect(await cache.get('c')).toEqual({ v: 3 });
      expect(await admin.exists(`${PREFIX}1:c`)).toBe(0);
      await proxy.start();
      for (let i = 0; i < 50 && cache.health().mode !== 'primary'; i++) await sleep(100);
      expect(cache.health().mode).toBe('primary');
      expect(await cache.get('a')).toEqual({ v: 1 });
      await cache.set('d', { v: 4 });
      expect(await admin.get(`${PREFIX}1:d`)).toBe('{"v":4}');
      expect(changes[0]).toMatch(/^fallback: the redis cache failed: Command timed out/);
      expect(changes.at(-1)).toMatch(/^primary: /);
    } finally {
      await cache.close();
      await proxy.kill();
    }
  });

  it('starts on memory when Redis is not there at all, and moves to Redis when it appears', async () => {
    const proxy = new TcpProxy({ host: u.hostname, port: Number(u.port || 6379) });
    await proxy.start();
    await proxy.kill(); // a port we know, with nothing behind it yet
    const redis = RedisCache.connectInBackground<{ v: number }>({
      url: proxy.url(REDIS_URL),
      ttlSeconds: 60,
      keyPrefix: `${PREFIX}2:`,
      connectTimeoutMs: 500,
    });
    const cache = new FallbackCache(redis, new LruCache<{ v: number }>({ maxEntries: 100, ttlSeconds: 60 }), {
      retryAfterMs: 300,
    });
    try {
      expect(cache.health()).toMatchObject({ mode: 'fallback', fallback: 'memory' });
      await cache.set('x', { v: 1 });
      expect(await cache.get('x')).toEqual({ v: 1 });
      await proxy.start();
      for (let i = 0; i < 50 && cache.health().mode !== 'primary'; i++) await sleep(100);
      expect(cache.health().mode).toBe('primary');
      await cache.set('y', { v: 2 });
      expect(await admin.get(`${PREFIX}2:y`)).toBe('{"v":2}');
    } finally {
      await cache.close();
      await proxy.kill();
    }
  });
});
