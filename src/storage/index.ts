export { type BlobStore, LocalBlobStore } from './blobs.js';
export { type Cache, type CacheHealth, LruCache } from './cache.js';
export { type FailureReporting, FallbackCache, type FallbackCacheOptions } from './fallback-cache.js';
export * from './metadata/index.js';
export { RedisCache, type RedisCacheOptions } from './redis-cache.js';
export { openBlobStore, S3BlobStore, type S3BlobStoreOptions } from './s3-blobs.js';
