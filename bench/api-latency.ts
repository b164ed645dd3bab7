/**
 * Latency of POST /api/analyze through a real server process: text only and text + photo,
 * one client, sequential requests, one inference thread, cache disabled so every answer is computed.
 *
 *   npm run bench:api            (200 requests each; BENCH_N to change)
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { machineLine, percentile, waitForServer, writeSection } from '../src/evaluation/index.js';
import { ASSETS } from '../src/models/index.js';
import { loadEcommerce, loadMvsa, loadProductPhotos, sharedDataDir } from '../src/training/index.js';

const N = Number(process.env.BENCH_N ?? 200);
const PORT = Number(process.env.BENCH_PORT ?? 18431);
const ROOT = join(import.meta.dirname, '..');
const URL_ = `http://127.0.0.1:${PORT}`;

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
  // Product reviews (the held-out e-commerce test split) and photos: real product photos and MVSA photos in turn.
  const reviews = loadEcommerce().test.filter((e) => e.text.length <= 20_000);
  const photos = [...loadProductPhotos().map((p) => p.image), ...mvsa.map((e) => e.image as string)];
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'reviewlens.js'), 'start', '--port', String(PORT)], {
    env: {
      ...process.env,
      DATABASE_URL: 'memory://',
      REVIEWLENS_THREADS: '1',
      REVIEWLENS_CACHE_MAX_ENTRIES: '0',
      REVIEWLENS_LOG_LEVEL: 'warn',
      // No demo pool: its labeling run would share the cores with the requests being timed.
      REVIEWLENS_DEMO_POOL: 'off',
      // Latency of the analysis itself: no key checks or rate limits in the way (bench:load has them on).
      REVIEWLENS_AUTH: 'false',
      REVIEWLENS_RATE_LIMIT: 'false',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await waitForServer(child, `${URL_}/api/ready`);
    const readySeconds = (performance.now() - t0) / 1000;
    const text = await measure('text only', (i) => {
      const f = new FormData();
      f.append('text', (reviews[(i * 13) % reviews.length] as { text: string }).text);
      return f;
    });
    const photo = await measure('text + photo', (i) => {
      const e = reviews[(i * 7) % reviews.length] as { text: string };
      const f = new FormData();
      f.append('text', e.text);
      f.append(
        'image',
        new Blob([readFileSync(photos[(i * 11) % photos.length] as string)], { type: 'image/jpeg' }),
        'p.jpg',
      );
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
    const md = `## API latency and memory: POST /api/analyze (issues 2, 3 and 13)

Command: \`npm run bench:api\` (BENCH_N=${N}). A real server process (\`reviewlens start\`), embedded stores,
one inference thread, result cache off; one client sending requests one after another over loopback;
texts from the held-out e-commerce test split (\`../shared/data/ecommerce-reviews\`, product reviews of every
length), photos from \`../shared/data/product-photos\` and MVSA-Single in turn. Client time includes HTTP and multipart
parsing; server time is the answer's \`processing_time_ms\` (validation, decoding, encoders, heads).
Machine: ${machineLine()}.

| request | n | client p50 ms | client p95 ms | server p50 ms | server p95 ms | req/s (1 client) |
|---|---|---|---|---|---|---|
${rows}

Peak memory of the server process (VmHWM) after both runs: ${peakMb.toFixed(0)} MB. Model files the server
loads (MiniLM q4 ONNX + MobileNetV2 + the model artifact): ${(modelBytes / 1e6).toFixed(1)} MB. Start-up, from
spawning \`reviewlens start\` to the first 200 from \`/api/ready\` (model and encoders loaded, stores answering):
${readySeconds.toFixed(1)} s.
`;
    writeSection('api-latency', md);
    process.stdout.write(`${md}\n`);
  } finally {
    child.kill('SIGTERM');
  }
}

await main();
