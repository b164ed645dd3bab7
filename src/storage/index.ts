export { type BlobStore, LocalBlobStore } from './blobs.js';
export { type Cache, LruCache } from './cache.js';
export * from './metadata/index.js';
