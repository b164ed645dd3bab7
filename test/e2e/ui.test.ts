import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewContentId } from '../../src/core/ids.js';
import { CHROMIUM_FLAGS, DEFAULT_CHROMIUM_PATH } from '../../src/core/index.js';
import { importReviewsJsonl, LabelQueue } from '../../src/labeling/index.js';
import { WEB_DIST } from '../../src/server/web-ui.js';
import {
  loadSourceReviews,
  parseSyntheticRecord,
  RecombineGenerator,
  saveValidatorReport,
  synthesize,
  validateSynthetic,
} from '../../src/synthesis/index.js';
import { loadProductPhotos } from '../../src/training/index.js';
import { mvsaImage, mvsaRows } from '../helpers/mvsa.js';
import { MVSA_IMAGES, ROOT, SHARED, tempDir } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/**
 * End-to-end: the built web UI in Debian's Chromium (driven by playwright-core) against the real server
 * with API keys on. Each test asserts what the page shows; each page's screenshot goes to docs/screenshots.
 */
const CHROMIUM = process.env.REVIEWLENS_CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH;
const SHOTS = join(ROOT, 'docs', 'screenshots');

const mvsa = mvsaRows();
const imagePath = mvsaImage;
/** MVSA-Single #86: kept out of the indexed sample. */
const MISMATCH = mvsa.find((r) => r.id === '86')!;
/** The seed's signature case: glowing text under a photo of a damaged product (chosen in the test). */
const GLOWING = 'This is perfect! Love it, five stars.';

let server: RunningServer;
let browser: Browser;
let adminKey: string;

/** What the server's Content-Security-Policy blocked, as Chromium reports it on the console (should be nothing). */
const cspViolations: string[] = [];

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => {
    throw e;
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  return page;
}

async function withKey(page: Page): Promise<void> {
  await page.goto(`${server.url}/`);
  await page.evaluate((k) => localStorage.setItem('reviewlens.apiKey', k), adminKey);
  await page.reload();
}

