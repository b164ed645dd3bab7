/**
 * Load benchmark of the HTTP API with autocannon against a real server process on loopback, one
 * inference thread, auth and rate limits on (a key with a budget far above the load): QPS and
 * p50/p95/p99 for uncached text-only, uncached text + photo, cached, and batch requests; the raw
 * model's own throughput in the same run; then twice the sustainable text-only rate, checking that
 * nothing errors (answers may queue, or be 429/503) and that the server's memory stays flat.
 *
 *   npm run bench:load            (BENCH_SECONDS=10 per scenario, BENCH_CONNECTIONS=8)
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { loadConfig } from '../src/core/index.js';
import { machineLine, percentile, writeSection } from '../src/evaluation/index.js';
import { parseArtifact } from '../src/models/artifact.js';
import { loadEncoders } from '../src/models/index.js';
import { Analyzer } from '../src/sentiment/index.js';
import { BUNDLED_ARTIFACT } from '../src/server/index.js';
import { loadMvsa, sharedDataDir } from '../src/training/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const PORT = Number(process.env.BENCH_PORT ?? 18532);
const ROOT = join(import.meta.dirname, '..');
const BASE = `http://127.0.0.1:${PORT}`;
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
const run = promisify(execFile);

const mvsa = loadMvsa(sharedDataDir());
const texts = mvsa.map((e) => e.text);
const photos = mvsa.slice(0, 200).map((e) => readFileSync(e.image as string).toString('base64'));
const dataDir = mkdtempSync(join(tmpdir(), 'reviewlens-load-'));
const env = {
  ...process.env,
  DATABASE_URL: '',
  REVIEWLENS_DATA_DIR: dataDir,
  REVIEWLENS_MODELS_DIR: loadConfig().models.dir,
  REVIEWLENS_THREADS: '1',
  REVIEWLENS_LOG_LEVEL: 'warn',
  REVIEWLENS_RATE_LIMIT_MAX: '100000000',
  REVIEWLENS_RELOAD_INTERVAL_SECONDS: '0',
};

/** The analyzer called directly, one text after another: the model's own throughput, no HTTP. */
async function rawThroughput(): Promise<number> {
  const config = loadConfig();
  const artifact = parseArtifact(readFileSync(BUNDLED_ARTIFACT), BUNDLED_ARTIFACT);
  const enc = await loadEncoders({
    modelsDir: config.models.dir,
    threads: 1,
    ...artifact.encoders,
  });
  const analyzer = new Analyzer(artifact, enc, { ...config.limits });
  for (let i = 0; i < 50; i++) await analyzer.analyze({ text: texts[i] as string });
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    await analyzer.analyze({ text: `${texts[n % texts.length]} #${n}` });
    n++;
  }
  const rate = n / ((performance.now() - t0) / 1000);
  await enc.text.dispose();
  await enc.image.dispose();
  return rate;
}

interface Result {
  name: string;
  qps: number;
  items: number;
  p50: number;
  p95: number;
  p99: number;
  non2xx: number;
  errors: number;
  statuses: Record<string, number>;
}

