import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The real PostgreSQL server the integration tests use (127.0.0.1:5432, started by .ci/run when it is
 * not running). REVIEWLENS_TEST_PG_URL names an admin connection; REVIEWLENS_SKIP_PG=1 skips those tests.
 */
export const PG_ADMIN_URL = process.env.REVIEWLENS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const SKIP_PG = process.env.REVIEWLENS_SKIP_PG === '1';

/** Runs one statement on the admin connection. */
export async function pgAdmin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A database name of its own for one test run, and its connection URL (create and drop it with pgAdmin). */
export function tempDatabase(prefix: string): { name: string; url: string } {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return { name, url: u.toString() };
}
