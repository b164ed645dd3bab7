import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR, ROOT, tempDir } from '../helpers/paths.js';
import { pgAdmin, SKIP_PG, tempDatabase } from '../helpers/postgres.js';

/**
 * Two real server processes (`reviewlens start`) behind no load balancer, sharing one PostgreSQL
 * database (registry, API keys) and one Redis (rate limits, analysis cache) on 127.0.0.1 — the servers
 * `.ci/run` starts when they are not running. REVIEWLENS_SKIP_PG=1 or REVIEWLENS_SKIP_REDIS=1 skips.
 */
const run = promisify(execFile);
const REDIS_URL = process.env.REVIEWLENS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const skip = SKIP_PG || process.env.REVIEWLENS_SKIP_REDIS === '1';
const { name: dbName, url: dbUrl } = tempDatabase('reviewlens_it');
// Redis database 3, flushed before and after: nothing else in these tests uses it.
const redisUrl = `${REDIS_URL.replace(/\/\d*$/, '')}/3`;

const env = (dataDir: string, port: number): NodeJS.ProcessEnv => ({
  ...process.env,
  DATABASE_URL: dbUrl,
  REDIS_URL: redisUrl,
  REVIEWLENS_DATA_DIR: dataDir,
  REVIEWLENS_MODELS_DIR: MODELS_DIR,
  REVIEWLENS_PORT: String(port),
  REVIEWLENS_RATE_LIMIT_MAX: '5',
  REVIEWLENS_RATE_LIMIT_WINDOW_SECONDS: '60',
  // The demo pool would import and label ~870 reviews in the background: not what this test is about.
  REVIEWLENS_DEMO_POOL: 'off',
  REVIEWLENS_LOG_LEVEL: 'warn',
});

async function startProcess(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'reviewlens.js'), 'start'], {
    env: env(dataDir, port),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  for (let i = 0; i < 240; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/ready`);
      if (r.status === 200) return child;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`server on ${port} exited: ${out}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill();
  throw new Error(`server on ${port} did not become ready: ${out}`);
}

const ports = [18000 + Math.floor(Math.random() * 2000), 0];
ports[1] = (ports[0] as number) + 1;
let servers: ChildProcess[] = [];
let key = '';

describe.skipIf(skip)('two servers sharing PostgreSQL and Redis', () => {
  beforeAll(async () => {
    await pgAdmin(`CREATE DATABASE ${dbName}`);
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    const dataDir = tempDir('reviewlens-it-');
    const { stdout } = await run(
      process.execPath,
      [join(ROOT, 'bin', 'reviewlens.js'), 'keys', 'create', '--name', 'it', '--scopes', 'analyze', '--json'],
      { env: env(dataDir, 0) },
    );
    key = (JSON.parse(stdout) as { key: string }).key;
    // One after the other: the first applies the migrations and registers the bundled model.
    servers.push(await startProcess(dataDir, ports[0] as number));
    servers.push(await startProcess(tempDir('reviewlens-it-'), ports[1] as number));
  }, 180_000);

  afterAll(async () => {
    for (const s of servers) s.kill('SIGTERM');
    await Promise.all(servers.map((s) => new Promise((r) => (s.exitCode === null ? s.once('exit', r) : r(null)))));
    servers = [];
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    await pgAdmin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }, 60_000);

  const analyze = (port: number, text: string) =>
    fetch(`http://127.0.0.1:${port}/api/analyze`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ text }),
    });

  it('share one analysis cache: an answer computed by one is served cached by the other', async () => {
    const a = (await (await analyze(ports[0] as number, 'The zipper broke on day two')).json()) as Record<
      string,
      unknown
    >;
    const b = (await (await analyze(ports[1] as number, 'The zipper broke on day two')).json()) as Record<
      string,
      unknown
    >;
    expect(a.cached).toBe(false);
    expect(b.cached).toBe(true);
    expect(b.sentiment).toBe(a.sentiment);
    expect(b.scores).toEqual(a.scores);
  });

  it('share one rate limit per key and route: the limit counts requests to both', async () => {
    // One request was made to each server above; 5 are allowed per minute on this route for this key.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await analyze(ports[i % 2] as number, `request ${i}`);
      statuses.push(r.status);
      if (r.status === 429) {
        expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(r.headers.get('ratelimit-limit')).toBe('5');
        expect(((await r.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
      } else {
        expect(r.headers.get('ratelimit-remaining')).toMatch(/^\d+$/);
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    // Another route has its own budget.
    const health = await fetch(`http://127.0.0.1:${ports[1]}/api/health`);
    expect(health.status).toBe(200);
  });

  it('answer 401 without a key on both', async () => {
    for (const port of ports) {
      const r = await fetch(`http://127.0.0.1:${port}/api/analyze`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'hi' }),
      });
      expect(r.status).toBe(401);
    }
  });
});
