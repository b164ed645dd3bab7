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

export interface Database {
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
}
