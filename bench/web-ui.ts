/**
 * The web UI's weight and speed: bundle sizes (raw and gzip), how long each page takes to be usable in
 * Debian's Chromium on loopback (navigation start → the page's main control or data on screen), and the
 * Analyze page's round trip (submit → answer rendered) for text only and text + photo, on MVSA-Single reviews.
 *
 *   npm run bench:web-ui
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, DEFAULT_CHROMIUM_PATH, loadConfig } from '../src/core/index.js';
import { machineLine, percentile, writeSection } from '../src/evaluation/index.js';
import { buildServer, createContext } from '../src/server/index.js';
import { WEB_DIST } from '../src/server/web-ui.js';
import { loadMvsa, sharedDataDir } from '../src/training/index.js';

const N = Number(process.env.BENCH_N ?? 20);
const dataDir = join(process.env.TMPDIR ?? '/tmp', `reviewlens-bench-ui-${process.pid}`);
const config = loadConfig({
  env: { ...process.env, REVIEWLENS_AUTH: 'false', REVIEWLENS_RELOAD_INTERVAL_SECONDS: '0' },
  overrides: {
    dataDir,
    'models.dir': loadConfig().models.dir,
    'database.url': 'memory://',
    'server.port': 0,
    'log.level': 'silent',
  },
});

// Bundle sizes.
const assets = readdirSync(join(WEB_DIST, 'assets'))
  .filter((f) => !/\.(gz|br)$/.test(f))
  .map((f) => {
    const bytes = readFileSync(join(WEB_DIST, 'assets', f));
    return {
      f,
      raw: statSync(join(WEB_DIST, 'assets', f)).size,
      gz: gzipSync(bytes, { level: 9 }).length,
      br: brotliCompressSync(bytes).length,
    };
  });
const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;

const ctx = await createContext(config);
const app = await buildServer(ctx, { logger: false });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
const mvsa = loadMvsa(sharedDataDir());
const withPhotos = mvsa.filter((e) => e.image);
// Index 200 reviews with photos so search and similar reviews have something to find.
await ctx.retrieval!.indexer.index(
  withPhotos.slice(0, 200).map((e) => ({ text: e.text, label: e.label, image: readFileSync(e.image!) })),
);

const browser = await chromium.launch({
  executablePath: process.env.REVIEWLENS_CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH,
  args: [...CHROMIUM_FLAGS],
});

/** Milliseconds from a fresh navigation (cold cache) to `ready` being visible. */
async function pageLoad(hash: string, ready: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const t0 = performance.now();
    await page.goto(`${url}/${hash}`);
    await page.locator(ready).first().waitFor();
    out.push(performance.now() - t0);
    await context.close();
  }
  return out;
}

const loads: Array<[string, number[]]> = [
  ['Analyze (form ready)', await pageLoad('#/analyze', 'button:has-text("Analyze")')],
  ['Search (form ready)', await pageLoad('#/search', 'button:text-is("Search")')],
  ['Models (table of versions loaded)', await pageLoad('#/models', '[data-testid=model-table] tbody tr')],
  ['Pipeline (steps loaded)', await pageLoad('#/pipeline', 'input[type=checkbox]')],
];

/** Submit → answer rendered, on the Analyze page, for distinct reviews (no cache hits). */
async function analyzeRoundTrip(photo: boolean, offset: number): Promise<number[]> {
  const page = await browser.newPage();
  await page.goto(`${url}/#/analyze`);
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const e = withPhotos[offset + i]!;
    await page.getByLabel('Review text').fill(e.text);
    if (photo) await page.getByLabel('Photo (optional)').setInputFiles(e.image!);
    else if (await page.getByText('Remove photo').count()) await page.getByText('Remove photo').click();
    const before = await page.getByTestId('analysis').count();
    const t0 = performance.now();
    await page.getByRole('button', { name: 'Analyze' }).click();
    if (before) await page.getByRole('button', { name: 'Analyzing…' }).waitFor({ state: 'detached' });
    await page.getByTestId('analysis').waitFor();
    await page.getByRole('button', { name: 'Analyze' }).waitFor();
    out.push(performance.now() - t0);
  }
  await page.close();
  return out;
}
const textOnly = await analyzeRoundTrip(false, 300);
const textPhoto = await analyzeRoundTrip(true, 600);

await browser.close();
await app.close();
await ctx.close();

const row = (name: string, xs: number[]) =>
  `| ${name} | ${percentile(xs, 50).toFixed(0)} ms | ${percentile(xs, 95).toFixed(0)} ms |`;
const md = `## Web UI

\`npm run bench:web-ui\` (${machineLine()}; Debian Chromium headless on loopback, cold browser cache for page
loads, ${N} runs each; the server on its embedded defaults with 200 MVSA-Single reviews indexed).

Bundle (\`web/dist/assets\`, built by \`npm run build:web\`):

| file | raw | gzip | brotli (what a browser downloads) |
|---|---|---|---|
${assets.map((a) => `| ${a.f.replace(/-[\w-]{8}\./, '.')} | ${kb(a.raw)} | ${kb(a.gz)} | ${kb(a.br)} |`).join('\n')}

Time to usable, from navigation start (a fresh browser context each time):

| page | p50 | p95 |
|---|---|---|
${loads.map(([n, xs]) => row(n, xs)).join('\n')}

Analyze in the page, click → answer rendered (distinct MVSA-Single reviews, so no cache hits; includes the
similar-review search and the rendering of the charts):

| input | p50 | p95 |
|---|---|---|
${row('text only', textOnly)}
${row('text + photo', textPhoto)}
`;
writeSection('web-ui', md);
process.stdout.write(md);
