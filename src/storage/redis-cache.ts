import { Redis } from 'ioredis';
import { UnavailableError } from '../core/errors.js';
import type { Cache } from './cache.js';

/** Options of {@link RedisCache.connect}. */
export interface RedisCacheOptions {
  /** `redis://[:password@]host:port[/db]` (or `rediss://` for TLS). */
  url: string;
  /** Time to live of every entry, in seconds; 0 or less keeps entries until evicted by Redis. */
  ttlSeconds: number;
  /** Prepended to every key; `clear()` deletes only keys under it. Default `reviewlens:`. */
  keyPrefix?: string;
  /** How long `connect` waits for the server to answer before failing. Default 3000 ms. */
  connectTimeoutMs?: number;
  /**
   * How long one command may wait for its reply before it counts as failed (a miss for `get`).
   * Default 500 ms: a cache that is slower than that is not worth waiting for.
   */
  commandTimeoutMs?: number;
}

/** Tag under which a Float32Array travels through JSON: `{ "$f32": "<base64 of its little-endian bytes>" }`. */
export const F32_TAG = '$f32';

/**
 * JSON.stringify replacer that turns every Float32Array into `{ "$f32": base64 }` (raw bytes, so
 * the values come back bit-for-bit). Plain objects whose only key is `$f32` are therefore reserved.
 */
export function float32Replacer(_key: string, value: unknown): unknown {
  if (value instanceof Float32Array) {
    return { [F32_TAG]: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  }
  return value;
}

/** JSON.parse reviver undoing {@link float32Replacer}: `{ "$f32": base64 }` becomes a Float32Array again. */
export function float32Reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const tagged = (value as Record<string, unknown>)[F32_TAG];
    if (typeof tagged === 'string' && Object.keys(value).length === 1) {
      const bytes = Buffer.from(tagged, 'base64');
      if (bytes.byteLength % 4 !== 0) throw new Error(`${F32_TAG} payload of ${bytes.byteLength} bytes is not float32`);
      // Copy into a fresh, 4-byte-aligned buffer (a Buffer may sit at any offset of a shared pool).
      const out = new Float32Array(bytes.byteLength / 4);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    }
  }
  return value;
}

/** The URL with its password (and a user name's password part) replaced by `***`, for messages and logs. */
export function maskRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    // Not a URL the WHATWG parser accepts: mask anything between `:` and `@` in the authority.
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
  }
}

/**
 * Shared adapter of the {@link Cache} port: entries live in Redis under `keyPrefix`, serialised as
 * JSON (Float32Arrays tagged and kept binary-exact), each with a time-to-live, so every server
 * behind a load balancer shares one cache.
 *
 * A cache must never take a request down: once connected, a Redis that goes away or stops answering
 * turns `get` into a miss within `commandTimeoutMs` (the client keeps no offline queue and retries
 * no request) and makes `set`/`delete` no-ops; each such failure is counted in {@link errors}.
 * The client reconnects in the background on its own.
 */
export class RedisCache<V extends object> implements Cache<V> {
  readonly backend = 'redis';
  /** Cache operations that failed (unreachable or silent Redis, undecodable entry); each `get` one was a miss. */
  errors = 0;
  /** The last failure's message, for logs and health reports. */
  lastError: string | undefined;
  /** When the last failure happened (ms since the epoch; 0: never), for a fallback to know Redis is failing. */
  lastErrorAt = 0;

  private constructor(
    private readonly client: Redis,
    private readonly ttlSeconds: number,
    /** The key prefix every entry is stored under. */
    readonly keyPrefix: string,
    /** The server's URL, password masked, for messages. */
    readonly url: string,
  ) {
    // ioredis reports connection trouble as 'error' events; without a listener it prints them.
    client.on('error', (e: Error) => {
      this.lastError = e.message || (e as NodeJS.ErrnoException).code || 'connection error';
      this.lastErrorAt = Date.now();
    });
  }

  private static client(opts: RedisCacheOptions, lazyConnect: boolean): Redis {
    return new Redis(opts.url, {
      lazyConnect,
      connectTimeout: opts.connectTimeoutMs ?? 3000,
      commandTimeout: opts.commandTimeoutMs ?? 500,
      // Commands fail at once while disconnected, and are not replayed after a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Reconnect in the background after a run-time loss, backing off up to 2 s.
      retryStrategy: (times) => Math.min(times * 100, 2000),
    });
  }

