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

/** Reviews: the system of record. `id` is the content hash (core/ids `reviewContentId`). */
export interface ReviewsTable {
  id: string;
  text: string;
  title: string | null;
  author: string | null;
  rating: number | null;
  /** As the source gave it, ISO 8601 when it could be parsed. */
  review_date: string | null;
  product: string | null;
  url: string | null;
  /** Where it came from: a domain for crawled reviews, `dataset:<name>` for imports, `synthetic` for synth. */
  source: string;
  /** Blob ids (sha256) of the review's photos. */
  photo_blobs: ColumnType<string[], string | undefined, string>;
  label: string | null;
  /** Who set `label`: `gold` (imported labelled data), `auto` (the labeling agent), `human` (the review queue). */
  label_source: string | null;
  /** Crawl provenance: source_url, fetched_at, extractor, selector, raw_page_blob; free-form for imports. */
  provenance: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface PipelineRunsTable {
  id: Generated<number>;
  flow: string;
  /** queued, running, succeeded, failed, cancelled */
  status: string;
  params: ColumnType<Record<string, unknown>, string | undefined, string>;
  requested_by: string | null;
  error: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  started_at: Date | null;
  finished_at: Date | null;
  /** The schedule that started the run (`pipeline.schedules[].name`), else null (migration 0008). */
  schedule: ColumnType<string | null, string | null | undefined, string | null>;
  /** Bumped by each resume: queued jobs of an earlier epoch are stale (migration 0008). */
  epoch: ColumnType<number, number | undefined, number>;
}

export interface PipelineStepsTable {
  run_id: number;
  position: number;
  name: string;
  /** pending, running, succeeded, failed, skipped */
  status: string;
  progress: number;
  message: string | null;
  output: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  /** Who runs (ran) the step: `in-process` or a worker's id (migration 0008). */
  worker: ColumnType<string | null, string | null | undefined, string | null>;
  /** Times the step was started (a resumed or re-delivered step counts again). */
  attempts: ColumnType<number, number | undefined, number>;
}

/** One row per configured schedule: the last fire time claimed (once across all servers) and its run. */
export interface PipelineSchedulesTable {
  name: string;
  last_fire_at: Date | null;
  last_run_id: number | null;
  /** `started`, or why the fire started nothing (`skipped: run 12 is still running`). */
  last_outcome: string | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** Decisions of the pipeline's `promote` step (policy manual or auto), kept with the registry. */
export interface ModelPromotionsTable {
  id: Generated<number>;
  model_name: string;
  version: string;
  policy: string;
  /** `promoted`, `held` (manual policy: waits for a person) or `refused` (the gate or shadow check failed). */
  outcome: string;
  reasons: ColumnType<string[], string, string>;
  gate: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  shadow: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  /** What production pointed at before a promotion (`name@version`). */
  previous_version: string | null;
  run_id: number | null;
  at: ColumnType<Date, Date | undefined, never>;
}

/** A model version's evaluation report (migration 0009_model_reports): blobs of the HTML and its run JSON. */
export interface ModelReportsTable {
  id: Generated<number>;
  model_name: string;
  version: string;
  html_blob: string;
  json_blob: string;
  /** The figures the promotion gate may read (`ReportSummary` in src/evaluation/report/types.ts). */
  summary: ColumnType<Record<string, unknown>, string, string>;
  /** The pipeline run whose `evaluate` step made it, if any. */
  run_id: number | null;
  created_at: ColumnType<Date, Date | undefined, Date>;
}

export interface PipelineLogsTable {
  id: Generated<number>;
  run_id: number;
  step: string | null;
  level: string;
  message: string;
  at: ColumnType<Date, Date | undefined, never>;
}

/** Statistics the ingestion bandit keeps per source URL and per domain (migration 0006_ingest). */
interface IngestStatsColumns {
  /** Crawls of this arm and the sum of their rewards (new reviews per page, discounted by errors, in 0..1). */
  crawls: ColumnType<number, number | undefined, number>;
  reward_sum: ColumnType<number, number | undefined, number>;
  pages_fetched: ColumnType<number, number | undefined, number>;
  reviews_found: ColumnType<number, number | undefined, number>;
  new_reviews: ColumnType<number, number | undefined, number>;
  duplicate_reviews: ColumnType<number, number | undefined, number>;
  errors: ColumnType<number, number | undefined, number>;
  last_success_at: Date | null;
  last_crawl_at: Date | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface IngestSourcesTable extends IngestStatsColumns {
  url: string;
  domain: string;
  /** `user` (CLI or pipeline parameters), `sources-file`, or `llm` (an accepted proposal). */
  added_by: ColumnType<string, string | undefined, string>;
  /** `auto`, `static` or `browser`. */
  crawler: ColumnType<string, string | undefined, string>;
}

export interface IngestDomainsTable extends IngestStatsColumns {
  domain: string;
  /** Set once a page of the domain showed reviews only in the browser: later crawls start there. */
  needs_browser: ColumnType<boolean, boolean | undefined, boolean>;
}

/** Review selectors discovered for a domain (by the repeated-structure layer or an LLM). */
export interface IngestSelectorsTable {
  domain: string;
  selectors: ColumnType<Record<string, string>, string, string>;
  extractor: string;
  hits: ColumnType<number, number | undefined, number>;
  misses: ColumnType<number, number | undefined, number>;
  validated_at: ColumnType<Date, Date | undefined, Date>;
  created_at: ColumnType<Date, Date | undefined, never>;
}

/** What the LLM proposed to crawl next and why; `accepted` says whether it was queued. */
export interface IngestLlmProposalsTable {
  id: Generated<number>;
  /** `source` (a new page to crawl) or `deep-crawl` (more pages of a known source). */
  kind: string;
  url: string;
  reason: string;
  accepted: boolean;
  note: string | null;
  model: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface IngestRunsTable {
  id: Generated<number>;
  /** running, succeeded, failed, cancelled */
  status: string;
  params: ColumnType<Record<string, unknown>, string | undefined, string>;
  summary: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  started_at: ColumnType<Date, Date | undefined, never>;
  finished_at: Date | null;
}

export interface Database {
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
  training_runs: TrainingRunsTable;
  model_alias_history: ModelAliasHistoryTable;
  api_keys: ApiKeysTable;
  reviews: ReviewsTable;
  pipeline_runs: PipelineRunsTable;
  pipeline_steps: PipelineStepsTable;
  pipeline_logs: PipelineLogsTable;
  pipeline_schedules: PipelineSchedulesTable;
  model_promotions: ModelPromotionsTable;
  model_reports: ModelReportsTable;
  ingest_sources: IngestSourcesTable;
  ingest_domains: IngestDomainsTable;
  ingest_selectors: IngestSelectorsTable;
  ingest_llm_proposals: IngestLlmProposalsTable;
  ingest_runs: IngestRunsTable;
  label_decisions: LabelDecisionsTable;
  label_queue: LabelQueueTable;
  label_audit: LabelAuditTable;
}

export interface LabelDecisionsTable {
  id: Generated<number>;
  review_id: string;
  label: string;
  confidence: number;
  /** accepted, queued, discarded */
  decision: string;
  votes: ColumnType<unknown[], string | undefined, string>;
  thresholds: ColumnType<Record<string, unknown>, string | undefined, string>;
  calibration: string | null;
  run_id: number | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface LabelQueueTable {
  id: Generated<number>;
  review_id: string;
  decision_id: number | null;
  suggestion_label: string;
  suggestion_confidence: number;
  votes: ColumnType<unknown[], string | undefined, string>;
  priority: number;
  /** pending, labelled, skipped, discarded */
  status: string;
  assignee: string | null;
  human_label: string | null;
  labelled_by: string | null;
  labelled_at: Date | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface LabelAuditTable {
  id: Generated<number>;
  queue_id: number | null;
  review_id: string;
  /** auto_accept, queued, discarded, claim, accept, correct, skip */
  action: string;
  label: string | null;
  actor: string;
  detail: ColumnType<Record<string, unknown>, string | undefined, string>;
  at: ColumnType<Date, Date | undefined, never>;
}
