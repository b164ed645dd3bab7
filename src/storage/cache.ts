import { LRUCache } from 'lru-cache';

/** Port: a key-value cache of JSON-serialisable values. */
export interface Cache<V extends object> {
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V): Promise<void>;
  delete(key: string): Promise<void>;
  clear(): Promise<void>;
  /** Whether the cache backend is reachable (always true in-process). */
  connected(): boolean;
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
