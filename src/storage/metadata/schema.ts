import type { ColumnType, Generated } from 'kysely';

/** Table types of the metadata database (PGlite embedded, PostgreSQL scale-out: one schema). */
export interface ModelVersionsTable {
  id: Generated<number>;
  name: string;
  version: string;
  artifact_blob: string;
  metrics: ColumnType<Record<string, unknown>, string, string>;
  params: ColumnType<Record<string, unknown>, string, string>;
  data_hash: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface ModelAliasesTable {
  alias: string;
  model_name: string;
  version: string;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface TrainingRunsTable {
  id: Generated<number>;
  kind: string;
  status: string;
  params: ColumnType<Record<string, unknown>, string, string>;
  data_hash: string | null;
  metrics: ColumnType<Record<string, unknown>, string | undefined, string>;
  gate: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  artifact_blob: string | null;
  model_name: string | null;
  model_version: string | null;
  error: string | null;
  started_at: ColumnType<Date, Date | undefined, never>;
  finished_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface ModelAliasHistoryTable {
  id: Generated<number>;
  alias: string;
  model_name: string;
  version: string;
  action: string;
  reason: string | null;
  changed_at: ColumnType<Date, Date | undefined, never>;
}

/** API keys: only the sha256 of each key is stored; `prefix` is the public part shown in lists. */
export interface ApiKeysTable {
  id: Generated<number>;
  name: string;
  prefix: string;
  key_hash: string;
  /** Scope names (`analyze`, `search`, `label`, `admin`); written as a JSON string. */
  scopes: ColumnType<string[], string, string>;
  created_at: ColumnType<Date, Date | undefined, never>;
  last_used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  revoked_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface Database {
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
  training_runs: TrainingRunsTable;
  model_alias_history: ModelAliasHistoryTable;
  api_keys: ApiKeysTable;
}
