/**
 * Latency of POST /api/analyze through a real server process: text only and text + photo,
 * one client, sequential requests, one inference thread, cache disabled so every answer is computed.
 *
 *   npm run bench:api            (200 requests each; BENCH_N to change)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { machineLine, percentile, writeSection } from '../src/evaluation/index.js';
import { ASSETS } from '../src/models/index.js';
import { loadMvsa, sharedDataDir } from '../src/training/index.js';

const N = Number(process.env.BENCH_N ?? 200);
const PORT = Number(process.env.BENCH_PORT ?? 18431);
const ROOT = join(import.meta.dirname, '..');
const URL_ = `http://127.0.0.1:${PORT}`;

async function waitReady(child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${URL_}/api/health`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('server did not become ready');
}

async function measure(name: string, make: (i: number) => FormData) {
  const client: number[] = [];
  const server: number[] = [];
  for (let i = -5; i < N; i++) {
    const body = make(i + 5);
    const t0 = performance.now();
    const res = await fetch(`${URL_}/api/analyze`, { method: 'POST', body });
    const json = (await res.json()) as { processing_time_ms: number; cached: boolean };
    const dt = performance.now() - t0;
    if (!res.ok) throw new Error(`${name}: HTTP ${res.status} ${JSON.stringify(json)}`);
    if (json.cached) throw new Error('benchmark expects the cache to be off');
    if (i >= 0) {
      client.push(dt);
      server.push(json.processing_time_ms);
    }
  }
  const f = (xs: number[], q: number) => percentile(xs, q).toFixed(1);
  return {
    name,
    p50: f(client, 50),
    p95: f(client, 95),
    s50: f(server, 50),
    s95: f(server, 95),
    rps: (1000 / (client.reduce((a, b) => a + b, 0) / client.length)).toFixed(1),
  };
}

async function main() {
  const mvsa = loadMvsa(sharedDataDir());
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'reviewlens.js'), 'start', '--port', String(PORT)], {
    env: {
      ...process.env,
      DATABASE_URL: 'memory://',
      REVIEWLENS_THREADS: '1',
      REVIEWLENS_CACHE_MAX_ENTRIES: '0',
      REVIEWLENS_LOG_LEVEL: 'warn',
      // Latency of the analysis itself: no key checks or rate limits in the way (bench:load has them on).
      REVIEWLENS_AUTH: 'false',
      REVIEWLENS_RATE_LIMIT: 'false',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await waitReady(child);
    const text = await measure('text only', (i) => {
      const f = new FormData();
      f.append('text', (mvsa[i % mvsa.length] as { text: string }).text);
      return f;
    });
    const photo = await measure('text + photo', (i) => {
      const e = mvsa[(i * 7) % mvsa.length] as { text: string; image: string };
      const f = new FormData();
      f.append('text', e.text);
      f.append('image', new Blob([readFileSync(e.image)], { type: 'image/jpeg' }), 'p.jpg');
      return f;
    });
    // Peak resident memory of the server process (Linux: VmHWM), after both runs.
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const peakMb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    const modelBytes =
      ASSETS.filter((a) => a.name === 'all-MiniLM-L6-v2' || a.name === 'mobilenet_v2-nsfwjs')
        .flatMap((a) => a.files)
        .reduce((acc, f) => acc + f.bytes, 0) + statSync(join(ROOT, 'artifacts', 'reviewlens-fusion.json')).size;
    const rows = [text, photo]
      .map((r) => `| ${r.name} | ${N} | ${r.p50} | ${r.p95} | ${r.s50} | ${r.s95} | ${r.rps} |`)
      .join('\n');
    const md = `## API latency and memory: POST /api/analyze (issues 2 and 3)

Command: \`npm run bench:api\` (BENCH_N=${N}). A real server process (\`reviewlens start\`), embedded stores,
one inference thread, result cache off; one client sending requests one after another over loopback;
texts and photos from MVSA-Single (\`../shared/data/mvsa-single\`). Client time includes HTTP and multipart
parsing; server time is the answer's \`processing_time_ms\` (validation, decoding, encoders, heads).
Machine: ${machineLine()}.

| request | n | client p50 ms | client p95 ms | server p50 ms | server p95 ms | req/s (1 client) |
|---|---|---|---|---|---|---|
${rows}

Peak memory of the server process (VmHWM) after both runs: ${peakMb.toFixed(0)} MB. Model files the server
loads (MiniLM q4 ONNX + MobileNetV2 + the model artifact): ${(modelBytes / 1e6).toFixed(1)} MB.
`;
    writeSection('api-latency', md);
    process.stdout.write(`${md}\n`);
  } finally {
    child.kill('SIGTERM');
  }
}

await main();
