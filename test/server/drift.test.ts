import { existsSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_FLAGS, DEFAULT_CHROMIUM_PATH } from '../../src/core/index.js';
import { ECOMMERCE_SPLIT_PATH, loadStarSet, stableShare } from '../../src/training/ecommerce.js';
import { SHARED } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/**
 * Drift on the real server: real e-commerce reviews the model never trained on (the test split) keep PSI low; a
 * shifted stream (short one-line reviews) raises text-length PSI past the threshold, shows in /metrics and
 * /api/drift, and the trigger starts a pipeline run (once per cool-down).
 */
describe('drift monitoring', () => {
  let srv: RunningServer;
  const N = 150;
  beforeAll(async () => {
    srv = await startServer({
      REVIEWLENS_DRIFT_WINDOW: String(N),
      REVIEWLENS_DRIFT_MIN_SAMPLES: String(N),
      REVIEWLENS_DRIFT_TRIGGER_PIPELINE: 'true',
      REVIEWLENS_DRIFT_TRIGGER_STEPS: 'index',
      REVIEWLENS_DRIFT_CHECK_INTERVAL_SECONDS: '3600',
      REVIEWLENS_SIMILAR_K: '0',
    });
  }, 120_000);
  afterAll(async () => srv?.close());

  const analyze = async (text: string) => {
    const r = await fetch(`${srv.url}/api/analyze`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    expect(r.status).toBe(200);
  };
  const drift = async () => (await (await fetch(`${srv.url}/api/drift`)).json()) as Record<string, any>;
  const psiMetric = async (feature: string) => {
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    const m = text.match(new RegExp(`^reviewlens_drift_psi\\{feature="${feature}"\\} (\\S+)$`, 'm'));
    return m ? Number(m[1]) : undefined;
  };

  it('warms up, then stays below the threshold on held-out real reviews of the same shops', async () => {
    const first = await drift();
    expect(first.status).toBe('warming_up');
    expect(first.reference.n).toBe(1500);
    expect(await psiMetric('confidence')).toBeUndefined();
    const test = new Set((JSON.parse(readFileSync(ECOMMERCE_SPLIT_PATH, 'utf8')) as { test: string[] }).test);
    const reviews = stableShare(
      ['marc', 'womens-clothing'].flatMap((s) => loadStarSet(s as 'marc', SHARED)).filter((r) => test.has(r.id)),
      0.2,
      'drift-test',
    ).slice(0, N);
    expect(reviews).toHaveLength(N);
    for (const r of reviews) await analyze(r.text);
    const rep = await drift();
    expect(rep.window.n).toBe(N);
    expect(rep.status).toBe('ok');
    for (const f of ['predicted_class', 'confidence', 'text_length', 'photo_share', 'mismatch_rate']) {
      expect(rep.features[f].psi).toBeLessThan(0.25);
    }
    expect(await psiMetric('text_length')).toBe(rep.features.text_length.psi);
    expect(await srv.ctx.driftTrigger!.check()).toBeUndefined();
  }, 300_000);

  it('flags short one-line reviews as drift and starts one pipeline run per cool-down', async () => {
    const words = ['great', 'bad', 'ok', 'love it', 'broken', 'fine', 'meh', 'superb', 'awful', 'works'];
    for (let i = 0; i < N; i++) await analyze(`${words[i % words.length]} ${i}`);
    const rep = await drift();
    expect(rep.status).toBe('drift');
    expect(rep.drifted).toContain('text_length');
    expect(rep.features.text_length.live[0]).toBe(1); // every review in the shortest reference decile
    expect(await psiMetric('text_length')).toBeGreaterThan(0.25);

    const id = await srv.ctx.driftTrigger!.check();
    expect(id).toBeTypeOf('number');
    const run = await srv.ctx.pipeline!.wait(id!);
    expect(run.requestedBy).toBe('drift');
    expect(run.steps.map((s) => s.name)).toEqual(['index']);
    expect(run.params).toMatchObject({ drift: { drifted: expect.arrayContaining(['text_length']), threshold: 0.25 } });
    // Within the cool-down (a day by default) no second run.
    expect(await srv.ctx.driftTrigger!.check()).toBeUndefined();
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    expect(metrics).toMatch(/^reviewlens_drift_triggered_runs_total 1$/m);
    expect(metrics).toMatch(/^reviewlens_drift_reference_loaded 1$/m);
  }, 300_000);

  it('shows the PSI of each feature on the Models page, with the drifted ones named', async () => {
    const path = process.env.REVIEWLENS_CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH;
    if (!existsSync(path)) return; // the UI end-to-end tests need Debian's chromium
    const browser = await chromium.launch({ executablePath: path, args: [...CHROMIUM_FLAGS] });
    try {
      const page = await browser.newPage();
      await page.goto(`${srv.url}/#/models`);
      const table = page.getByTestId('drift-table');
      await table.waitFor({ timeout: 30_000 });
      const rows = await table.locator('tbody tr').allInnerTexts();
      expect(rows).toHaveLength(5);
      expect(rows.find((r) => r.startsWith('text length'))).toMatch(/drifted/);
      await expect(page.getByTestId('drift').getByRole('status').first().textContent()).resolves.toMatch(
        /Drift: .*text length/,
      );
    } finally {
      await browser.close();
    }
  }, 120_000);
});
