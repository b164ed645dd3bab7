import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { sha256 } from '../../core/ids.js';
import { isTransientError } from '../../core/transient.js';
import type { Database, MetadataStore } from '../../storage/index.js';

/** Every scope an API key can hold. `admin` implies all the others. */
export const SCOPES = ['analyze', 'search', 'label', 'admin'] as const;

/** What a route may require of an API key. */
export type Scope = (typeof SCOPES)[number];

/** A verified API key, as attached to a request: never its secret or hash. */
export interface ApiKeyRecord {
  id: number;
  name: string;
  /** The public part of the key (`rl_<prefix>_...`), safe to log and to key rate limits on. */
  prefix: string;
  scopes: Scope[];
}

/** An API key as `list()` shows it: never its secret or hash. */
export interface ApiKeyInfo extends ApiKeyRecord {
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A newly created API key. `key` is the only time the full key exists outside the client: show it once. */
export interface CreatedApiKey extends ApiKeyRecord {
  key: string;
  createdAt: Date;
}

/** The result of `revoke()`: the key, and whether it had been revoked before. */
export interface RevokeResult {
  key: ApiKeyInfo;
  alreadyRevoked: boolean;
}

/** The result of `rotate()`: the new key (shown once) and the old one, revoked now or at `revokedAt`. */
export interface RotateResult {
  created: CreatedApiKey;
  old: ApiKeyInfo;
}

/** Longest grace period `rotate` allows an old key: 30 days. */
export const MAX_GRACE_SECONDS = 30 * 24 * 3600;

/** Anything that can check a raw key: the `ApiKeyStore`, or a stand-in in tests. */
export interface ApiKeyVerifier {
  verify(rawKey: string): Promise<ApiKeyRecord | undefined>;
}

/** Tuning of the store's in-memory cache and `last_used_at` writes; the defaults suit a server. */
export interface ApiKeyStoreOptions {
  /** How long a verified key is trusted without asking the database (default 30 s). */
  cacheTtlMs?: number;
  /** `last_used_at` is written at most once per this interval per key (default 60 s). */
  touchIntervalMs?: number;
  /** The clock, in ms (tests). */
  now?: () => number;
  /** Called when `last_used_at` could not be written (the request is not failed for it). */
  onError?: (error: unknown) => void;
}

const KEY_TAG = 'rl';
const PREFIX_LENGTH = 8;
/** 40 base62 characters: about 238 bits of randomness. */
const SECRET_LENGTH = 40;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_RE = /^rl_([0-9A-Za-z]{8})_([0-9A-Za-z]{32,128})$/;
const MAX_NAME_LENGTH = 200;
const CREATE_ATTEMPTS = 5;

/** The columns that may leave the store: `key_hash` is not among them. */
const INFO_COLUMNS = ['id', 'name', 'prefix', 'scopes', 'created_at', 'last_used_at', 'revoked_at'] as const;

type InfoRow = {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
};

type KeyRef = { kind: 'id'; value: number } | { kind: 'prefix'; value: string };

/** True when `name` is a known scope. */
export function isScope(name: string): name is Scope {
  return (SCOPES as readonly string[]).includes(name);
}

/** True when a key holding `scopes` may use a route that needs `needed` (`admin` implies every scope). */
export function hasScope(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.includes('admin') || scopes.includes(needed);
}

/**
 * Parses scope names, given as a list or as one comma-separated string (`analyze,search`), into a
 * de-duplicated list in canonical order. Throws a ValidationError naming any unknown scope, or when none is given.
 */
export function parseScopes(input: string | readonly string[]): Scope[] {
  const names = (typeof input === 'string' ? input.split(',') : [...input]).map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new ValidationError(`give at least one scope: ${SCOPES.join(', ')}`, 'scopes');
  const unknown = names.filter((n) => !isScope(n));
  if (unknown.length > 0) {
    throw new ValidationError(
      `unknown scope${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')}: the scopes are ${SCOPES.join(', ')}`,
      'scopes',
    );
  }
  return SCOPES.filter((s) => names.includes(s));
}

/** `length` characters of base62, uniformly drawn from crypto.randomBytes (bytes >= 248 are rejected). */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += BASE62[b % 62];
    }
  }
  return out;
}

/** A fresh prefix, never all digits, so `revoke` can tell a prefix from a numeric id. */
function newPrefix(): string {
  for (;;) {
    const p = randomBase62(PREFIX_LENGTH);
    if (!/^\d+$/.test(p)) return p;
  }
}

/** Constant-time comparison of two hex sha256 digests. */
function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

function validName(name: string): string {
  const n = name.trim();
  if (n === '') throw new ValidationError('an API key needs a name (who or what uses it)', 'name');
  if (n.length > MAX_NAME_LENGTH)
    throw new ValidationError(`name is longer than ${MAX_NAME_LENGTH} characters`, 'name');
  return n;
}

