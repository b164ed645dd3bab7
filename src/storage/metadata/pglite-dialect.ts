import type { PGlite } from '@electric-sql/pglite';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely';
import { SessionLock } from './pglite-server.js';

/**
 * A Kysely dialect over PGlite (Postgres compiled to WASM, in-process). Written here because the
 * published PGlite dialects pin older PGlite releases; it is Kysely's documented Driver interface
 * over one PGlite instance, whose single connection is handed out under `lock` (one per instance, shared
 * with the wire server that serves other processes, so no two sessions interleave a transaction). Destroying the dialect does not
 * close the instance: its opener does (see embedded.ts).
 */
export class PGliteDialect implements Dialect {
  constructor(
    private readonly db: PGlite,
    private readonly lock: SessionLock = new SessionLock(),
  ) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.db, this.lock);
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly db: PGlite) {}
  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const res = await this.db.query<R>(q.sql, q.parameters as unknown[]);
    const affected = res.affectedRows;
    return { rows: res.rows, numAffectedRows: affected === undefined ? undefined : BigInt(affected) };
  }
  // biome-ignore lint/correctness/useYield: streaming is not supported by this driver
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite driver: streaming queries are not supported');
  }
}

class PGliteDriver implements Driver {
  private readonly connection: PGliteConnection;
  private holder: string | null = null;
  private static next = 0;

  constructor(
    private readonly db: PGlite,
    private readonly lock: SessionLock,
  ) {
    this.connection = new PGliteConnection(db);
  }
  async init(): Promise<void> {
    await this.db.waitReady;
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    const id = `local-${++PGliteDriver.next}`;
    await this.lock.acquire(id);
    this.holder = id;
    return this.connection;
  }
  async beginTransaction(conn: DatabaseConnection): Promise<void> {
    await this.db.query('BEGIN');
    void conn;
  }
  async commitTransaction(): Promise<void> {
    await this.db.query('COMMIT');
  }
  async rollbackTransaction(): Promise<void> {
    await this.db.query('ROLLBACK');
  }
  async releaseConnection(): Promise<void> {
    const id = this.holder;
    this.holder = null;
    if (id) this.lock.release(id);
  }
  async destroy(): Promise<void> {
    // the instance belongs to its opener
  }
}
