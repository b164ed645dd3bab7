export { MIGRATION_NAMES, migrateToLatest } from './migrations.js';
export type { Database } from './schema.js';
export { type MetadataBackend, MetadataStore, type ModelVersionRow, type StoreStatus } from './store.js';
