export { type BlobStore, LocalBlobStore } from './blobs.js';
export { type Cache, LruCache } from './cache.js';
export * from './metadata/index.js';
export { RedisCache, type RedisCacheOptions } from './redis-cache.js';
