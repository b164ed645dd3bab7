import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { SKIP_PG } from '../helpers/postgres.js';
import { scaleOutSetup, spawnReviewlens } from '../helpers/workers.js';

/**
 * `reviewlens worker` logs like the server: JSON lines when its output is a pipe (a container, a log collector),
 * human-readable lines on a terminal (util-linux `script` gives it one). Real PostgreSQL and Redis, as the worker
 * needs both; it is stopped with SIGTERM once it has said it takes steps.
 */
const skip = SKIP_PG || process.env.REVIEWLENS_SKIP_REDIS === '1';

describe('reviewlens worker', () => {
  it('refuses to start without PostgreSQL or Redis, saying which setting is missing', async () => {
    const noDb = await cli(tempDir(), ['worker']);
    expect(noDb.code).not.toBe(0);
    expect(noDb.stderr).toMatch(/set database\.url \(DATABASE_URL\)/);
    const noRedis = await cli(tempDir(), ['worker'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      REDIS_URL: '',
      REVIEWLENS_REDIS_URL: '',
    });
    expect(noRedis.code).not.toBe(0);
    expect(noRedis.stderr).toMatch(/set redis\.url \(REDIS_URL\)/);
  });

  describe.skipIf(skip)('logs', () => {
    let setup: Awaited<ReturnType<typeof scaleOutSetup>>;
    beforeAll(async () => {
      setup = await scaleOutSetup('rl_worker_logs');
    }, 60_000);
    afterAll(async () => setup?.dispose(), 60_000);

    it('writes JSON lines into a pipe', async () => {
      const w = spawnReviewlens(
        'worker',
        ['worker', '--id', 'json'],
        { ...setup.env, REVIEWLENS_LOG_FORMAT: 'auto' },
        setup.dataDir,
      );
      try {
        const line = await w.waitFor(/taking pipeline steps from queue/, 180_000);
        expect(JSON.parse(line.input!)).toMatchObject({
          level: 30,
          msg: expect.stringMatching(/^worker json: taking/),
        });
      } finally {
        await w.stop();
      }
      const last = JSON.parse(w.out.at(-1)!);
      expect(last.msg).toMatch(/SIGTERM: stopping/);
      expect(w.child.exitCode).toBe(0);
    }, 240_000);

    it('writes human-readable lines on a terminal', async () => {
      const cmd = `${process.execPath} ${BIN} worker --id tty`;
      const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
        env: { ...process.env, ...setup.env, REVIEWLENS_LOG_FORMAT: 'auto', NO_COLOR: '1' },
        cwd: setup.dataDir,
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      const exited = new Promise((r) => child.once('exit', r));
      try {
        await expect
          .poll(() => /taking pipeline steps from queue/.test(out), { timeout: 180_000, interval: 200 })
          .toBe(true);
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
      expect(out).toMatch(/\[\d\d:\d\d:\d\d\.\d{3}\] INFO: worker tty: taking pipeline steps/);
      expect(out).not.toMatch(/"level":30/);
    }, 240_000);
  });
});
