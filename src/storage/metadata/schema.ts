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

export interface Database {
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
  training_runs: TrainingRunsTable;
  model_alias_history: ModelAliasHistoryTable;
}
