import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotFoundError, sha256, ValidationError } from '../../src/core/index.js';
import { LocalBlobStore, LruCache } from '../../src/storage/index.js';
import { tempDir } from '../helpers/paths.js';

describe('LocalBlobStore', () => {
  it('stores content by its sha256 and keeps one copy of equal content', async () => {
    const dir = tempDir();
    const store = new LocalBlobStore(dir);
    const bytes = Buffer.from('a review photo, pretend');
    const id = await store.put(bytes);
    expect(id).toBe(sha256(bytes));
    expect(await store.put(Buffer.from(bytes))).toBe(id);
    expect((await store.get(id)).equals(bytes)).toBe(true);
    expect(await store.has(id)).toBe(true);
    expect(readdirSync(join(dir, id.slice(0, 2)))).toEqual([id]);
    await store.delete(id);
    expect(await store.has(id)).toBe(false);
  });

  it('says which blob is missing and refuses ids that are not sha256', async () => {
    const store = new LocalBlobStore(tempDir());
    await expect(store.get('0'.repeat(64))).rejects.toThrow(NotFoundError);
    await expect(store.get('../../etc/passwd')).rejects.toThrow(ValidationError);
  });
});

describe('LruCache', () => {
  it('evicts the least recently used entry', async () => {
    const cache = new LruCache<{ v: number }>({ maxEntries: 2, ttlSeconds: 0 });
    await cache.set('a', { v: 1 });
    await cache.set('b', { v: 2 });
    await cache.get('a');
    await cache.set('c', { v: 3 });
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toEqual({ v: 1 });
    expect(cache.connected()).toBe(true);
  });

  it('caches nothing when maxEntries is 0', async () => {
    const cache = new LruCache<{ v: number }>({ maxEntries: 0, ttlSeconds: 0 });
    await cache.set('a', { v: 1 });
    expect(await cache.get('a')).toBeUndefined();
  });
});
