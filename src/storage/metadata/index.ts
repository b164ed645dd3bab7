export { closeAbandonedRuns, type RunProcess, thisProcess } from './abandoned-runs.js';
export { MIGRATION_NAMES, migrateToLatest } from './migrations.js';
export { DirectoryLockedError, type OwnerRecord } from './owner.js';
export { type NewReview, type ReviewQuery, ReviewStore, type StoredReview } from './reviews.js';
export type { Database, PipelineRunsTable, PipelineStepsTable } from './schema.js';
export {
  type AliasChange,
  type MetadataBackend,
  MetadataStore,
  type ModelVersionRow,
  type StoreStatus,
  type TrainingRunRow,
} from './store.js';
