import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { UnavailableError } from '../../core/errors.js';
import { closeAbandonedRuns, thisProcess } from './abandoned-runs.js';
import { openEmbedded } from './embedded.js';
import { migrateToLatest } from './migrations.js';
import { PGliteDialect } from './pglite-dialect.js';
import { ReviewStore } from './reviews.js';
import type { Database } from './schema.js';

export type MetadataBackend = 'pglite' | 'postgres';

export interface ModelVersionRow {
  name: string;
  version: string;
  artifactBlob: string;
  metrics: Record<string, unknown>;
  params: Record<string, unknown>;
  dataHash: string | null;
  createdAt: Date;
}

export interface TrainingRunRow {
  id: number;
  kind: string;
  status: string;
  params: Record<string, unknown>;
  dataHash: string | null;
  metrics: Record<string, unknown>;
  gate: Record<string, unknown> | null;
  artifactBlob: string | null;
  model: { name: string; version: string } | null;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

export interface AliasChange {
  alias: string;
  name: string;
  version: string;
  action: string;
  reason: string | null;
  changedAt: Date;
}

/** `reviewlens <first words of the command line>`, to name this process in a directory lock. */
function defaultCommand(): string {
  const args = process.argv
    .slice(2)
    .filter((a) => !a.startsWith('-'))
    .slice(0, 2);
  return ['reviewlens', ...args].join(' ');
}

export interface StoreStatus {
  backend: MetadataBackend;
  ok: boolean;
  error?: string;
}

/**
 * The metadata store: model versions and aliases (the registry's tables), API keys, reviews and pipeline
 * runs; other folders keep their own tables' queries next to their code and use `db`.
 * One Kysely query layer over either the embedded PGlite database or a PostgreSQL server.
 */
export class MetadataStore {
  /** The reviews table. */
  readonly reviews: ReviewStore;

  private constructor(
    readonly db: Kysely<Database>,
    readonly backend: MetadataBackend,
    private readonly onClose: () => Promise<void> = async () => {},
    /** For an embedded database: whether this process owns it or reaches it through its owner (a server). */
    readonly embedded?: { role: 'owner' | 'via-owner'; ownerPid: number },
  ) {
    this.reviews = new ReviewStore(db);
  }

  /**
   * Opens the store and applies pending migrations. `url` empty: PGlite in `<dataDir>/db`; `file://DIR`:
   * PGlite in DIR; `memory://`: PGlite in memory; `postgres://`: a PostgreSQL server.
   * An embedded directory has one owning process (see embedded.ts): `share: true` (the server) lets other
   * processes use it through this one; otherwise another live owner makes this throw DirectoryLockedError.
   * `command` names this process in the lock (default `reviewlens`).
   */
  static async open(opts: {
    url?: string;
    dataDir?: string;
    share?: boolean;
    command?: string;
  }): Promise<MetadataStore> {
    const url = opts.url ?? '';
    let db: Kysely<Database>;
    let backend: MetadataBackend;
    let onClose: (() => Promise<void>) | undefined;
    let embedded: { role: 'owner' | 'via-owner'; ownerPid: number } | undefined;
    if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
      const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
      // A connection that PostgreSQL (or the network) drops is reported as an 'error' event: on the pool
      // for an idle one, on the client for one in use (its query fails with the error too). Without
      // listeners Node.js ends the process. The pool discards such a client and connects anew on the next
      // query, so the store recovers by itself once the server is back.
      pool.on('error', () => {});
      pool.on('connect', (client) => client.on('error', () => {}));
      db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
      backend = 'postgres';
    } else if (url === 'memory://') {
      const pglite = new PGlite();
      db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
      onClose = () => pglite.close();
      backend = 'pglite';
    } else if (url === '' || url.startsWith('file://')) {
      const dir = url.startsWith('file://') ? url.slice('file://'.length) : join(opts.dataDir ?? '.reviewlens', 'db');
      const conn = await openEmbedded(dir, { command: opts.command ?? defaultCommand(), share: opts.share });
      db = new Kysely<Database>({ dialect: conn.dialect });
      onClose = conn.close;
      embedded = { role: conn.role, ownerPid: conn.ownerPid };
      backend = 'pglite';
    } else {
      throw new UnavailableError(
        `database url must start with postgres://, postgresql://, file:// or be memory:// (got ${url.split(':')[0]}:...)`,
      );
    }
    try {
      await migrateToLatest(db as unknown as Kysely<unknown>);
    } catch (e) {
      await db.destroy().catch(() => {});
      await onClose?.().catch(() => {});
      throw new UnavailableError(`metadata store (${backend}) is not usable: ${(e as Error).message}`, e);
    }
    return new MetadataStore(db, backend, onClose, embedded);
  }

  async status(): Promise<StoreStatus> {
    try {
      await sql`select 1`.execute(this.db);
      return { backend: this.backend, ok: true };
    } catch (e) {
      return { backend: this.backend, ok: false, error: (e as Error).message };
    }
  }

