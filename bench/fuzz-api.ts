/**
 * Fuzz benchmark of the HTTP API (issue 14: no 5xx from client mistakes): BENCH_N fuzzed requests over
 * every route of the OpenAPI document, sent over real HTTP (node:http, so odd paths go as they are) to a
 * real server process (`reviewlens start`, embedded stores, API keys on), BENCH_CONCURRENCY at a time,
 * while `/api/health` is asked every BENCH_HEALTH_MS. Prints the answers by status class and by route,
 * every answer >= 500 with its request, and the health record; writes its section of docs/benchmarks.md.
 * The requests are the in-suite property test's (test/helpers/api-fuzz.ts), from seed BENCH_SEED.
 *
 *   npm run bench:fuzz      (BENCH_N=5000, BENCH_CONCURRENCY=4, BENCH_SEED=14, BENCH_HEALTH_MS=1000;
 *                            BENCH_DATABASE_URL=postgres://... to run on an empty PostgreSQL database)
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import sharp from 'sharp';
import { loadConfig } from '../src/core/index.js';
import { machineLine, writeSection } from '../src/evaluation/index.js';
import { sharedDataDir } from '../src/training/index.js';
import { describeRequest, type FuzzRequest, fuzzRequests, routesOf } from '../test/helpers/api-fuzz.js';

const N = Number(process.env.BENCH_N ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const SEED = Number(process.env.BENCH_SEED ?? 14);
const HEALTH_MS = Number(process.env.BENCH_HEALTH_MS ?? 1000);
const PORT = Number(process.env.BENCH_PORT ?? 18641);
const ROOT = join(import.meta.dirname, '..');
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
const run = promisify(execFile);

const dataDir = mkdtempSync(join(tmpdir(), 'reviewlens-fuzz-'));
const env = {
  ...process.env,
  // Embedded PGlite in the data directory by default; BENCH_DATABASE_URL=postgres://... for an empty PostgreSQL database.
  DATABASE_URL: process.env.BENCH_DATABASE_URL ?? '',
  REVIEWLENS_DATA_DIR: dataDir,
  REVIEWLENS_MODELS_DIR: loadConfig().models.dir,
  REVIEWLENS_AUTH: 'true',
  REVIEWLENS_THREADS: '1',
  REVIEWLENS_LOG_LEVEL: 'warn',
  REVIEWLENS_RATE_LIMIT_MAX: '100000000',
  REVIEWLENS_RELOAD_INTERVAL_SECONDS: '0',
};
const cli = (...args: string[]) => run(process.execPath, [join(ROOT, 'bin', 'reviewlens.js'), ...args], { env });

/** What came back for one request: a status, or a transport error (no answer). */
interface Outcome {
  status?: number;
  error?: string;
  body: string;
  ms: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY + 2 });

/** Sends a request exactly as generated (path bytes untouched), answering its status and the start of its body. */
function send(r: FuzzRequest, timeoutMs = 60_000): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const done = (o: Omit<Outcome, 'ms'>) => resolve({ ...o, ms: performance.now() - t0 });
    let req: http.ClientRequest;
    try {
      req = http.request({
        host: '127.0.0.1',
        port: PORT,
        method: r.method,
        path: r.url,
        agent,
        headers: { ...r.headers, ...(r.body !== undefined ? { 'content-length': String(r.body.length) } : {}) },
        timeout: timeoutMs,
      });
    } catch (e) {
      // The client library refused to send it (a header value Node will not write): not the server's answer.
      return done({ error: `client refused: ${(e as Error).message}`, body: '' });
    }
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode as number, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => done({ error: e.message, body: '' }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (e) => done({ error: (e as NodeJS.ErrnoException).code ?? e.message, body: '' }));
    req.end(r.body);
  });
}

const get = (path: string) => send({ route: 'probe', method: 'GET', url: path, headers: {} }, 10_000);

async function waitReady(child: ChildProcess): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
    if ((await get('/api/ready')).status === 200) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the server did not become ready in 5 minutes');
}

const STOP_SECONDS = 20;

/** SIGTERM, then SIGKILL when the server has not exited within STOP_SECONDS; answers how long it took (undefined: killed). */
async function stopServer(c: ChildProcess): Promise<{ seconds?: number }> {
  if (c.exitCode !== null || c.signalCode !== null) return { seconds: 0 }; // gone already
  const t0 = performance.now();
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGTERM');
  const inTime = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), STOP_SECONDS * 1000)),
  ]);
  if (inTime) return { seconds: (performance.now() - t0) / 1000 };
  c.kill('SIGKILL');
  await exited;
  return {};
}

