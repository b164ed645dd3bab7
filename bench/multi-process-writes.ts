/**
 * CLI writes while a server owns the embedded data directory (issue 14's "0 lost over 100 mixed CLI + API
 * writes, checked after a restart"). A real `reviewlens start` on a fresh data directory (PGlite), then
 * BENCH_N (default 50) CLI writes — cycling `keys create`, `index --data`, `label import` — run two at a
 * time alongside BENCH_N API writes (`POST /api/reviews`); the server is stopped, started again, and every
 * write is looked up: lost = expected but absent, duplicated = present more than once.
 *
 *   npm run bench:multi-process      (BENCH_N=50; BENCH_PORT=18441)
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { machineLine, stopServer, waitForServer, writeSection } from '../src/evaluation/index.js';
import { MetadataStore } from '../src/storage/index.js';

const N = Number(process.env.BENCH_N ?? 50);
const PORT = Number(process.env.BENCH_PORT ?? 18441);
const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'reviewlens.js');
const URL_ = `http://127.0.0.1:${PORT}`;
const run = promisify(execFile);

const dataDir = mkdtempSync(join(tmpdir(), 'reviewlens-mp-'));
const env = {
  ...process.env,
  // The repository's fetched models, not the fresh data directory's (which has none).
  REVIEWLENS_MODELS_DIR: process.env.REVIEWLENS_MODELS_DIR ?? join(ROOT, '.reviewlens', 'models'),
  REVIEWLENS_DATA_DIR: dataDir,
  DATABASE_URL: '',
  REVIEWLENS_DATABASE_URL: '',
  REVIEWLENS_AUTH: 'true',
  REVIEWLENS_DEMO_POOL: 'false',
  REVIEWLENS_LOG_LEVEL: 'warn',
  REVIEWLENS_THREADS: '1',
};

/** Starts `reviewlens start`; resolves with the process and the first admin key it prints (fresh store only). */
async function startServer(): Promise<{ child: ChildProcess; firstKey?: string }> {
  const child = spawn(process.execPath, [BIN, 'start', '--port', String(PORT)], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await waitForServer(child, `${URL_}/api/health`, { detail: () => stderr });
  return { child, firstKey: /rl_[0-9A-Za-z]{8}_[0-9A-Za-z]{32,}/.exec(stderr)?.[0] };
}

async function cli(args: string[]): Promise<string> {
  const r = await run(process.execPath, [BIN, ...args], { env, cwd: dataDir });
  return r.stdout;
}

const t0 = performance.now();
const first = await startServer();
const admin = first.firstKey;
if (!admin) throw new Error('the server did not print its first admin key');
process.stderr.write(`server up on ${dataDir}\n`);

const keyNames: string[] = [];
const indexTexts: string[] = [];
const poolTexts: string[] = [];
const failures: string[] = [];
let cliDone = 0;

async function cliWrite(i: number): Promise<void> {
  const kind = i % 3;
  try {
    if (kind === 0) {
      const name = `bench-key-${i}`;
      await cli(['keys', 'create', '--name', name, '--scopes', 'analyze']);
      keyNames.push(name);
    } else if (kind === 1) {
      const text = `Indexed from the CLI, number ${i}: the strap frayed within a week.`;
      const f = join(dataDir, `index-${i}.jsonl`);
      writeFileSync(f, `${JSON.stringify({ text })}\n`);
      await cli(['index', '--data', f, '--source', 'bench-cli']);
      indexTexts.push(text);
    } else {
      const text = `Unlabelled from the CLI, number ${i}: arrived quickly, fits well.`;
      const f = join(dataDir, `pool-${i}.jsonl`);
      writeFileSync(f, `${JSON.stringify({ text })}\n`);
      await cli(['label', 'import', '--data', f, '--source', 'bench-pool']);
      poolTexts.push(text);
    }
  } catch (e) {
    failures.push(`cli ${i}: ${(e as Error).message.split('\n')[0]}`);
  }
  cliDone++;
  if (cliDone % 10 === 0) process.stderr.write(`  ${cliDone}/${N} CLI writes\n`);
}

const apiTexts: string[] = [];
async function apiWrites(): Promise<void> {
  for (let i = 0; i < N; i++) {
    const text = `Indexed through the API, number ${i}: soft fabric, true to size.`;
    const r = await fetch(`${URL_}/api/reviews`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    if (r.status === 201) apiTexts.push(text);
    else failures.push(`api ${i}: HTTP ${r.status} ${await r.text()}`);
    // Spread the API writes over the time the CLI writes take (about 2-3 s each, two at a time).
    await new Promise((res) => setTimeout(res, 1000));
  }
}

const cliQueue = Array.from({ length: N }, (_, i) => i);
const worker = async () => {
  for (let i = cliQueue.shift(); i !== undefined; i = cliQueue.shift()) await cliWrite(i);
};
await Promise.all([worker(), worker(), apiWrites()]);
await stopServer(first.child);
process.stderr.write('restarting the server\n');
const second = await startServer();

const stats = (await (
  await fetch(`${URL_}/api/index/stats`, { headers: { authorization: `Bearer ${admin}` } })
).json()) as {
  reviews: number;
};
const meta = await MetadataStore.open({ url: '', dataDir });
const keys = (await meta.db.selectFrom('api_keys').select('name').execute()).map((r) => r.name);
const pool = (await meta.db.selectFrom('reviews').select('text').where('source', '=', 'bench-pool').execute()).map(
  (r) => r.text,
);
await meta.close();
await stopServer(second.child);

const count = (xs: string[], x: string) => xs.filter((y) => y === x).length;
const lostKeys = keyNames.filter((k) => count(keys, k) === 0).length;
const dupKeys = keyNames.filter((k) => count(keys, k) > 1).length;
const lostPool = poolTexts.filter((t) => count(pool, t) === 0).length;
const dupPool = poolTexts.filter((t) => count(pool, t) > 1).length;
const indexedExpected = indexTexts.length + apiTexts.length;
const indexDiff = stats.reviews - indexedExpected;
const lost = lostKeys + lostPool + Math.max(0, -indexDiff);
const duplicated = dupKeys + dupPool + Math.max(0, indexDiff);
const minutes = (performance.now() - t0) / 60_000;

const md = `## CLI writes while a server runs (embedded PGlite)

${machineLine()}. Command: \`npm run bench:multi-process\` (BENCH_N=${N}).

A real \`reviewlens start\` owns a fresh data directory; ${N} CLI writes (\`keys create\`, \`index --data\`,
\`label import\`, in turn, two processes at a time) go through the server's database socket while ${N} API writes
(\`POST /api/reviews\`) arrive; then the server is restarted and every write is looked up.

| writes | succeeded | lost after restart | duplicated | failed (error shown to the caller) |
|---|---|---|---|---|
| ${2 * N} (${N} CLI + ${N} API) | ${keyNames.length + indexTexts.length + poolTexts.length + apiTexts.length} | ${lost} | ${duplicated} | ${failures.length} |

Index rows after restart: ${stats.reviews} (expected ${indexedExpected}); API keys: ${keyNames.length} created from the
CLI, ${keyNames.length - lostKeys} found; unlabelled reviews imported: ${poolTexts.length}, ${poolTexts.length - lostPool} found.
Run time ${minutes.toFixed(1)} min.${failures.length ? `\n\nFailures: ${failures.slice(0, 5).join('; ')}` : ''}
`;
writeSection('multi-process-writes', md);
process.stdout.write(`${md}\n`);
