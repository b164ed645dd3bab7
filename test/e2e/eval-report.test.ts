import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_FLAGS, DEFAULT_CHROMIUM_PATH } from '../../src/core/index.js';
import type { EvalReport } from '../../src/evaluation/report/index.js';
import { cli } from '../helpers/cli.js';
import { ROOT, SHARED, tempDir } from '../helpers/paths.js';

/**
 * End-to-end: `reviewlens eval --report` on a small real sample (MVSA-Single test tweets with photos and
 * e-commerce test reviews), the page opened from disk in Debian's Chromium (playwright-core): what a reader
 * sees, that the page asks nothing of the network, and that it prints. Its screenshot goes to docs/screenshots.
 */
const CHROMIUM = process.env.REVIEWLENS_CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH;
const SHOTS = join(ROOT, 'docs', 'screenshots');
const dir = tempDir('reviewlens-eval-e2e-');
const reportPath = join(dir, 'report.html');
let report: EvalReport;
let browser: Browser;
let page: Page;
const requests: string[] = [];

beforeAll(async () => {
  const r = await cli(
    tempDir(),
    [
      'eval',
      '--data',
      'ecommerce-test',
      'mvsa-test',
      '--limit',
      '40',
      '--robustness-n',
      '10',
      '--photo-n',
      '3',
      '--glowing-n',
      '2',
      '--resamples',
      '200',
      '--report',
      reportPath,
      '--json',
    ],
    { REVIEWLENS_SHARED_DATA: SHARED },
  );
  if (r.code !== 0) throw new Error(`eval failed (${r.code}): ${r.stderr}`);
  report = JSON.parse(r.stdout) as EvalReport;
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('request', (req) => requests.push(req.url()));
  await page.goto(pathToFileURL(reportPath).href);
}, 480_000);

afterAll(async () => {
  await browser?.close();
});

describe('the evaluation report in a browser', () => {
  it('shows the model, the data and every section, and its screenshot goes to docs/screenshots', async () => {
    const model = `${report.model.name}@${report.model.version}`;
    await expect(page.title()).resolves.toBe(`Evaluation report: ${model}`);
    expect(await page.locator('h1').textContent()).toBe(`Evaluation report: ${model}`);
    const h2 = await page.locator('h2').allTextContents();
    expect(h2).toEqual([
      'Summary',
      'Classification',
      'Calibration',
      'Robustness',
      'Multimodal contribution',
      'Reproduce',
    ]);
    // The summary row a reader looks at first: the figures of the JSON, to 3 decimals.
    const mvsa = report.models[0]!.sets.find((s) => s.set === 'MVSA-Single test')!;
    const row = page.locator('#summary table').first().locator('tr', { hasText: 'MVSA-Single test' });
    await expect(row.textContent()).resolves.toContain(mvsa.classification.accuracy.estimate.toFixed(3));
    await expect(row.textContent()).resolves.toContain(mvsa.classification.macro_f1.estimate.toFixed(3));
    // The data table names both sets with their hash.
    const data = await page.locator('#summary table').nth(1).textContent();
    expect(data).toContain(report.data[0]!.sha256.slice(0, 16));
    expect(data).toContain('a seeded sample of 40');
    await page.screenshot({ path: join(SHOTS, 'eval-report.png') });
  });

  it('draws confusion matrices whose cells add up to the reviews scored', async () => {
    const cm = page.getByRole('img', { name: 'Confusion matrix, reviewlens-fusion' }).first();
    await expect(cm.isVisible()).resolves.toBe(true);
    const counts = await page.locator('svg.confusion').first().locator('text.cell').allTextContents();
    expect(counts).toHaveLength(9);
    expect(counts.map(Number).reduce((a, b) => a + b, 0)).toBe(40);
  });

  it('draws reliability diagrams per modality, the robustness and behaviour radars, and the modality bars', async () => {
    const rel = page.locator('svg.reliability').nth(1);
    const legend = await rel.locator('text.legend').allTextContents();
    expect(legend.map((t) => t.split(' (')[0])).toEqual(['text', 'photo', 'fused']);
    const radar = page.getByRole('img', { name: 'Robustness radar: accuracy under each perturbation' });
    await radar.scrollIntoViewIfNeeded();
    await expect(radar.isVisible()).resolves.toBe(true);
    const axes = await radar.locator('text.tick').allTextContents();
    for (const a of ['swaps 3%', 'drops 10%', 'keyboard 10%', 'casing', 'punctuation', 'blur σ=3', 'low light']) {
      expect(axes).toContain(a);
    }
    await expect(
      page.getByRole('img', { name: 'Behaviour radar: pass rate per capability' }).isVisible(),
    ).resolves.toBe(true);
    const bars = page.locator('svg.bars').first();
    expect(await bars.locator('text.tick').allTextContents()).toEqual(
      expect.arrayContaining(['text only', 'photo only', 'fused']),
    );
    await expect(page.locator('#modality').textContent()).resolves.toContain('Damaged photo under glowing text');
  });

  it('asks nothing of the network and prints', async () => {
    expect(requests).toEqual([pathToFileURL(reportPath).href]);
    await page.emulateMedia({ media: 'print' });
    await expect(page.locator('nav').isVisible()).resolves.toBe(false);
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 4).toString()).toBe('%PDF');
    await page.emulateMedia({ media: 'screen' });
    expect(readFileSync(reportPath).length).toBeLessThan(2 * 1024 * 1024);
  });
});
