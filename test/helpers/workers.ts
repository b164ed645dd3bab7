import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { BIN } from './cli.js';
import { MODELS_DIR, tempDir } from './paths.js';
import { pgAdmin, tempDatabase } from './postgres.js';

/** The real Redis server the scale-out tests use; REVIEWLENS_TEST_REDIS_URL points elsewhere. */
export const REDIS_URL = process.env.REVIEWLENS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A `reviewlens` process of a scale-out test, with what it printed so far. */
export interface Proc {
  name: string;
  child: ChildProcess;
  out: string[];
  /** Resolves with the first printed line matching `re` (rejects after `ms` or when the process exits first). */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after 10 s; resolves when it exited. */
  stop(): Promise<void>;
}

/** Starts `reviewlens ARGS` with `env` (on top of this process's environment). */
export function spawnReviewlens(name: string, args: string[], env: Record<string, string>, cwd: string): Proc {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      out.push(line);
      for (const w of [...waiters]) {
        const m = line.match(w.re);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name,
    child,
    out,
    waitFor(re, ms = 120_000) {
      const seen = out.map((l) => l.match(re)).find(Boolean);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`${name}: no line matching ${re} within ${ms} ms:\n${out.slice(-20).join('\n')}`)),
          ms,
        );
        void exited.then(() => {
          clearTimeout(t);
          reject(
            new Error(
              `${name} exited (${child.exitCode ?? child.signalCode}) before printing ${re}:\n${out.slice(-20).join('\n')}`,
            ),
          );
        });
        waiters.push({
          re,
          resolve: (m) => {
            clearTimeout(t);
            resolve(m);
          },
        });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * A PostgreSQL database and a Redis key prefix of its own for one scale-out test or bench, a data directory, a
 * config file, and the environment every `reviewlens` process of it shares. `dispose` drops the database and
 * deletes the Redis keys.
 */
export async function scaleOutSetup(
  prefix: string,
  extraConfig: Record<string, unknown> = {},
): Promise<{
  dbUrl: string;
  queuePrefix: string;
  dataDir: string;
  env: Record<string, string>;
  dispose(): Promise<void>;
}> {
  const db = tempDatabase(prefix);
  await pgAdmin(`CREATE DATABASE ${db.name}`);
  const queuePrefix = `reviewlens-test:${randomBytes(4).toString('hex')}`;
  const dataDir = tempDir(`${prefix}-`);
  const configFile = join(dataDir, 'reviewlens.config.json');
  writeFileSync(configFile, JSON.stringify(extraConfig, null, 2));
  const env: Record<string, string> = {
    REVIEWLENS_CONFIG: configFile,
    REVIEWLENS_DATA_DIR: dataDir,
    REVIEWLENS_MODELS_DIR: MODELS_DIR,
    DATABASE_URL: db.url,
    REVIEWLENS_DATABASE_URL: db.url,
    REDIS_URL,
    REVIEWLENS_REDIS_URL: REDIS_URL,
    REVIEWLENS_PIPELINE_QUEUE: 'bullmq',
    REVIEWLENS_PIPELINE_QUEUE_PREFIX: queuePrefix,
    REVIEWLENS_DEMO_POOL: 'off',
    REVIEWLENS_AUTH: 'false',
    REVIEWLENS_RELOAD_INTERVAL_SECONDS: '0',
    REVIEWLENS_PORT: '0',
    REVIEWLENS_LLM_URL: '',
  };
  return {
    dbUrl: db.url,
    queuePrefix,
    dataDir,
    env,
    async dispose() {
      const redis = new Redis(REDIS_URL);
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
      await pgAdmin(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`);
    },
  };
}