  async close(): Promise<void> {
    try {
      await this.db.destroy();
    } finally {
      await this.onClose();
    }
  }

  // --- model registry tables -------------------------------------------------------------

  /** Records a model version; recording the same name+version again is a no-op that returns false. */
  async addModelVersion(v: Omit<ModelVersionRow, 'createdAt'>): Promise<boolean> {
    const res = await this.db
      .insertInto('model_versions')
      .values({
        name: v.name,
        version: v.version,
        artifact_blob: v.artifactBlob,
        metrics: JSON.stringify(v.metrics),
        params: JSON.stringify(v.params),
        data_hash: v.dataHash,
      })
      .onConflict((oc) => oc.columns(['name', 'version']).doNothing())
      .executeTakeFirst();
    return (res.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersionRow | undefined> {
    const row = await this.db
      .selectFrom('model_versions')
      .selectAll()
      .where('name', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
    return row ? toModelRow(row) : undefined;
  }

  async listModelVersions(): Promise<ModelVersionRow[]> {
    const rows = await this.db.selectFrom('model_versions').selectAll().orderBy('id', 'desc').execute();
    return rows.map(toModelRow);
  }

  /** Points an alias at a version and appends the change to the alias history, in one transaction. */
  async setAlias(
    alias: string,
    name: string,
    version: string,
    action = 'set',
    reason: string | null = null,
  ): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('model_aliases')
        .values({ alias, model_name: name, version })
        .onConflict((oc) => oc.column('alias').doUpdateSet({ model_name: name, version, updated_at: new Date() }))
        .execute();
      await tx.insertInto('model_alias_history').values({ alias, model_name: name, version, action, reason }).execute();
    });
  }

  /** The alias's changes, newest first. */
  async aliasHistory(alias: string): Promise<AliasChange[]> {
    const rows = await this.db
      .selectFrom('model_alias_history')
      .selectAll()
      .where('alias', '=', alias)
      .orderBy('id', 'desc')
      .execute();
    return rows.map((r) => ({
      alias: r.alias,
      name: r.model_name,
      version: r.version,
      action: r.action,
      reason: r.reason,
      changedAt: new Date(r.changed_at),
    }));
  }

  // --- experiment tracking -----------------------------------------------------------------

  /**
   * Records a training run as `running` (with this process in its params, `_process`), after closing as
   * `interrupted` the runs whose process died on this host before finishing them (see abandoned-runs.ts).
   */
  async startRun(kind: string, params: Record<string, unknown>): Promise<number> {
    await closeAbandonedRuns(this.db, 'training_runs');
    const row = await this.db
      .insertInto('training_runs')
      .values({ kind, status: 'running', params: JSON.stringify({ ...params, _process: thisProcess() }) })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async finishRun(
    id: number,
    r: {
      status: 'succeeded' | 'failed' | 'rejected';
      metrics?: Record<string, unknown>;
      dataHash?: string | null;
      gate?: Record<string, unknown> | null;
      artifactBlob?: string | null;
      model?: { name: string; version: string } | null;
      error?: string | null;
    },
  ): Promise<void> {
    await this.db
      .updateTable('training_runs')
      .set({
        status: r.status,
        metrics: JSON.stringify(r.metrics ?? {}),
        data_hash: r.dataHash ?? null,
        gate: r.gate ? JSON.stringify(r.gate) : null,
        artifact_blob: r.artifactBlob ?? null,
        model_name: r.model?.name ?? null,
        model_version: r.model?.version ?? null,
        error: r.error ?? null,
        finished_at: new Date(),
      })
      .where('id', '=', id)
      .execute();
  }

  async listRuns(limit = 50): Promise<TrainingRunRow[]> {
    const rows = await this.db.selectFrom('training_runs').selectAll().orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      status: r.status,
      params: r.params,
      dataHash: r.data_hash,
      metrics: r.metrics,
      gate: r.gate,
      artifactBlob: r.artifact_blob,
      model: r.model_name && r.model_version ? { name: r.model_name, version: r.model_version } : null,
      error: r.error,
      startedAt: new Date(r.started_at),
      finishedAt: r.finished_at ? new Date(r.finished_at) : null,
    }));
  }

  async getAlias(alias: string): Promise<{ name: string; version: string } | undefined> {
    const row = await this.db.selectFrom('model_aliases').selectAll().where('alias', '=', alias).executeTakeFirst();
    return row ? { name: row.model_name, version: row.version } : undefined;
  }
}

function toModelRow(row: {
  name: string;
  version: string;
  artifact_blob: string;
  metrics: Record<string, unknown>;
  params: Record<string, unknown>;
  data_hash: string | null;
  created_at: Date;
}): ModelVersionRow {
  return {
    name: row.name,
    version: row.version,
    artifactBlob: row.artifact_blob,
    metrics: row.metrics,
    params: row.params,
    dataHash: row.data_hash,
    createdAt: new Date(row.created_at),
  };
}
