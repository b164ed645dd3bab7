import { type CreateTableBuilder, type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';

/**
 * Versioned migrations, applied in name order at start. Never edit one that has shipped: add the next.
 * They are plain PostgreSQL, so the embedded PGlite database and a PostgreSQL server share them.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('model_versions')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('artifact_blob', 'text', (c) => c.notNull())
        .addColumn('metrics', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('params', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('data_hash', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint('model_versions_name_version', ['name', 'version'])
        .execute();
      await db.schema
        .createTable('model_aliases')
        .addColumn('alias', 'text', (c) => c.primaryKey())
        .addColumn('model_name', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('model_aliases').execute();
      await db.schema.dropTable('model_versions').execute();
    },
  },
  '0002_runs_and_alias_history': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('training_runs')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('params', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('data_hash', 'text')
        .addColumn('metrics', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('gate', 'jsonb')
        .addColumn('artifact_blob', 'text')
        .addColumn('model_name', 'text')
        .addColumn('model_version', 'text')
        .addColumn('error', 'text')
        .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('finished_at', 'timestamptz')
        .execute();
      await db.schema
        .createTable('model_alias_history')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('alias', 'text', (c) => c.notNull())
        .addColumn('model_name', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createIndex('model_alias_history_alias')
        .on('model_alias_history')
        .columns(['alias', 'id'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('model_alias_history').execute();
      await db.schema.dropTable('training_runs').execute();
    },
  },
  '0003_api_keys': {
    async up(db: Kysely<unknown>) {
      // Only the sha256 of a key is kept; `prefix` is its public part, shown in lists and used to look it up.
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull().unique())
        .addColumn('key_hash', 'text', (c) => c.notNull())
        .addColumn('scopes', 'jsonb', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('last_used_at', 'timestamptz')
        .addColumn('revoked_at', 'timestamptz')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('api_keys').execute();
    },
  },
  '0004_reviews': {
    async up(db: Kysely<unknown>) {
      // The system of record for reviews: ingested, imported or synthesized. The id is the content hash
      // (core/ids reviewContentId), so the same review from two sources or two runs is one row.
      await db.schema
        .createTable('reviews')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('title', 'text')
        .addColumn('author', 'text')
        .addColumn('rating', 'real')
        .addColumn('review_date', 'text')
        .addColumn('product', 'text')
        .addColumn('url', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('photo_blobs', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('label', 'text')
        .addColumn('label_source', 'text')
        .addColumn('provenance', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('reviews_source').on('reviews').columns(['source', 'created_at']).execute();
      await db.schema.createIndex('reviews_label').on('reviews').columns(['label']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('reviews').execute();
    },
  },
  '0005_pipeline': {
    async up(db: Kysely<unknown>) {
      // Pipeline runs, their steps (state kept here so a run can resume) and their logs.
      await db.schema
        .createTable('pipeline_runs')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('flow', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('params', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('requested_by', 'text')
        .addColumn('error', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('started_at', 'timestamptz')
        .addColumn('finished_at', 'timestamptz')
        .execute();
      await db.schema
        .createTable('pipeline_steps')
        .addColumn('run_id', 'integer', (c) => c.notNull().references('pipeline_runs.id').onDelete('cascade'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('progress', 'real', (c) => c.notNull().defaultTo(0))
        .addColumn('message', 'text')
        .addColumn('output', 'jsonb')
        .addColumn('error', 'text')
        .addColumn('started_at', 'timestamptz')
        .addColumn('finished_at', 'timestamptz')
        .addPrimaryKeyConstraint('pipeline_steps_pk', ['run_id', 'position'])
        .execute();
      await db.schema
        .createTable('pipeline_logs')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('run_id', 'integer', (c) => c.notNull().references('pipeline_runs.id').onDelete('cascade'))
        .addColumn('step', 'text')
        .addColumn('level', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('pipeline_logs_run').on('pipeline_logs').columns(['run_id', 'id']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('pipeline_logs').execute();
      await db.schema.dropTable('pipeline_steps').execute();
      await db.schema.dropTable('pipeline_runs').execute();
    },
  },
  '0006_ingest': {
    async up(db: Kysely<unknown>) {
      // The ingestion agent's strategy memory: per source URL and per domain statistics (the bandit's
      // arms), selectors discovered per domain, the LLM's proposals with its reasons, and crawl runs.
      const stats = (t: CreateTableBuilder<string, string>): CreateTableBuilder<string, string> =>
        t
          .addColumn('crawls', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('reward_sum', 'real', (c) => c.notNull().defaultTo(0))
          .addColumn('pages_fetched', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('reviews_found', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('new_reviews', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('duplicate_reviews', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('errors', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('last_success_at', 'timestamptz')
          .addColumn('last_crawl_at', 'timestamptz')
          .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`));
      await stats(
        db.schema
          .createTable('ingest_sources')
          .addColumn('url', 'text', (c) => c.primaryKey())
          .addColumn('domain', 'text', (c) => c.notNull())
          .addColumn('added_by', 'text', (c) => c.notNull().defaultTo('user'))
          .addColumn('crawler', 'text', (c) => c.notNull().defaultTo('auto')),
      ).execute();
      await db.schema.createIndex('ingest_sources_domain').on('ingest_sources').column('domain').execute();
      await stats(
        db.schema
          .createTable('ingest_domains')
          .addColumn('domain', 'text', (c) => c.primaryKey())
          .addColumn('needs_browser', 'boolean', (c) => c.notNull().defaultTo(false)),
      ).execute();
      await db.schema
        .createTable('ingest_selectors')
        .addColumn('domain', 'text', (c) => c.primaryKey())
        .addColumn('selectors', 'jsonb', (c) => c.notNull())
        .addColumn('extractor', 'text', (c) => c.notNull())
        .addColumn('hits', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('misses', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('validated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('ingest_llm_proposals')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('accepted', 'boolean', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('model', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('ingest_runs')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('params', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('summary', 'jsonb')
        .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('finished_at', 'timestamptz')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['ingest_runs', 'ingest_llm_proposals', 'ingest_selectors', 'ingest_domains', 'ingest_sources']) {
        await db.schema.dropTable(t).execute();
      }
    },
  },
  '0007_labeling': {
    async up(db: Kysely<unknown>) {
      // The labeling agent: every gating decision with the labelers' votes, the human review queue (one
      // item per review) and an append-only audit trail of what happened to each review's label.
      await db.schema
        .createTable('label_decisions')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('review_id', 'text', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('confidence', 'real', (c) => c.notNull())
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('votes', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('thresholds', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('calibration', 'text')
        .addColumn('run_id', 'integer')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('label_decisions_review').on('label_decisions').columns(['review_id']).execute();
      await db.schema
        .createTable('label_queue')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('review_id', 'text', (c) => c.notNull().unique())
        .addColumn('decision_id', 'integer')
        .addColumn('suggestion_label', 'text', (c) => c.notNull())
        .addColumn('suggestion_confidence', 'real', (c) => c.notNull())
        .addColumn('votes', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('priority', 'real', (c) => c.notNull().defaultTo(0))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('assignee', 'text')
        .addColumn('human_label', 'text')
        .addColumn('labelled_by', 'text')
        .addColumn('labelled_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('label_queue_status').on('label_queue').columns(['status', 'priority']).execute();
      await db.schema
        .createTable('label_audit')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('queue_id', 'integer')
        .addColumn('review_id', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('label_audit_review').on('label_audit').columns(['review_id', 'id']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('label_audit').execute();
      await db.schema.dropTable('label_queue').execute();
      await db.schema.dropTable('label_decisions').execute();
    },
  },
  '0008_pipeline_scale_out': {
    async up(db: Kysely<unknown>) {
      // Scale-out pipeline (issue 18): which worker runs a step and how many times it was started (a step
      // result is recorded once per run + step); a run's dispatch epoch (a resume queues new jobs) and the
      // schedule that started it; one row per schedule (a fire time is claimed once across servers); and the
      // promotion decisions of the `promote` step.
      await db.schema.alterTable('pipeline_steps').addColumn('worker', 'text').execute();
      await db.schema
        .alterTable('pipeline_steps')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('pipeline_runs').addColumn('schedule', 'text').execute();
      await db.schema
        .alterTable('pipeline_runs')
        .addColumn('epoch', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('pipeline_schedules')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('last_fire_at', 'timestamptz')
        .addColumn('last_run_id', 'integer')
        .addColumn('last_outcome', 'text')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('model_promotions')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('model_name', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('reasons', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('gate', 'jsonb')
        .addColumn('shadow', 'jsonb')
        .addColumn('previous_version', 'text')
        .addColumn('run_id', 'integer')
        .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('model_promotions').execute();
      await db.schema.dropTable('pipeline_schedules').execute();
      await db.schema.alterTable('pipeline_runs').dropColumn('epoch').execute();
      await db.schema.alterTable('pipeline_runs').dropColumn('schedule').execute();
      await db.schema.alterTable('pipeline_steps').dropColumn('attempts').execute();
      await db.schema.alterTable('pipeline_steps').dropColumn('worker').execute();
    },
  },
  '0009_model_reports': {
    async up(db: Kysely<unknown>) {
      // The evaluation report of a model version (the pipeline's `evaluate` step, issue 17): the HTML page and its
      // run JSON as blobs, and the figures the promotion gate may read; one report per version (re-evaluating
      // replaces it).
      await db.schema
        .createTable('model_reports')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('model_name', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('html_blob', 'text', (c) => c.notNull())
        .addColumn('json_blob', 'text', (c) => c.notNull())
        .addColumn('summary', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('run_id', 'integer')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint('model_reports_name_version', ['model_name', 'version'])
        .execute();
      await db.schema.createIndex('model_reports_html_blob').on('model_reports').column('html_blob').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('model_reports').execute();
    },
  },
};

const provider: MigrationProvider = {
  getMigrations: async () => migrations,
};

/** Applies every pending migration; returns the names applied. Throws on the first failure. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message ?? error}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export const MIGRATION_NAMES = Object.keys(migrations);
