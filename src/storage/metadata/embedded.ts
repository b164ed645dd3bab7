import { mkdirSync, unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type Dialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import { acquireOwnership, type OwnerRecord, socketAddress } from './owner.js';
import { PGliteDialect } from './pglite-dialect.js';
import { PGliteWireServer, SessionLock } from './pglite-server.js';

/** How a process reaches an embedded database directory. */
export interface EmbeddedConnection {
  dialect: Dialect;
  /** `owner`: this process holds the directory; `via-owner`: another process's server shares it with us. */
  role: 'owner' | 'via-owner';
  /** The owner's pid (ours when role is owner). */
  ownerPid: number;
  /** Gives the connection up; the last one of the owner process closes the database and the lock. */
  close(): Promise<void>;
}

interface OwnedDatabase {
  pglite: PGlite;
  lock: SessionLock;
  socket?: OwnerRecord['socket'];
  server?: PGliteWireServer;
  refs: number;
  release(): void;
}

/** Embedded databases this process owns, by absolute directory: a second open in-process reuses the first. */
const owned = new Map<string, Promise<OwnedDatabase>>();

/** A pg pool over the owner's socket (a Unix socket path, or loopback TCP). */
function poolDialect(socket: NonNullable<OwnerRecord['socket']>, max: number): { dialect: Dialect; pool: pg.Pool } {
  const where =
    'path' in socket
      ? { host: socket.path.replace(/\/\.s\.PGSQL\.5432$/, ''), port: 5432 }
      : { host: socket.host, port: socket.port };
  const pool = new pg.Pool({
    ...where,
    user: 'postgres',
    database: 'postgres',
    max,
    connectionTimeoutMillis: 10_000,
  });
  return { dialect: new PostgresDialect({ pool }), pool };
}

async function openOwned(dir: string, command: string, share: boolean): Promise<OwnedDatabase> {
  const ownership = acquireOwnership(dir, command);
  if (ownership.kind === 'shared') throw Object.assign(new Error('shared'), { owner: ownership.owner });
  try {
    mkdirSync(dir, { recursive: true });
    const pglite = new PGlite(dir);
    await pglite.waitReady;
    const db: OwnedDatabase = { pglite, lock: new SessionLock(), refs: 0, release: ownership.release };
    if (share) {
      const addr = socketAddress(dir);
      if ('path' in addr) {
        try {
          unlinkSync(addr.path); // a socket file left by a killed owner
        } catch {
          // none
        }
      }
      const server = new PGliteWireServer(pglite, db.lock);
      const port = await server.listen(addr);
      const socket = 'path' in addr ? addr : { host: addr.host, port: port ?? 0 };
      ownership.share(socket);
      db.server = server;
      db.socket = socket;
    }
    return db;
  } catch (e) {
    ownership.release();
    throw e;
  }
}

async function endPool(pool: pg.Pool): Promise<void> {
  if (!pool.ended) await pool.end().catch(() => {});
}

/**
 * Opens the embedded (PGlite) database in `dir` for this process, keeping one owner per directory
 * (see owner.ts): the first process takes it; a server owner (`share: true`) also serves it on a socket
 * (PGliteWireServer), where its own queries and other processes' sessions take turns under one
 * SessionLock, so every statement sequence and transaction stays whole; a later process reaches a sharing
 * owner through the socket, and is refused with DirectoryLockedError by an owner that does not share.
 * @param dir the PGlite data directory (created when missing)
 * @param command what this process is, shown to a refused process (e.g. `reviewlens train`)
 */
export async function openEmbedded(
  dir: string,
  opts: { command: string; share?: boolean },
): Promise<EmbeddedConnection> {
  const key = resolve(dir);
  let pending = owned.get(key);
  if (!pending) {
    pending = openOwned(key, opts.command, opts.share ?? false);
    owned.set(key, pending);
    pending.catch(() => owned.delete(key));
  }
  let db: OwnedDatabase;
  try {
    db = await pending;
  } catch (e) {
    const owner = (e as { owner?: OwnerRecord }).owner;
    if (!owner?.socket) throw e;
    const { dialect, pool } = poolDialect(owner.socket, 4);
    // Kysely's destroy ends the pool; ending it here too covers a store that never ran a query.
    return { dialect, role: 'via-owner', ownerPid: owner.pid, close: () => endPool(pool) };
  }
  db.refs++;
  let closed = false;
  const release = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    db.refs--;
    if (db.refs > 0) return;
    owned.delete(key);
    await db.server?.close();
    if (!db.pglite.closed) await db.pglite.close();
    db.release();
  };
  return { dialect: new PGliteDialect(db.pglite, db.lock), role: 'owner', ownerPid: process.pid, close: release };
}