/** `12` -> by id; `Ab3dE9xz`, `rl_Ab3dE9xz` or a whole key -> by prefix. */
function parseRef(idOrPrefix: string | number): KeyRef {
  if (typeof idOrPrefix === 'number') return { kind: 'id', value: idOrPrefix };
  const s = idOrPrefix.trim();
  if (/^\d+$/.test(s)) return { kind: 'id', value: Number(s) };
  const m = /^rl_([0-9A-Za-z]+)/.exec(s);
  return { kind: 'prefix', value: m?.[1] ?? s };
}

function whereRef(ref: KeyRef) {
  return (eb: ExpressionBuilder<Database, 'api_keys'>) =>
    ref.kind === 'id' ? eb('id', '=', ref.value) : eb('prefix', '=', ref.value);
}

/** A key that works now: never revoked, or revoked from a time still to come (a rotation's grace period). */
function whereLive(eb: ExpressionBuilder<Database, 'api_keys'>) {
  return eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', sql<Date>`now()`)]);
}

function toRecord(row: Pick<InfoRow, 'id' | 'name' | 'prefix' | 'scopes'>): ApiKeyRecord {
  return { id: row.id, name: row.name, prefix: row.prefix, scopes: row.scopes.filter(isScope) };
}

function toInfo(row: InfoRow): ApiKeyInfo {
  return {
    ...toRecord(row),
    createdAt: new Date(row.created_at),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at) : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
  };
}

/** Inserts a key with a fresh prefix and secret (retrying on the rare prefix collision); `key` is shown once. */
async function insertKey(db: Kysely<Database>, name: string, scopes: Scope[]): Promise<CreatedApiKey> {
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    const prefix = newPrefix();
    const key = `${KEY_TAG}_${prefix}_${randomBase62(SECRET_LENGTH)}`;
    const row = await db
      .insertInto('api_keys')
      .values({ name, prefix, key_hash: sha256(key), scopes: JSON.stringify(scopes) })
      .onConflict((oc) => oc.column('prefix').doNothing())
      .returning(['id', 'created_at'])
      .executeTakeFirst();
    if (row) return { key, id: row.id, prefix, name, scopes, createdAt: new Date(row.created_at) };
  }
  throw new Error(`could not find a free key prefix in ${CREATE_ATTEMPTS} attempts`);
}

/**
 * API keys in the metadata database. A key is `rl_<prefix>_<secret>`; only its sha256 is stored, and the
 * full key is returned once, by `create`. `verify` looks a key up by its (public) prefix and compares the
 * hashes in constant time.
 *
 * Verified keys are cached in memory for `cacheTtlMs` (30 s) so that a request costs no database query.
 * A revoke through this store takes effect at once; a revoke made by another process (the CLI, another
 * server) takes effect here within that TTL. While the database is unreachable, a key verified before
 * the outage stays accepted (nobody can revoke it meanwhile); a key never seen answers 503.
 */
export class ApiKeyStore implements ApiKeyVerifier {
  private readonly db: MetadataStore['db'];
  private readonly cacheTtlMs: number;
  private readonly touchIntervalMs: number;
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;
  /** sha256 of the raw key -> the verified key and when to ask the database again. */
  private readonly cache = new Map<string, { record: ApiKeyRecord; expires: number; until: number }>();
  /** key id -> when `last_used_at` was last written by this process. */
  private readonly touched = new Map<number, number>();

  constructor(meta: Pick<MetadataStore, 'db'>, opts: ApiKeyStoreOptions = {}) {
    this.db = meta.db;
    this.cacheTtlMs = opts.cacheTtlMs ?? 30_000;
    this.touchIntervalMs = opts.touchIntervalMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    this.onError = opts.onError ?? (() => {});
  }

  /** Creates a key with a name and scopes (validated). The returned `key` is never available again. */
  async create(input: { name: string; scopes: string | readonly string[] }): Promise<CreatedApiKey> {
    return insertKey(this.db, validName(input.name), parseScopes(input.scopes));
  }