let counter = 0;
function scenario(
  name: string,
  path: string,
  body: () => unknown,
  opts: { connections?: number; overallRate?: number; itemsPerRequest?: number } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const times: number[] = [];
    const statuses: Record<string, number> = {};
    const inst = autocannon(
      {
        url: `${BASE}${path}`,
        method: 'POST',
        connections: opts.connections ?? CONNECTIONS,
        duration: SECONDS,
        ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        requests: [{ method: 'POST', path, setupRequest: (req) => ({ ...req, body: JSON.stringify(body()) }) }],
      },
      (err, res) => {
        if (err) return reject(err);
        const n = times.length;
        resolve({
          name,
          qps: res.requests.total / SECONDS,
          items: (res.requests.total * (opts.itemsPerRequest ?? 1)) / SECONDS,
          p50: percentile(times, 50),
          p95: percentile(times, 95),
          p99: percentile(times, 99),
          non2xx: res.non2xx,
          errors: res.errors + res.timeouts,
          statuses,
        });
        log(
          `${name}: ${n} answers, ${(res.requests.total / SECONDS).toFixed(1)} req/s, p99 ${percentile(times, 99).toFixed(1)} ms`,
        );
      },
    );
    inst.on('response', (_client, status, _bytes, ms) => {
      times.push(ms);
      statuses[status] = (statuses[status] ?? 0) + 1;
    });
  });
}

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
let key = '';
let child: ChildProcess | undefined;
try {
  log('raw model throughput (analyzer called directly, text only, one at a time)');
  const raw = await rawThroughput();
  log(`raw: ${raw.toFixed(1)} texts/s`);

  const { stdout } = await run(
    process.execPath,
    [join(ROOT, 'bin', 'reviewlens.js'), 'keys', 'create', '--name', 'load', '--scopes', 'analyze', '--json'],
    { env },
  );
  key = (JSON.parse(stdout) as { key: string }).key;
  child = spawn(process.execPath, [join(ROOT, 'bin', 'reviewlens.js'), 'start', '--port', String(PORT)], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
    const ok = await fetch(`${BASE}/api/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const pid = child.pid as number;
  const uniqueText = () => ({ text: `${texts[counter % texts.length]} #${counter++}` });
  // Warm-up: kernels compiled, caches allocated.
  await scenario('warm-up', '/api/analyze', uniqueText);
  const text = await scenario('text only, uncached', '/api/analyze', uniqueText);
  const photo = await scenario('text + photo, uncached', '/api/analyze', () => ({
    ...uniqueText(),
    image_base64: photos[counter % photos.length],
  }));
  const same = { text: 'The battery lasts two days and charges fast.' };
  const cached = await scenario('cached (same text)', '/api/analyze', () => same);
  const cached1 = await scenario('cached (same text), 1 connection', '/api/analyze', () => same, { connections: 1 });
  const batch = await scenario(
    'batch of 16 texts, uncached',
    '/api/analyze/batch',
    () => ({ items: Array.from({ length: 16 }, uniqueText) }),
    { itemsPerRequest: 16 },
  );
  const rssBefore = rssMb(pid);
  const overload = await scenario('text only at 2x the sustainable rate', '/api/analyze', uniqueText, {
    connections: 64,
    overallRate: Math.ceil(2 * text.qps),
  });
  const rssAfter = rssMb(pid);
  const again = await scenario('text only after the overload', '/api/analyze', uniqueText);
  const rssEnd = rssMb(pid);
  const alive = await fetch(`${BASE}/api/health`).then(
    (r) => r.ok,
    () => false,
  );

  const rows = [text, photo, cached, cached1, batch, overload, again].map(
    (r) =>
      `| ${r.name} | ${r.qps.toFixed(1)} | ${r.items.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} | ${Object.entries(
        r.statuses,
      )
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ')} | ${r.errors} |`,
  );
  const md = `## API under load (issue 5)

Command: \`npm run bench:load\` (BENCH_SECONDS=${SECONDS}, BENCH_CONNECTIONS=${CONNECTIONS}). A real server process
(\`reviewlens start\`, embedded stores, in-process cache and rate limits, one inference thread, micro-batching off as by
default, an empty search index so that \`similar_reviews\` costs nothing: its cost is in the retrieval-speed section),
an API key on every request, autocannon on the same machine over loopback (so client and server share the 2 cores).
Texts from MVSA-Single, each made unique where the row says uncached; photos: 200 MVSA-Single photos as base64 JSON.
Latency per answer from autocannon's response events. ${machineLine()}

| scenario | requests/s | items/s | p50 ms | p95 ms | p99 ms | answers by status | errors and timeouts |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Raw model throughput in the same run (the analyzer called directly, text only, one after another, no HTTP):
${raw.toFixed(1)} texts/s. Text-only through the API: ${text.qps.toFixed(1)} req/s, ${((100 * text.qps) / raw).toFixed(0)}% of it
(batch requests: ${((100 * batch.items) / raw).toFixed(0)}%).

Overload (${Math.ceil(2 * text.qps)} req/s offered, 64 connections): ${overload.errors} errors or timeouts; the server's
resident memory was ${rssBefore.toFixed(0)} MB before, ${rssAfter.toFixed(0)} MB after, ${rssEnd.toFixed(0)} MB after one more
normal run; the server ${alive ? 'was still answering' : 'had STOPPED answering'} at the end.
`;
  writeSection('api-load', md);
  process.stdout.write(md);
} finally {
  child?.kill('SIGTERM');
}
