import { LRUCache } from 'lru-cache';

/** A cache's state for readiness reports: which backend serves, and whether a fallback stands in for it. */
export interface CacheHealth {
  /** False when the cache cannot serve at all. */
  ok: boolean;
  /** The configured backend (`redis`, `memory`). */
  backend: string;
  /** `primary`: the configured backend serves; `fallback`: the in-process cache stands in for it. */
  mode: 'primary' | 'fallback';
  /** The backend standing in (`memory`), in `fallback` mode. */
  fallback?: string;
  /** Since when the fallback serves (ISO 8601). */
  since?: string;
  /** Why the fallback serves. */
  error?: string;
}

/** Port: a key-value cache of JSON-serialisable values. */
export interface Cache<V extends object> {
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V): Promise<void>;
  delete(key: string): Promise<void>;
  clear(): Promise<void>;
  /** Whether the cache backend is reachable (always true in-process). */
  connected(): boolean;
  /** Which backend serves now (adapters with a fallback); without it, `connected()` says all. */
  health?(): CacheHealth;
  readonly backend: string;
}

/** Embedded adapter: an in-process LRU with a time-to-live. `maxEntries` 0 disables caching. */
export class LruCache<V extends object> implements Cache<V> {
  readonly backend = 'memory';
  private readonly lru: LRUCache<string, V> | null;

  constructor(opts: { maxEntries: number; ttlSeconds: number }) {
    this.lru =
      opts.maxEntries > 0
        ? new LRUCache<string, V>({
            max: opts.maxEntries,
            ...(opts.ttlSeconds > 0 ? { ttl: opts.ttlSeconds * 1000 } : {}),
          })
        : null;
  }

  async get(key: string): Promise<V | undefined> {
    return this.lru?.get(key);
  }
  async set(key: string, value: V): Promise<void> {
    this.lru?.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.lru?.delete(key);
  }
  async clear(): Promise<void> {
    this.lru?.clear();
  }
  connected(): boolean {
    return true;
  }
  get size(): number {
    return this.lru?.size ?? 0;
  }
}