let child: ChildProcess | undefined;
try {
  // Keys and a few queue items before the server starts (the CLI writes the store while no server owns it).
  const full = JSON.parse((await cli('keys', 'create', '--name', 'fuzz', '--scopes', 'admin', '--json')).stdout).key;
  const narrow = JSON.parse(
    (await cli('keys', 'create', '--name', 'fuzz-label', '--scopes', 'label', '--json')).stdout,
  ).key;
  const mvsa = join(sharedDataDir(), 'mvsa-single');
  const pool = join(dataDir, 'pool.jsonl');
  writeFileSync(pool, `${readFileSync(join(mvsa, 'unlabeled.jsonl'), 'utf8').split('\n').slice(0, 12).join('\n')}\n`);
  await cli('label', 'import', '--data', pool, '--images', join(mvsa, 'images'), '--run');

  // The server's log (warnings and errors, with request ids) goes to a file beside its data.
  const serverLog = join(dataDir, 'server.log');
  child = spawn(process.execPath, [join(ROOT, 'bin', 'reviewlens.js'), 'start', '--port', String(PORT)], {
    env,
    stdio: ['ignore', openSync(serverLog, 'a'), 'inherit'],
  });
  log(`server log: ${serverLog}`);
  await waitReady(child);
  const serverPid = child.pid as number;

  // Things that exist, so that fuzzed ids sometimes hit: two indexed reviews, their photo, the model.
  const photo = await sharp(readFileSync(join(mvsa, 'images', '100.jpg')))
    .resize(96)
    .jpeg()
    .toBuffer();
  const bearer = { authorization: `Bearer ${full}`, 'content-type': 'application/json' };
  const known: string[] = [];
  for (const text of ['Great phone, the battery lasts two days', 'Arrived cracked, a waste of money']) {
    const body = Buffer.from(JSON.stringify({ text, product: 'phone', image_base64: photo.toString('base64') }));
    const res = await send({ route: 'seed', method: 'POST', url: '/api/reviews', headers: bearer, body });
    if (res.status !== 201) throw new Error(`seeding a review answered ${res.status}: ${res.body}`);
    known.push((JSON.parse(res.body) as { id: string }).id);
  }
  const rec = await send({ route: 'seed', method: 'GET', url: `/api/reviews/${known[0]}`, headers: bearer });
  const model = await send({ route: 'seed', method: 'GET', url: '/api/models', headers: bearer });
  const serving = (JSON.parse(model.body) as { serving: { name: string; version: string } }).serving;
  known.push((JSON.parse(rec.body) as { imageId: string }).imageId, serving.name, serving.version);

  const docs = await get('/api/docs');
  const routes = routesOf(JSON.parse(docs.body));
  const requests = fc.sample(fuzzRequests(routes, { keys: { full, narrow }, photos: [photo], knownValues: known }), {
    seed: SEED,
    numRuns: N,
  });
  log(`${routes.length} documented routes; sending ${N} fuzzed requests, ${CONCURRENCY} at a time`);

  // Health throughout: one probe every HEALTH_MS while the fuzz runs.
  const health = { probes: 0, ok: 0, failures: [] as string[], maxMs: 0 };
  let fuzzing = true;
  const prober = (async () => {
    while (fuzzing) {
      const h = await get('/api/health');
      health.probes++;
      health.maxMs = Math.max(health.maxMs, h.ms);
      if (h.status === 200) health.ok++;
      else health.failures.push(`${h.status ?? h.error} after ${health.probes} probes`);
      await new Promise((r) => setTimeout(r, HEALTH_MS));
    }
  })();

  const classes = ['2xx', '3xx', '4xx', '5xx', 'no answer'] as const;
  type Class = (typeof classes)[number];
  const classOf = (o: Outcome): Class => (o.status === undefined ? 'no answer' : (`${String(o.status)[0]}xx` as Class));
  const byRoute = new Map<string, Record<Class, number>>();
  const byStatus = new Map<string, number>();
  const bad: string[] = [];
  const noAnswer = new Map<string, number>();
  let next = 0;
  let answered = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const r = requests[next++] as FuzzRequest;
        const o = await send(r);
        const c = classOf(o);
        const row = byRoute.get(r.route) ?? { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, 'no answer': 0 };
        row[c]++;
        byRoute.set(r.route, row);
        const key = o.status === undefined ? 'no answer' : String(o.status);
        byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
        if (c === '5xx') bad.push(`${o.status} ${describeRequest(r).slice(0, 300)} -> ${o.body.slice(0, 200)}`);
        if (c === 'no answer') noAnswer.set(o.error as string, (noAnswer.get(o.error as string) ?? 0) + 1);
        if (++answered % 500 === 0) log(`${answered} answered; health ${health.ok}/${health.probes}`);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  fuzzing = false;
  await prober;
  const final = await get('/api/health');
  const alive = child.exitCode === null && final.status === 200;
  const rss = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${serverPid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const stop = await stopServer(child);
  const stopped =
    stop.seconds !== undefined
      ? `it stopped ${stop.seconds.toFixed(1)} s after SIGTERM`
      : `it did NOT stop within ${STOP_SECONDS} s of SIGTERM and was killed (SIGKILL)`;

  const total = (c: Class) => [...byRoute.values()].reduce((a, r) => a + r[c], 0);
  const rows = [...byRoute.entries()]
    .sort(([a], [b]) => (a === 'stray' ? 1 : b === 'stray' ? -1 : a.localeCompare(b)))
    .map(
      ([route, r]) =>
        `| ${route === 'stray' ? 'undocumented paths' : `\`${route}\``} | ${classes.map((c) => r[c]).join(' | ')} |`,
    );
  const statuses = [...byStatus.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ');
  const md = `## API fuzz: no 5xx from client mistakes (issue 14)

Command: \`npm run bench:fuzz\` (BENCH_N=${N}, BENCH_CONCURRENCY=${CONCURRENCY}, BENCH_SEED=${SEED}, BENCH_HEALTH_MS=${HEALTH_MS}).
A real server process (\`reviewlens start\`, embedded stores, API keys on, rate limits out of the way, one inference
thread), ${routes.length} routes read from its OpenAPI document (\`/api/docs\`), two reviews indexed and MVSA-Single reviews in the
human review queue beforehand. ${N} requests from \`test/helpers/api-fuzz.ts\` (the in-suite property test's generator),
sent over real HTTP with \`node:http\` (paths as generated, \`..\` and bad percent-encoding included), ${CONCURRENCY} at a
time: about 40% are requests the route's schema accepts, with random values; the rest have random JSON shapes, wrong
types, missing, duplicated and extra fields (\`__proto__\` too), truncated or empty JSON, numbers beyond a double,
multipart forms broken in four ways, text/plain, x-www-form-urlencoded, XML and other content types, long,
unicode, \`..\` and out-of-range path and query parameters, another method, and a valid, narrow, forged or missing
API key. ${machineLine()}

**${total('5xx')} answers >= 500 in ${N} requests** (${total('no answer')} without an answer) in ${seconds.toFixed(0)} s; \`/api/health\`
answered 200 to ${health.ok} of ${health.probes} probes during the run (slowest ${health.maxMs.toFixed(0)} ms) and to the probe
after it; the server ${alive ? 'was still running' : 'HAD STOPPED'} at the end (peak memory ${rss.toFixed(0)} MB), and ${stopped}.

Answers by status: ${statuses}.

| route | 2xx | 3xx | 4xx | 5xx | no answer |
|---|---|---|---|---|---|
${rows.join('\n')}
| **all** | ${classes.map((c) => `**${total(c)}**`).join(' | ')} |
${
  bad.length > 0
    ? `\nAnswers >= 500 (first 10):\n\n${bad
        .slice(0, 10)
        .map((b) => `- \`${b.replace(/`/g, "'")}\``)
        .join('\n')}\n`
    : ''
}${
  noAnswer.size > 0
    ? `\nRequests without an answer, by error: ${[...noAnswer.entries()].map(([e, n]) => `${e}: ${n}`).join(', ')}.\n`
    : ''
}${health.failures.length > 0 ? `\nHealth probes that failed: ${health.failures.slice(0, 10).join('; ')}.\n` : ''}`;
  writeSection('fuzz-api', md);
  process.stdout.write(`${md}\n`);
  if (total('5xx') > 0 || !alive || health.ok < health.probes || stop.seconds === undefined) process.exitCode = 1;
} finally {
  agent.destroy();
  if (child && child.exitCode === null && child.signalCode === null) await stopServer(child);
}