  /**
   * A cache whose client connects in the background and keeps reconnecting (every 2 s at most) for as
   * long as Redis is not there: it never fails. Until Redis answers, `connected()` is false and every
   * operation fails softly as described on the class; a {@link FallbackCache} in front serves meanwhile.
   */
  static connectInBackground<V extends object>(opts: RedisCacheOptions): RedisCache<V> {
    return new RedisCache<V>(
      RedisCache.client(opts, false),
      opts.ttlSeconds,
      opts.keyPrefix ?? 'reviewlens:',
      maskRedisUrl(opts.url),
    );
  }

  /**
   * Connects to `url` and checks the server answers. Fails with an {@link UnavailableError} naming
   * the URL (password masked) when Redis cannot be reached within `connectTimeoutMs`.
   */
  static async connect<V extends object>(opts: RedisCacheOptions): Promise<RedisCache<V>> {
    const connectTimeoutMs = opts.connectTimeoutMs ?? 3000;
    const client = RedisCache.client(opts, true);
    const cache = new RedisCache<V>(client, opts.ttlSeconds, opts.keyPrefix ?? 'reviewlens:', maskRedisUrl(opts.url));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connect().then(() => client.ping()),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${connectTimeoutMs} ms`)), connectTimeoutMs);
        }),
      ]);
    } catch (e) {
      client.disconnect();
      throw new UnavailableError(
        `Redis cache at ${maskRedisUrl(opts.url)} is not reachable: ${(e as Error).message || cache.lastError || 'connection failed'}`,
        e,
      );
    } finally {
      clearTimeout(timer);
    }
    return cache;
  }

  private key(key: string): string {
    return this.keyPrefix + key;
  }

  /** Counts a failure; `outage` false for one that says nothing about Redis itself (an undecodable entry). */
  private fail(e: unknown, outage = true): void {
    this.errors++;
    this.lastError = (e as Error).message;
    if (outage) this.lastErrorAt = Date.now();
  }

  /** The cached value, or undefined on a miss, an expired entry, or any Redis failure. */
  async get(key: string): Promise<V | undefined> {
    let raw: string | null;
    try {
      raw = await this.client.get(this.key(key));
    } catch (e) {
      this.fail(e);
      return undefined;
    }
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw, float32Reviver) as V;
    } catch (e) {
      this.fail(e, false);
      return undefined;
    }
  }

  /** Stores `value` with the cache's time-to-live; a Redis failure is counted, not thrown. */
  async set(key: string, value: V): Promise<void> {
    try {
      const json = JSON.stringify(value, float32Replacer);
      if (this.ttlSeconds > 0) await this.client.set(this.key(key), json, 'EX', Math.ceil(this.ttlSeconds));
      else await this.client.set(this.key(key), json);
    } catch (e) {
      this.fail(e);
    }
  }

  /** Removes one entry; a Redis failure is counted, not thrown. */
  async delete(key: string): Promise<void> {
    try {
      await this.client.del(this.key(key));
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * Deletes every key under this cache's prefix (found with SCAN, so Redis is never blocked and
   * other keys in the database are left alone). Unlike the per-entry operations it throws an
   * {@link UnavailableError} when Redis fails: whoever clears a cache needs to know it did not happen.
   */
  async clear(): Promise<void> {
    const pattern = `${this.keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    try {
      do {
        const [next, keys] = await this.client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await this.client.unlink(...keys);
      } while (cursor !== '0');
    } catch (e) {
      this.fail(e);
      throw new UnavailableError(`clearing the Redis cache failed: ${(e as Error).message}`, e);
    }
  }

  /** Whether the client is connected and ready for commands now. */
  connected(): boolean {
    return this.client.status === 'ready';
  }

  /** Closes the connection (pending commands are answered first when Redis is there). */
  async close(): Promise<void> {
    if (this.client.status === 'end') return;
    try {
      if (this.client.status === 'ready') await this.client.quit();
      else this.client.disconnect();
    } catch {
      this.client.disconnect();
    }
  }
}
