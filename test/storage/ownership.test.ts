import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../src/server/auth/index.js';
import { DirectoryLockedError, MetadataStore } from '../../src/storage/index.js';
import { cli } from '../helpers/cli.js';
import { SHARED, tempDir } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { startSite } from '../ingest/site-server.js';

/** The pid of a process that has exited (so it is certainly not alive). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('one owner per embedded data directory', () => {
  it('a second process is refused with the owner pid while a CLI-style owner holds the directory; free after close', async () => {
    const dataDir = tempDir();
    const meta = await MetadataStore.open({ url: '', dataDir, command: 'reviewlens train' });
    try {
      expect(meta.embedded).toEqual({ role: 'owner', ownerPid: process.pid });
      const lock = JSON.parse(readFileSync(join(dataDir, 'db.owner.json'), 'utf8'));
      expect(lock).toMatchObject({ pid: process.pid, command: 'reviewlens train' });
      expect(lock.socket).toBeUndefined();
      const r = await cli(dataDir, ['keys', 'create', '--name', 'x', '--scopes', 'analyze']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`in use by pid ${process.pid} (reviewlens train`);
      expect(r.stderr).toContain('DATABASE_URL');
    } finally {
      await meta.close();
    }
    expect(existsSync(join(dataDir, 'db.owner.json'))).toBe(false);
    const ok = await cli(dataDir, ['keys', 'create', '--name', 'x', '--scopes', 'analyze']);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('takes over the lock of a killed owner and refuses a live one that does not share', async () => {
    const dataDir = tempDir();
    const lockFile = join(dataDir, 'db.owner.json');
    writeFileSync(lockFile, JSON.stringify({ pid: deadPid(), command: 'reviewlens ingest', since: 'then' }));
    const meta = await MetadataStore.open({ url: '', dataDir });
    expect(JSON.parse(readFileSync(lockFile, 'utf8')).pid).toBe(process.pid);
    await meta.close();

    writeFileSync(lockFile, JSON.stringify({ pid: process.ppid, command: 'reviewlens label run', since: 'now' }));
    const err = await MetadataStore.open({ url: '', dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DirectoryLockedError);
    expect((err as Error).message).toContain(`pid ${process.ppid} (reviewlens label run`);
  });

  it('two stores of one process share one database instance (no second copy to overwrite the first)', async () => {
    const dataDir = tempDir();
    const a = await MetadataStore.open({ url: '', dataDir });
    const b = await MetadataStore.open({ url: '', dataDir });
    await a.setAlias('staging', 'm', '1');
    await b.setAlias('production', 'm', '2');
    await a.close();
    expect(await b.getAlias('staging')).toEqual({ name: 'm', version: '1' });
    await b.close();
    const c = await MetadataStore.open({ url: '', dataDir });
    expect(await c.getAlias('production')).toEqual({ name: 'm', version: '2' });
    await c.close();
  });
});

describe('CLI writes while a server owns the embedded directory go through it', () => {
  let server: RunningServer;
  let dataDir: string;
  let admin: string;
  const auth = () => ({ authorization: `Bearer ${admin}` });

  beforeAll(async () => {
    dataDir = tempDir();
    server = await startServer({ DATABASE_URL: '', REVIEWLENS_AUTH: 'true' }, { dataDir });
    admin = (await server.ctx.keys.create({ name: 'admin', scopes: ['admin'] })).key;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('keys, index, label import/run, ingest, train and models promote from the CLI, mixed with API writes: none lost after a restart', async () => {
    const lock = JSON.parse(readFileSync(join(dataDir, 'db.owner.json'), 'utf8'));
    expect(lock).toMatchObject({ pid: process.pid, socket: expect.any(Object) });

    const file = (name: string, rows: object[]) => {
      const p = join(tempDir(), name);
      writeFileSync(p, rows.map((r) => JSON.stringify(r)).join('\n'));
      return p;
    };
    const indexFile = file(
      'index.jsonl',
      Array.from({ length: 8 }, (_, i) => ({ text: `CLI indexed review ${i}: the zipper broke after ${i + 2} days.` })),
    );
    const poolFile = file(
      'pool.jsonl',
      Array.from({ length: 5 }, (_, i) => ({ text: `Unlabelled review ${i}: arrived on time, works as described.` })),
    );
    const labelled = file(
      'labelled.jsonl',
      Array.from({ length: 60 }, (_, i) => {
        const label = (['positive', 'negative', 'neutral'] as const)[i % 3] ?? 'neutral';
        const text = { positive: 'Love it, works great', negative: 'Broke after a day, awful', neutral: 'It is okay' }[
          label
        ];
        return { text: `${text} (item ${i})`, label };
      }),
    );
    const site = await startSite();
    const apiWrites = Array.from({ length: 20 }, (_, i) =>
      fetch(`${server.url}/api/reviews`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: JSON.stringify({ text: `API review ${i}: lovely fabric, true to size.` }),
      }).then((r) => r.status),
    );
    const cliWrites = (async () => {
      const out: { code: number; stdout: string; stderr: string }[] = [];
      out.push(await cli(dataDir, ['keys', 'create', '--name', 'from-cli', '--scopes', 'analyze', '--json']));
      out.push(await cli(dataDir, ['index', '--data', indexFile, '--source', 'cli-test']));
      out.push(await cli(dataDir, ['label', 'import', '--data', poolFile, '--source', 'cli-pool', '--run']));
      const versions = JSON.parse((await cli(dataDir, ['models', 'list', '--json'])).stdout) as {
        name: string;
        version: string;
      }[];
      const v = versions[0];
      out.push(await cli(dataDir, ['models', 'promote', `${v?.name}@${v?.version}`, '--alias', 'staging']));
      out.push(
        await cli(dataDir, ['ingest', `${site.url}/fixtures/stars-markup.html`, '--crawler', 'static', '--no-photos'], {
          REVIEWLENS_INGEST_ALLOW_HOSTS: '127.0.0.1',
          REVIEWLENS_INGEST_DOMAIN_DELAY_MS: '0',
        }),
      );
      out.push(
        await cli(dataDir, ['train', '--data', labelled, '--out', join(tempDir(), 'a.json'), '--cache', tempDir()], {
          REVIEWLENS_SHARED_DATA: SHARED,
        }),
      );
      return out;
    })();
    const statuses = await Promise.all(apiWrites);
    const results = await cliWrites.finally(() => site.close());
    expect(statuses.every((s) => s === 201)).toBe(true);
    for (const r of results) expect(r.code, r.stderr).toBe(0);

    // A key created from the CLI works on the running server at once.
    const cliKey = JSON.parse(results[0]?.stdout ?? '{}').key as string;
    const analyzed = await fetch(`${server.url}/api/analyze`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cliKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Works fine.' }),
    });
    expect(analyzed.status).toBe(200);

    // Restart on the same directory: every write is there once.
    await server.close();
    server = await startServer({ DATABASE_URL: '', REVIEWLENS_AUTH: 'true' }, { dataDir });
    const meta = await MetadataStore.open({ url: '', dataDir });
    try {
      const names = (await new ApiKeyStore(meta).list()).map((k) => k.name).sort();
      expect(names).toEqual(['admin', 'from-cli']);
      expect(await meta.getAlias('staging')).toBeDefined();
      const pool = await meta.db
        .selectFrom('reviews')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where('source', '=', 'cli-pool')
        .executeTakeFirstOrThrow();
      expect(Number(pool.n)).toBe(5);
      const crawled = await meta.db
        .selectFrom('reviews')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where('source', 'like', '127.0.0.1%')
        .executeTakeFirstOrThrow();
      expect(Number(crawled.n)).toBeGreaterThan(0);
      const runs = await meta.db.selectFrom('training_runs').selectAll().execute();
      expect(runs.map((r) => r.status)).toEqual(['succeeded']);
      expect(await meta.listModelVersions()).toHaveLength(2);
    } finally {
      await meta.close();
    }
    const stats = (await (await fetch(`${server.url}/api/index/stats`, { headers: auth() })).json()) as {
      reviews?: number;
      rows?: number;
    };
    expect(stats.reviews ?? stats.rows).toBe(28);
  }, 420_000);
});