beforeAll(async () => {
  if (!existsSync(join(WEB_DIST, 'index.html'))) {
    execFileSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts'], { cwd: ROOT, stdio: 'inherit' });
  }
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer({
    REVIEWLENS_AUTH: 'true',
    // The Models page test runs the evaluate step: a small evaluation keeps it light.
    REVIEWLENS_PIPELINE_EVALUATE_SAMPLE: '20',
    REVIEWLENS_PIPELINE_EVALUATE_ROBUSTNESS_N: '5',
    REVIEWLENS_PIPELINE_EVALUATE_PHOTO_N: '2',
    REVIEWLENS_PIPELINE_EVALUATE_GLOWING_N: '1',
  });
  adminKey = (await server.ctx.keys.create({ name: 'e2e-admin', scopes: ['admin'] })).key;
  // A small real index: 40 MVSA-Single reviews with their photos, for search and similar reviews.
  const sample = mvsa.filter((r) => r.id !== MISMATCH.id).slice(0, 40);
  const rep = await server.ctx.retrieval!.indexer.index(
    sample.map((r) => ({ text: r.text, label: r.label, source: 'mvsa-single', image: readFileSync(imagePath(r)) })),
  );
  expect(rep.added).toBe(40);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_FLAGS],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('web UI', () => {
  it('says clearly that a key is needed, and keeps the key in the browser once entered', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/#/analyze`);
    await page.getByLabel('Review text').fill('Works as described.');
    await page.getByRole('button', { name: 'Analyze' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('This server needs an API key');

    await page.getByRole('textbox', { name: 'API key' }).fill('rl_wrongwrong_notakey');
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.getByRole('button', { name: 'Analyze' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('was not accepted');

    await page.getByRole('button', { name: 'Forget key' }).click();
    await page.getByRole('textbox', { name: 'API key' }).fill(adminKey);
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.reload();
    expect(await page.evaluate(() => localStorage.getItem('reviewlens.apiKey'))).toBe(adminKey);
    await expect.poll(() => page.locator('.keybar').textContent()).toContain('saved in this browser');
    await page.close();
  });

  it('analyzes a review with a real photo: sentiment, bars, evidence, mismatch warning, similar reviews', async () => {
    // A damaged product photo the shipped damaged-product check is sure of (it flags only those).
    const analyzeApi = async (text: string, path: string) => {
      const f = new FormData();
      f.append('text', text);
      f.append('image', new Blob([new Uint8Array(readFileSync(path))]), 'photo.jpg');
      const res = await fetch(`${server.url}/api/analyze`, {
        method: 'POST',
        body: f,
        headers: { authorization: `Bearer ${adminKey}` },
      });
      return (await res.json()) as {
        sentiment: string;
        mismatch: boolean;
        similar_reviews: unknown[];
        evidence: { photo_damage?: { damaged: boolean } };
      };
    };
    let photoPath = '';
    for (const p of loadProductPhotos().filter((x) => x.condition === 'damaged')) {
      if ((await analyzeApi(GLOWING, p.image)).evidence.photo_damage?.damaged) {
        photoPath = p.image;
        break;
      }
    }
    expect(photoPath).not.toBe('');
    const page = await newPage();
    await withKey(page);
    await page.goto(`${server.url}/#/analyze`);
    await page.getByLabel('Review text').fill(GLOWING);
    await page.getByLabel('Photo (optional)').setInputFiles(photoPath);
    await expect.poll(() => page.getByAltText('Preview of the chosen file').count()).toBe(1);
    await page.getByLabel('Review text').press('Control+Enter');
    const result = page.getByTestId('analysis');
    await result.waitFor();

    // The page shows what the API answers for the same review: negative, the photo overruling the text.
    const api = await analyzeApi(GLOWING, photoPath);
    expect(api.sentiment).toBe('negative');
    const head = await result.locator('h2').first().textContent();
    expect(head).toContain(api.sentiment);
    expect(await result.textContent()).toContain('text + photo');
    expect(await result.locator('figcaption').allTextContents()).toEqual(
      expect.arrayContaining([
        'Answer (calibrated)',
        expect.stringMatching(/^Text evidence: /),
        expect.stringMatching(/^Photo evidence: /),
      ]),
    );
    // Three charts (answer, text, photo), one bar per class each: a bar of 0% draws no rectangle, so the
    // chart's text alternative is what is counted.
    const charts = result.locator('figure.scorebars');
    expect(await charts.count()).toBeGreaterThanOrEqual(3);
    for (const t of await charts.locator('p.sr-only').allTextContents()) {
      expect(t).toMatch(/^negative [\d.]+%, neutral [\d.]+%, positive [\d.]+%$/);
    }
    expect(await result.locator('.recharts-bar-rectangle').count()).toBeGreaterThanOrEqual(3);
    expect(api.mismatch).toBe(true);
    expect(await page.getByTestId('mismatch').textContent()).toContain('Text and photo disagree');
    expect(await page.getByTestId('reasons').textContent()).toMatch(/photo shows a damaged product/);
    expect(api.similar_reviews.length).toBeGreaterThan(0);
    expect(await result.locator('.hits .hit').count()).toBe(api.similar_reviews.length);
    const thumb = result.locator('.hits img.thumb').first();
    await thumb.waitFor();
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'analyze.png'), fullPage: true });
    await page.close();
  });

  it('shows the server’s clear message for a file that is not an image, and no stale answer', async () => {
    const page = await newPage();
    await withKey(page);
    await page.goto(`${server.url}/#/analyze`);
    await page.getByLabel('Review text').fill('Looks fine in the photo');
    await page
      .getByLabel('Photo (optional)')
      .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('%PDF-1.4 not a photo at all') });
    await page.getByRole('button', { name: 'Analyze' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/image is not a supported image/);
    expect(await page.getByTestId('analysis').count()).toBe(0);
    await page.close();
  });

  it('searches with filters, shows per-stage scores and pages through results', async () => {
    const page = await newPage();
    await withKey(page);
    await page.goto(`${server.url}/#/search`);
    await page.getByLabel('Query').fill('happy day with friends');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const results = page.getByTestId('search-results');
    await results.waitFor();
    const hits = results.locator('.hit');
    expect(await hits.count()).toBe(10);
    expect(await results.textContent()).toMatch(/Results 1–10 of about \d+/);
    expect(await hits.first().locator('dt').allTextContents()).toEqual(
      expect.arrayContaining(['fused', 'text vector']),
    );
    const firstPage = await hits.first().locator('p').textContent();
    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => results.textContent()).toMatch(/Results 11–/);
    expect(await hits.first().locator('p').textContent()).not.toBe(firstPage);

    await page.getByLabel('Sentiment').selectOption('negative');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => results.textContent()).toMatch(/Results 1–/);
    const badges = await results.locator('.hit .badge').allTextContents();
    expect(badges.length).toBeGreaterThan(0);
    expect(new Set(badges)).toEqual(new Set(['negative']));
    await page.screenshot({ path: join(SHOTS, 'search.png'), fullPage: true });
    await page.close();
  });

  it('labels one queue item with one keystroke and shows the progress and who labelled it', async () => {
    // A real queue: 60 MVSA-Single reviews from the unlabelled pool, labelled and gated by the label step.
    const pool = join(tempDir(), 'pool.jsonl');
    writeFileSync(
      pool,
      readFileSync(join(SHARED, 'mvsa-single', 'unlabeled.jsonl'), 'utf8')
        .split('\n')
        .slice(0, 60)
        .join('\n'),
    );
    const imported = await importReviewsJsonl(server.ctx.meta, server.ctx.blobs, { data: pool, images: MVSA_IMAGES });
    expect(imported.inserted).toBe(60);
    const run = await server.ctx.pipeline!.wait((await server.ctx.pipeline!.start({ steps: ['label'] })).id);
    expect(run.status).toBe('succeeded');
    const queue = new LabelQueue(server.ctx.meta);
    const pending = (await queue.counts()).pending;
    expect(pending).toBeGreaterThan(0);

    const page = await newPage();
    await withKey(page);
    await page.goto(`${server.url}/#/queue`);
    const item = page.getByTestId('queue-item');
    await item.waitFor();
    const text = await item.locator('.review-text').textContent();
    expect(await item.locator('.votes tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('main').textContent()).toContain(`0 of ${pending} queued reviews decided`);
    const shown = (await queue.list({ status: 'pending' })).items.find((i) => i.text === text)!;
    expect(shown.assignee).toBe('e2e-admin');

    await page.keyboard.press('p');
    await expect.poll(() => page.locator('main').textContent()).toContain('Labelled positive.');
    await expect.poll(() => page.locator('main').textContent()).toContain(`1 of ${pending} queued reviews decided`);
    const review = await server.ctx.meta.reviews.get(shown.review_id);
    expect(review).toMatchObject({ label: 'positive', labelSource: 'human' });
    const labelled = await queue.get(shown.id);
    expect(labelled).toMatchObject({ status: 'labelled', human_label: 'positive', labelled_by: 'e2e-admin' });
    await expect.poll(() => page.getByTestId('labellers').textContent()).toMatch(/e2e-admin\s*1\s*0/);
    expect(await page.locator('.recent').textContent()).toContain('by e2e-admin');
    expect(await item.locator('.review-text').textContent()).not.toBe(text);
    await page.screenshot({ path: join(SHOTS, 'queue.png'), fullPage: true });
    await page.close();
  });

  it('lists models with their metrics and opens a version’s evaluation report', async () => {
    const page = await newPage();
    await withKey(page);
    await page.goto(`${server.url}/#/models`);
    const table = page.getByTestId('model-table');
    await table.waitFor();
    const model = server.ctx.service.model;
    expect(await table.textContent()).toContain(`${model.name}@${model.version}`);
    expect(await table.locator('.chip-production').count()).toBe(1);
    // No stored evaluation report yet: no link to one.
    const reportLink = table.getByRole('link', { name: 'HTML evaluation report (opens in a new tab)' });
    expect(await reportLink.count()).toBe(0);
    await page.getByRole('button', { name: 'Make staging' }).click();
    await expect.poll(() => table.locator('.chip-staging').count()).toBe(1);
    expect(await server.ctx.registry.alias('staging')).toEqual({ name: model.name, version: model.version });

    // The pipeline's evaluate step stores the model's report; the page then links it, and the link opens the
    // self-contained page in a new tab without an API key, under its own policy (nothing blocked).
    const ref = `${model.name}@${model.version}`;
    const evaluated = await server.ctx.pipeline!.wait(
      (await server.ctx.pipeline!.start({ steps: ['evaluate'], params: { candidate: ref } })).id,
    );
    expect(evaluated.steps[0]!.status, JSON.stringify(evaluated.steps[0])).toBe('succeeded');
    await page.reload();
    await table.waitFor();
    await reportLink.waitFor();
    expect(await reportLink.getAttribute('href')).toMatch(/^\/api\/reports\/[0-9a-f]{64}$/);
    // In the candidate's row, with its figures in the tooltip.
    const linkName = 'HTML evaluation report (opens in a new tab)';
    expect(await table.locator('tr', { has: page.getByRole('link', { name: linkName }) }).textContent()).toContain(ref);
    expect(await reportLink.getAttribute('title')).toMatch(/^macro-F1 0\.\d{3} on 20 held-out reviews$/);
    await page.screenshot({ path: join(SHOTS, 'models.png'), fullPage: true });
    const popupCsp: string[] = [];
    page.context().on('console', (m) => {
      if (m.page() !== page && /Content Security Policy/i.test(m.text())) popupCsp.push(m.text());
    });
    const [popup] = await Promise.all([page.waitForEvent('popup'), reportLink.click()]);
    await popup.waitForLoadState();
    expect(await popup.title()).toBe(`Evaluation report: ${ref}`);
    expect(await popup.locator('h2').first().textContent()).toBe('Summary');
    // The inline style applied (the report's own CSS sets the page's font size; unstyled it would be 16px).
    expect(await popup.evaluate(() => getComputedStyle(document.body).fontSize)).toBe('14px');
    expect(popupCsp).toEqual([]);
    await popup.close();
    await page.getByRole('link', { name: `${model.name}@${model.version}` }).click();
    await page.getByRole('heading', { name: /Evaluation report/ }).waitFor();
    expect(await page.locator('main').textContent()).toMatch(/macro-F1 0\.\d{3}/);
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'model-report.png'), fullPage: true });
    await page.close();
  });

  it('starts a pipeline run and shows its steps, progress and log', async () => {
    const page = await newPage();
    await withKey(page);
    await page.goto(`${server.url}/#/pipeline`);
    await page.getByRole('button', { name: 'Start run' }).waitFor();
    // Only the index step: labelling is covered above, and training would need more labelled reviews.
    for (const box of await page.getByRole('checkbox').all()) {
      const label = await box.evaluate((el) => el.parentElement?.textContent ?? '');
      if (!label.startsWith('index')) await box.uncheck();
    }
    await page.getByRole('button', { name: 'Start run' }).click();
    const detail = page.getByTestId('run-detail');
    await detail.waitFor();
    await expect.poll(() => detail.locator('h2').textContent(), { timeout: 180_000 }).toMatch(/: succeeded$/);
    expect(await detail.locator('pre.log').textContent()).toContain('index: done');
    await expect.poll(() => page.getByTestId('runs').textContent()).toContain('index 100%');
    await page.screenshot({ path: join(SHOTS, 'pipeline.png'), fullPage: true });
    await page.close();
  });

  it('shows the synthesis page: empty states, then stored synthetic reviews and the validator per generator', async () => {
    const page = await newPage();
    await withKey(page);
    await page.goto(`${server.url}/#/synthesis`);
    const validator = page.getByTestId('validator');
    await validator.waitFor();
    expect(await validator.textContent()).toContain('No validator report yet');
    expect(await page.getByTestId('synthetic-samples').textContent()).toContain(
      'No synthetic reviews in the store yet',
    );

    // Real recombined reviews stored as synthetic, and a validator report saved as `synth validate --save` does.
    const corpus = loadSourceReviews(SHARED);
    const { reviews } = await synthesize(
      { count: 10, sentiment: 'positive', category: 'Tops', seed: 21 },
      { generator: new RecombineGenerator(corpus), corpus },
    );
    await server.ctx.meta.reviews.insertMany(
      reviews.map((r) => ({
        id: reviewContentId({ text: r.text }),
        text: r.text,
        source: 'synthetic',
        label: r.sentiment,
        labelSource: 'synthetic',
        provenance: { generator: r.generator, seed: r.seed },
      })),
    );
    const report = await validateSynthetic(
      reviews.map((r) => parseSyntheticRecord(r, r.id)),
      corpus,
      { embedder: server.ctx.encoders!.text, folds: 2, topN: 2, resamples: 200, syntheticSource: 'e2e.jsonl' },
    );
    saveValidatorReport(server.ctx.config.dataDir, report);
    await page.reload();
    const table = page.getByTestId('validator-table');
    await table.waitFor();
    const row = await table.locator('tbody tr').first().textContent();
    expect(row).toMatch(/^recombine10\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]/);
    expect(await validator.textContent()).toContain('Most real-looking recombine reviews');
    const samples = page.getByTestId('synthetic-samples');
    expect(await samples.textContent()).toContain('The 10 most recent of 10 stored with source synthetic');
    expect(await samples.locator('li').count()).toBe(10);
    await page.screenshot({ path: join(SHOTS, 'synthesis.png'), fullPage: true });
    await page.close();
  });

  it('runs under the strict Content-Security-Policy: every page above worked and the browser blocked nothing', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(cspViolations).toEqual([]);
  });
});
