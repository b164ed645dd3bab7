import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_ADMIN_URL, pgAdmin, SKIP_PG, tempDatabase } from '../helpers/postgres.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/**
 * The pipeline and labeling gauges read from a real PostgreSQL at scrape time; when the database hangs, /metrics
 * still answers promptly, with `reviewlens_metadata_scrape_ok 0` and without those gauges (rather than stale ones).
 */
describe.skipIf(SKIP_PG)('metrics read from the metadata store', () => {
  const db = tempDatabase('reviewlens_store_metrics');
  const u = new URL(PG_ADMIN_URL);
  const pg = new TcpProxy({ host: u.hostname, port: Number(u.port || 5432) });
  let srv: RunningServer;
  beforeAll(async () => {
    await pgAdmin(`CREATE DATABASE ${db.name}`);
    await pg.start();
    srv = await startServer({ DATABASE_URL: pg.url(db.url) });
  }, 120_000);
  afterAll(async () => {
    // The database back (a fresh listener), so the server closes cleanly.
    await pg.kill();
    await pg.start();
    await srv?.close();
    await pg.kill();
    await pgAdmin(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`);
  }, 60_000);

  const scrape = async () => (await fetch(`${srv.url}/metrics`)).text();
  const value = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('counts pipeline runs by status and the review queue by status', async () => {
    const run = await srv.ctx.pipeline!.start({ steps: ['index'] });
    expect((await srv.ctx.pipeline!.wait(run.id)).status).toBe('succeeded');
    await fetch(`${srv.url}/api/health`);
    const text = await scrape();
    expect(value(text, 'reviewlens_metadata_scrape_ok')).toBe(1);
    expect(value(text, 'reviewlens_pipeline_runs{status="succeeded"}')).toBe(1);
    expect(value(text, 'reviewlens_pipeline_runs{status="queued"}')).toBe(0);
    expect(value(text, 'reviewlens_pipeline_runs{status="failed"}')).toBe(0);
    const finished = value(text, 'reviewlens_pipeline_last_finished_timestamp_seconds{status="succeeded"}')!;
    expect(Math.abs(finished - Date.now() / 1000)).toBeLessThan(600);
    expect(value(text, 'reviewlens_labeling_queue_items{status="pending"}')).toBe(0);
  }, 120_000);

  it('answers without them, and says so, while the database hangs', async () => {
    // One request counted before the database hangs, so this test does not lean on the one before it.
    await fetch(`${srv.url}/api/health`);
    pg.silence();
    const t0 = Date.now();
    const text = await scrape();
    const waited = Date.now() - t0;
    expect(value(text, 'reviewlens_metadata_scrape_ok')).toBe(0);
    expect(text).not.toMatch(/^reviewlens_pipeline_runs\{/m);
    expect(text).not.toMatch(/^reviewlens_labeling_queue_items\{/m);
    // The request metrics are still there: the scrape itself did not fail.
    expect(text).toMatch(/^reviewlens_http_requests_total\{/m);
    // Three reads of at most STORE_METRICS_TIMEOUT_MS (1 s) each, in parallel: well under Prometheus' 10 s timeout.
    expect(waited).toBeLessThan(10_000);
  }, 60_000);
});
