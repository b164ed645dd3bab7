import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UnavailableError } from '../../core/errors.js';

/**
 * Who owns an embedded (PGlite) database directory. PGlite is one Postgres backend inside one process: two
 * processes that open the same directory each keep their own copy in memory and overwrite each other's
 * writes. So exactly one process owns a directory, recorded in a lock file beside it (`<db>.owner.json`,
 * created with O_EXCL). A server owner shares its database with other processes over a Postgres wire
 * protocol socket (PGliteWireServer, a Unix socket in the data directory); a CLI owner does
 * not share (its runs are short), and a second process is refused with the owner's pid and command.
 * A lock whose pid is no longer alive (a killed process) is stale and is taken over.
 */
export interface OwnerRecord {
  pid: number;
  /** What the owner is, for messages: e.g. `reviewlens serve`. */
  command: string;
  /** ISO time the owner took the directory. */
  since: string;
  /** Where other processes reach the owner's database; absent: the owner does not share it. */
  socket?: { path: string } | { host: string; port: number };
}

/** A directory owned by another live process that does not share it. */
export class DirectoryLockedError extends UnavailableError {
  constructor(
    readonly dir: string,
    readonly owner: OwnerRecord,
  ) {
    super(
      `the data directory ${dirname(dir)} is in use by pid ${owner.pid} (${owner.command}, since ${owner.since}); ` +
        'the embedded database has one owner at a time: wait for that command to finish or stop it. ' +
        'While `reviewlens serve` runs, other commands share its database through it; with PostgreSQL ' +
        '(DATABASE_URL) any number of processes can run at once.',
    );
    this.name = 'DirectoryLockedError';
  }
}

/** The lock file of the PGlite directory `dbDir`. */
export function lockPath(dbDir: string): string {
  return `${dbDir.replace(/\/+$/, '')}.owner.json`;
}

/** True when `pid` is a live process (EPERM: alive, owned by another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): OwnerRecord | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const o = JSON.parse(text) as OwnerRecord;
    return typeof o?.pid === 'number' ? o : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Writes the record atomically (temp file + rename), so a reader never sees half of it. */
function writeOwner(path: string, rec: OwnerRecord): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rec), { mode: 0o600 });
  renameSync(tmp, path);
}

export type Ownership =
  | { kind: 'owned'; release(): void; share(socket: OwnerRecord['socket']): void }
  | { kind: 'shared'; owner: OwnerRecord };

/**
 * Takes the directory `dbDir` for this process, or finds the live owner.
 * Returns `owned` (with `share` to advertise a socket and `release` to give the directory up; release also
 * runs when the process exits) or `shared` when a live owner shares its database.
 * Throws DirectoryLockedError when a live owner does not share it.
 */
export function acquireOwnership(dbDir: string, command: string): Ownership {
  const path = lockPath(dbDir);
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 50; attempt++) {
    const rec: OwnerRecord = { pid: process.pid, command, since: new Date().toISOString() };
    try {
      // O_EXCL: of two processes racing here, exactly one creates the file.
      writeFileSync(path, JSON.stringify(rec), { flag: 'wx', mode: 0o600 });
      let current = rec;
      const release = () => {
        process.off('exit', release);
        const now = readOwner(path);
        if (typeof now === 'object' && now.pid === process.pid) {
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
        }
      };
      process.on('exit', release);
      return {
        kind: 'owned',
        release,
        share(socket) {
          current = { ...current, socket };
          writeOwner(path, current);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = readOwner(path);
    if (owner === 'missing') continue;
    if (owner === 'unreadable') {
      // Being written by its creator right now, or left half-written long ago by a killed one.
      const age = Date.now() - safeMtime(path);
      if (age > 5_000) removeStale(path);
      else sleepSync(20);
      continue;
    }
    if (owner.pid === process.pid || !pidAlive(owner.pid)) {
      // Our own leftover (a store of this process that was not closed) or a killed process's lock.
      removeStale(path);
      continue;
    }
    if (owner.socket) return { kind: 'shared', owner };
    throw new DirectoryLockedError(dbDir, owner);
  }
  throw new UnavailableError(`could not take the lock ${path}: it keeps changing; is another process starting?`);
}

function safeMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function removeStale(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // another process removed it first
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Where the owner's database socket goes: a Unix socket `<dataDir>/.s.PGSQL.5432` (reachable only through
 * the data directory's file permissions), or loopback TCP when the path is too long for a Unix socket.
 */
export function socketAddress(dbDir: string): { path: string } | { host: string; port: number } {
  const path = join(dirname(dbDir), '.s.PGSQL.5432');
  return path.length <= 100 ? { path } : { host: '127.0.0.1', port: 0 };
}
