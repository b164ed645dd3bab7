import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { clientErrorOf } from '../../src/server/client-errors.js';
import { PG_ADMIN_URL, SKIP_PG } from '../helpers/postgres.js';

/** The error a query throws, from a real database. */
async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (e) {
    return e;
  }
  throw new Error('the query did not fail');
}

describe('clientErrorOf', () => {
  it('maps PGlite data exceptions (a value out of range, a NUL in text) to 400 and leaves other database errors alone', async () => {
    const db = new PGlite();
    try {
      for (const [sql, value] of [
        ['select $1::int4', '9999999999'],
        ['select $1::text', 'a\u0000b'],
        ['select $1::int4', 'x'],
      ] as const) {
        const mapped = clientErrorOf(await errorOf(() => db.query(sql, [value])));
        expect(mapped?.statusCode, `${sql} ${JSON.stringify(value)}`).toBe(400);
        expect(mapped?.code).toBe('invalid_input');
        expect(mapped?.message).toMatch(/^a value in the request cannot be used: /);
      }
      expect(clientErrorOf(await errorOf(() => db.query('select * from no_such_table')))).toBeUndefined();
    } finally {
      await db.close();
    }
  });

  it.skipIf(SKIP_PG)('maps the same errors from a PostgreSQL server (node-postgres) to 400', async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      expect(clientErrorOf(await errorOf(() => c.query('select $1::int4', ['9999999999'])))?.statusCode).toBe(400);
      expect(clientErrorOf(await errorOf(() => c.query('select $1::text', ['a\u0000b'])))?.statusCode).toBe(400);
      expect(clientErrorOf(await errorOf(() => c.query('select * from no_such_table')))).toBeUndefined();
    } finally {
      await c.end();
    }
  });

  it('leaves errors that are not client mistakes alone', () => {
    expect(clientErrorOf(new Error('boom'))).toBeUndefined();
    expect(clientErrorOf(Object.assign(new Error('x'), { code: '22003' }))).toBeUndefined(); // no severity: not a database error
    expect(clientErrorOf(undefined)).toBeUndefined();
  });
});
