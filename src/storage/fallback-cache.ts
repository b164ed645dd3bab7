import type { Cache, CacheHealth } from './cache.js';

/** What {@link FallbackCache} needs of its primary: a cache that reports its failures (RedisCache does). */
export interface FailureReporting {
  /** Operations that failed so far (a `get` that failed answered a miss). */
  readonly errors: number;
  /** The last failure's message. */
  readonly lastError: string | undefined;
  /** When the last failure that says the server is unreachable happened (ms since the epoch; 0: never). */
  readonly lastErrorAt: number;
  /** The server, password masked, for messages. */
  readonly url?: string;
}

/** Options of {@link FallbackCache}. */
export interface FallbackCacheOptions {
  /**
   * After a failure of the primary, every operation goes to the fallback for this long before the primary
   * is tried again (one operation probes it; a new failure starts another wait). Default 2000 ms.
   */
  retryAfterMs?: number;
  /** Told when the cache switches to its fallback (with the reason) and back to the primary. */
  onChange?: (mode: 'primary' | 'fallback', reason: string) => void;
  /** The clock, in ms (tests). */
  now?: () => number;
}

/**
 * A shared cache (Redis) with an in-process one (LRU) behind it: while the primary is not connected or
 * has just failed, reads and writes go to the fallback, so the cache keeps working for this server
 * (without sharing) instead of turning every lookup into a miss; once the primary answers again it is
 * used again, without a restart. Entries written meanwhile stay in the fallback only (analysis keys name
 * the model version, so they never go stale). `health()` says which one serves, for `/api/ready`.
 *
 * Written here because no maintained npm package composes two cache adapters this way; the Redis client
 * (ioredis) does the reconnecting.
 */
export class FallbackCache<V extends object> implements Cache<V> {
  readonly backend: string;
  private mode: 'primary' | 'fallback' = 'primary';
  private since = 0;
  private reason = '';
  private readonly retryAfterMs: number;
  private readonly now: () => number;

  constructor(
    private readonly primary: Cache<V> & FailureReporting,
    private readonly fallback: Cache<V>,
    private readonly opts: FallbackCacheOptions = {},
  ) {
    this.backend = primary.backend;
    this.retryAfterMs = opts.retryAfterMs ?? 2000;
    this.now = opts.now ?? Date.now;
    if (!primary.connected()) {
      // Starting without the primary (the caller has said so): no change to report yet.
      this.mode = 'fallback';
      this.since = this.now();
      this.reason = `the ${primary.backend} cache${primary.url ? ` at ${primary.url}` : ''} is not connected`;
    }
  }

  /** Cache operations that failed on the primary (each was served by the fallback instead). */
  get errors(): number {
    return this.primary.errors;
  }

  /** Whether the primary should be used now; switches mode (and reports it) when that changes. */
  private primaryServes(): boolean {
    const down = !this.primary.connected();
    const failing = this.primary.lastErrorAt > 0 && this.now() - this.primary.lastErrorAt < this.retryAfterMs;
    if (down || failing) {
      this.switchTo(
        'fallback',
        down
          ? `the ${this.primary.backend} cache${this.primary.url ? ` at ${this.primary.url}` : ''} is not connected${this.primary.lastError ? ` (${this.primary.lastError})` : ''}`
          : `the ${this.primary.backend} cache failed: ${this.primary.lastError ?? 'unknown error'}`,
      );
      return false;
    }
    return true;
  }

  private switchTo(mode: 'primary' | 'fallback', reason: string): void {
    if (mode === 'fallback') this.reason = reason;
    if (this.mode === mode) return;
    this.mode = mode;
    this.since = this.now();
    this.opts.onChange?.(mode, reason);
  }

  /** Runs `op` on the primary; when it failed (the primary counted an error), runs `alt` on the fallback. */
  private async viaPrimary<T>(op: (c: Cache<V>) => Promise<T>, failed: (r: T) => boolean): Promise<T> {
    const before = this.primary.errors;
    const r = await op(this.primary);
    if (this.primary.errors === before || !failed(r)) {
      this.switchTo('primary', `the ${this.primary.backend} cache answers again`);
      return r;
    }
    this.primaryServes(); // records the switch to the fallback, with the primary's error
    return op(this.fallback);
  }

  async get(key: string): Promise<V | undefined> {
    if (!this.primaryServes()) return this.fallback.get(key);
    return this.viaPrimary(
      (c) => c.get(key),
      (r) => r === undefined,
    );
  }

  async set(key: string, value: V): Promise<void> {
    if (!this.primaryServes()) return this.fallback.set(key, value);
    await this.viaPrimary(
      (c) => c.set(key, value),
      () => true,
    );
  }

  async delete(key: string): Promise<void> {
    await this.fallback.delete(key);
    if (this.primaryServes()) await this.primary.delete(key);
  }

  /** Clears both; throws (as the primary does) when the primary could not be cleared. */
  async clear(): Promise<void> {
    await this.fallback.clear();
    await this.primary.clear();
  }

  /** Always true: the fallback serves while the primary is away (see `health()`). */
  connected(): boolean {
    return true;
  }

  /** Which cache serves: the primary, or the fallback since when and why. */
  health(): CacheHealth {
    const primary = this.primaryServes();
    if (primary) this.switchTo('primary', `the ${this.primary.backend} cache answers again`);
    return primary
      ? { ok: true, backend: this.primary.backend, mode: 'primary' }
      : {
          ok: true,
          backend: this.primary.backend,
          mode: 'fallback',
          fallback: this.fallback.backend,
          since: new Date(this.since).toISOString(),
          error: this.reason,
        };
  }

  async close(): Promise<void> {
    await (this.primary as { close?: () => Promise<void> }).close?.();
  }
}