  /**
   * Replaces a key: creates a new one with the same name and scopes (its `key` is shown once) and revokes
   * the old one, at once or, with `graceSeconds` (0..MAX_GRACE_SECONDS), that many seconds from now, so that
   * clients can switch over. In one transaction. Throws NotFoundError when no key matches, ValidationError
   * when the key is revoked already (create a new one instead) or the grace period is out of range.
   */
  async rotate(idOrPrefix: string | number, opts: { graceSeconds?: number } = {}): Promise<RotateResult> {
    const grace = opts.graceSeconds ?? 0;
    if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
      throw new ValidationError(
        `the grace period must be a whole number of seconds from 0 to ${MAX_GRACE_SECONDS} (30 days)`,
        'graceSeconds',
      );
    }
    const ref = parseRef(idOrPrefix);
    const result = await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('api_keys')
        .select([...INFO_COLUMNS, sql<boolean>`revoked_at is not null and revoked_at <= now()`.as('revoked')])
        .where(whereRef(ref))
        .forUpdate()
        .executeTakeFirst();
      if (!row) throw new NotFoundError(`no API key with ${ref.kind} ${ref.value}`);
      if (row.revoked) {
        throw new ValidationError(
          `API key ${row.id} (${row.prefix}) is revoked already: there is nothing to rotate; make a new one with \`keys create\``,
          'key',
        );
      }
      const created = await insertKey(tx, row.name, row.scopes.filter(isScope));
      // An earlier rotation's grace period is never lengthened.
      const old = await tx
        .updateTable('api_keys')
        .set({ revoked_at: sql<Date>`now() + make_interval(secs => ${grace})` })
        .where('id', '=', row.id)
        .where((eb) =>
          eb.or([
            eb('revoked_at', 'is', null),
            eb('revoked_at', '>', sql<Date>`now() + make_interval(secs => ${grace})`),
          ]),
        )
        .returning(INFO_COLUMNS)
        .executeTakeFirst();
      return { created, old: toInfo(old ?? row) };
    });
    this.forget(result.old.id);
    return result;
  }

  /** Every key, oldest first, revoked ones included (with `revokedAt`). Hashes are never returned. */
  async list(): Promise<ApiKeyInfo[]> {
    const rows = await this.db.selectFrom('api_keys').select(INFO_COLUMNS).orderBy('id').execute();
    return rows.map(toInfo);
  }

  /**
   * Revokes a key by id, prefix (or the whole key), at once (also one whose rotation grace period is still
   * running); revoking twice is harmless. Clears this store's cache for it at once. Throws a NotFoundError
   * when no key matches.
   */
  async revoke(idOrPrefix: string | number): Promise<RevokeResult> {
    const ref = parseRef(idOrPrefix);
    const updated = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: sql<Date>`now()` })
      .where(whereRef(ref))
      .where(whereLive)
      .returning(INFO_COLUMNS)
      .executeTakeFirst();
    const row =
      updated ?? (await this.db.selectFrom('api_keys').select(INFO_COLUMNS).where(whereRef(ref)).executeTakeFirst());
    if (!row) throw new NotFoundError(`no API key with ${ref.kind} ${ref.value}`);
    this.forget(row.id);
    return { key: toInfo(row), alreadyRevoked: updated === undefined };
  }

  /**
   * The key's record when `rawKey` is a known, unrevoked key; otherwise undefined. Served from the
   * in-memory cache when it was verified in the last `cacheTtlMs`; writes `last_used_at` at most once
   * per `touchIntervalMs` per key.
   */
  async verify(rawKey: string): Promise<ApiKeyRecord | undefined> {
    const m = KEY_RE.exec(rawKey);
    if (!m?.[1]) return undefined;
    const hash = sha256(rawKey);
    let record = this.cached(hash);
    if (!record) {
      try {
        record = await this.lookup(m[1], hash);
      } catch (e) {
        // The database is unreachable: a key verified before the outage stays accepted (revoking it needs the
        // database too), unless its rotation grace period has ended meanwhile. Other keys: the error (503).
        const stale = this.cache.get(hash);
        if (!stale || !isTransientError(e) || stale.until <= this.now()) throw e;
        record = stale.record;
      }
    }
    if (record) await this.touch(record.id);
    return record;
  }

  /** Drops every cached verification (the next `verify` of each key asks the database). */
  clearCache(): void {
    this.cache.clear();
  }

  private cached(hash: string): ApiKeyRecord | undefined {
    // An expired entry is kept (until the database says otherwise) for `verify` to fall back on in an outage.
    const hit = this.cache.get(hash);
    return hit && hit.expires > this.now() ? hit.record : undefined;
  }

  private async lookup(prefix: string, hash: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .select(['id', 'name', 'prefix', 'scopes', 'key_hash', 'revoked_at'])
      .where('prefix', '=', prefix)
      .where(whereLive)
      .executeTakeFirst();
    if (!row || !sameHash(row.key_hash, hash)) {
      this.cache.delete(hash);
      return undefined;
    }
    const record = toRecord(row);
    // A key in a rotation's grace period is trusted no longer than the grace period lasts.
    const until = row.revoked_at ? new Date(row.revoked_at).getTime() : Number.POSITIVE_INFINITY;
    this.cache.set(hash, { record, expires: Math.min(this.now() + this.cacheTtlMs, until), until });
    return record;
  }

  private async touch(id: number): Promise<void> {
    const now = this.now();
    const last = this.touched.get(id);
    if (last !== undefined && now - last < this.touchIntervalMs) return;
    this.touched.set(id, now);
    try {
      await this.db.updateTable('api_keys').set({ last_used_at: sql<Date>`now()` }).where('id', '=', id).execute();
    } catch (e) {
      this.onError(e);
    }
  }

  private forget(id: number): void {
    for (const [hash, entry] of this.cache) if (entry.record.id === id) this.cache.delete(hash);
    this.touched.delete(id);
  }
}
