import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_STEPS, PipelineRunner, promoteStep, type RunView } from '../../src/pipeline/index.js';
import { BUNDLED_ARTIFACT } from '../../src/server/context.js';
import { REPORT_CSP } from '../../src/server/report-routes.js';
import { PRODUCTION, reportGateDecision, type StoredReport } from '../../src/training/index.js';
import { mvsaRows, storeMvsaReviews } from '../helpers/mvsa.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/**
 * The `evaluate` step on the real server, models and data: 40 MVSA-Single reviews (text + photo, gold labels) in
 * the store, of which 20 are the candidate's held-out split, and a sample of the real e-commerce test split. The
 * candidate is the bundled model under a new version whose recorded evaluation names those 20 stored reviews (as
 * `train` records it when it adapts the model to the store; the real trainer runs in train-step.test.ts). Then the
 * report routes, and the promotion gate reading the report (`training.gate.useReport`).
 */
const bundled = JSON.parse(readFileSync(BUNDLED_ARTIFACT, 'utf8')) as {
  name: string;
  version: string;
  metrics: { gate_eval: { set: string; ids: string[]; labels: number[]; predictions: number[] } };
};
const LABELS = ['negative', 'neutral', 'positive'];
const VERSION = '9.2.0+evaluate';
const CANDIDATE = `${bundled.name}@${VERSION}`;

let server: RunningServer;
let key: string;
let heldOut: string[];

beforeAll(async () => {
  server = await startServer({
    REVIEWLENS_AUTH: 'true',
    // A small evaluation keeps the test light (the defaults are documented in docs/pipeline.md).
    REVIEWLENS_PIPELINE_EVALUATE_SAMPLE: '30',
    REVIEWLENS_PIPELINE_EVALUATE_ROBUSTNESS_N: '8',
    REVIEWLENS_PIPELINE_EVALUATE_PHOTO_N: '3',
    REVIEWLENS_PIPELINE_EVALUATE_GLOWING_N: '2',
  });
  key = (await server.ctx.keys.create({ name: 'reader', scopes: ['analyze'] })).key;
  const rows = mvsaRows().slice(0, 40);
  const { inserted } = await storeMvsaReviews(server.ctx, rows);
  expect(inserted).toHaveLength(40);
  heldOut = inserted.slice(20);
  const a = structuredClone(bundled);
  a.version = VERSION;
  const labels = rows.slice(20).map((r) => LABELS.indexOf(r.label));
  a.metrics.gate_eval = { set: 'store:40-test:0123456789ab', ids: heldOut, labels, predictions: labels };
  await server.ctx.registry.register(Buffer.from(JSON.stringify(a)), 'test');
}, 120_000);
afterAll(async () => {
  await server?.close();
});

const run = async (params: Record<string, unknown>, steps = ['evaluate']): Promise<RunView> =>
  server.ctx.pipeline!.wait((await server.ctx.pipeline!.start({ steps, params })).id);

type Out = {
  candidate: string;
  reused: boolean;
  report: string;
  against: string | null;
  n: number;
  macro_f1: { estimate: number; low: number; high: number };
  sets: Array<{ set: string; n: number; difference: { estimate: number; low: number; high: number } | null }>;
  created_at: string;
};

describe('pipeline evaluate step', () => {
  it('runs after train and before promote', () => {
    const names = PIPELINE_STEPS.map((s) => s.name);
    expect(names.indexOf('evaluate')).toBe(names.indexOf('train') + 1);
    expect(names.indexOf('promote')).toBe(names.indexOf('evaluate') + 1);
  });

  it('skips with its reason when the run registered no candidate', async () => {
    const r = await run({});
    expect(r.status).toBe('succeeded');
    expect(r.steps[0]).toMatchObject({
      status: 'skipped',
      message: 'no candidate: the train step registered no model in this run',
    });
  });

  let first: Out;
  it("evaluates the candidate on the store's held-out reviews and the e-commerce test split, against production, and stores the report", async () => {
    const r = await run({ candidate: CANDIDATE });
    expect(r.status, JSON.stringify(r.steps[0])).toBe('succeeded');
    first = r.steps[0]!.output as unknown as Out;
    expect(first).toMatchObject({
      candidate: CANDIDATE,
      reused: false,
      against: `${bundled.name}@${bundled.version}`,
      report: `/api/models/${bundled.name}/${encodeURIComponent(VERSION)}/report`,
      n: 50,
    });
    expect(first.sets.map((s) => [s.set, s.n])).toEqual([
      ['store: held-out reviews', 20],
      ['e-commerce test (star-balanced)', 30],
    ]);
    // The candidate is production's model under another version: every answer is the same, the difference 0.
    for (const s of first.sets) expect(s.difference).toEqual({ estimate: 0, low: 0, high: 0 });
    expect(first.macro_f1.low).toBeLessThanOrEqual(first.macro_f1.estimate);

    const stored = (await server.ctx.registry.report(bundled.name, VERSION)) as StoredReport;
    expect(stored.runId).toBe(r.id);
    const html = (await server.ctx.blobs.get(stored.htmlBlob)).toString('utf8');
    expect(html).toContain(`<title>Evaluation report: ${CANDIDATE}</title>`);
    expect(html).toContain(`Compared with production ${bundled.name}@${bundled.version}`);
    expect(html).not.toMatch(/<script/i);
    const json = JSON.parse((await server.ctx.blobs.get(stored.jsonBlob)).toString('utf8')) as {
      model: { version: string };
      data: Array<{ name: string; sha256: string; n: number }>;
      runs: Array<{ items: Array<{ id: string; photo: string }> }>;
    };
    expect(json.model.version).toBe(VERSION);
    expect(json.runs).toHaveLength(2);
    const storeItems = json.runs[0]!.items.filter((i) => heldOut.includes(i.id));
    expect(storeItems).toHaveLength(20);
    expect(storeItems.every((i) => i.photo === 'used')).toBe(true);
    expect(stored.summary.data).toEqual(json.data.map((d) => ({ name: d.name, sha256: d.sha256, n: d.n })));
    const log = (await server.ctx.pipeline!.store.logs(r.id)).map((l) => l.message);
    expect(log).toContain('store: held-out reviews: 20 reviews (20 with a photo)');
    expect(log.some((m) => m.startsWith(`report stored for ${CANDIDATE}: macro-F1 `))).toBe(true);
  }, 600_000);

  it('reuses the stored report when run again for the same version, and makes a new one with reevaluate', async () => {
    const before = (await server.ctx.registry.report(bundled.name, VERSION)) as StoredReport;
    const again = await run({ candidate: CANDIDATE });
    expect(again.steps[0]!.output).toMatchObject({ reused: true, created_at: first.created_at, n: 50 });
    expect((await server.ctx.registry.report(bundled.name, VERSION))?.htmlBlob).toBe(before.htmlBlob);
    expect((await server.ctx.registry.reports()).filter((x) => x.version === VERSION)).toHaveLength(1);

    const redo = await run({ candidate: CANDIDATE, reevaluate: true });
    expect(redo.steps[0]!.output).toMatchObject({ reused: false, n: 50 });
    const after = (await server.ctx.registry.report(bundled.name, VERSION)) as StoredReport;
    expect(after.runId).toBe(redo.id);
    // Same data, seeds and models: the same figures.
    expect(after.summary.macro_f1).toEqual(before.summary.macro_f1);
    expect((await server.ctx.registry.reports()).filter((x) => x.version === VERSION)).toHaveLength(1);
  }, 600_000);
});

describe('report routes', () => {
  const get = (path: string, withKey = true) =>
    fetch(`${server.url}${path}`, withKey ? { headers: { authorization: `Bearer ${key}` } } : {});
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

  it('GET /api/models/:name/:version/report: the HTML page (or its run JSON) under a strict policy', async () => {
    const path = `/api/models/${bundled.name}/${encodeURIComponent(VERSION)}/report`;
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toBe(REPORT_CSP);
    expect(await res.text()).toContain(`Evaluation report: ${CANDIDATE}`);
    const json = await get(`${path}?format=json`);
    expect(json.status).toBe(200);
    expect(((await json.json()) as { model: { version: string } }).model.version).toBe(VERSION);
    expect((await get(path, false)).status).toBe(401);
  });

  it('answers 404 with a clear JSON error when there is no report, and 400 for a malformed request; never 5xx', async () => {
    const none = await get(`/api/models/${bundled.name}/${encodeURIComponent(bundled.version)}/report`);
    expect(none.status).toBe(404);
    expect(none.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await errorOf(none)).message).toBe(
      `model ${bundled.name}@${bundled.version} has no evaluation report: run the pipeline step evaluate with candidate ${bundled.name}@${bundled.version}`,
    );
    const unknown = await get(`/api/models/${bundled.name}/0.0.0-nope/report`);
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).message).toBe(`model ${bundled.name}@0.0.0-nope is not registered`);
    for (const [bad, status] of [
      [`/api/models/${bundled.name}/${encodeURIComponent('1.0 beta')}/report`, 400],
      [`/api/models/${bundled.name}/${encodeURIComponent('../../etc')}/report`, 400],
      [`/api/models/${bundled.name}/-leading-dash/report`, 400],
      // Longer than the router takes in a path parameter (100): refused before any route (414 URI Too Long).
      [`/api/models/${bundled.name}/${'9'.repeat(101)}/report`, 414],
      [`/api/models/${bundled.name}/${encodeURIComponent(VERSION)}/report?format=xml`, 400],
      ['/api/reports/not-a-sha', 400],
    ] as const) {
      const res = await get(bad);
      expect(res.status, bad).toBe(status);
      expect((await errorOf(res)).message, bad).toBeTruthy();
    }
    const missing = await get(`/api/reports/${'0'.repeat(64)}`, false);
    expect(missing.status).toBe(404);
  });

  it('GET /api/models says which versions have a report and links the page, which opens without a key', async () => {
    const res = await get('/api/models');
    const list = (await res.json()) as {
      versions: Array<{ version: string; report: { url: string; path: string; against: string | null } | null }>;
    };
    const cand = list.versions.find((v) => v.version === VERSION)!;
    const prod = list.versions.find((v) => v.version === bundled.version)!;
    expect(prod.report).toBeNull();
    const stored = (await server.ctx.registry.report(bundled.name, VERSION)) as StoredReport;
    expect(cand.report).toMatchObject({
      url: `/api/reports/${stored.htmlBlob}`,
      path: `/api/models/${bundled.name}/${encodeURIComponent(VERSION)}/report`,
      against: `${bundled.name}@${bundled.version}`,
    });
    const page = await get(cand.report!.url, false);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(REPORT_CSP);
    expect(await page.text()).toContain(`Evaluation report: ${CANDIDATE}`);
    // Only a report's page is served there: the model artifact's blob is not.
    const artifactBlob = (await server.ctx.meta.getModelVersion(bundled.name, VERSION))!.artifactBlob;
    expect((await get(`/api/reports/${artifactBlob}`, false)).status).toBe(404);
  });
});

describe('the promotion gate with the report (training.gate.useReport)', () => {
  const report = (low: number, diffHigh: number | null, against = `${bundled.name}@${bundled.version}`) => {
    const [name, version] = [against.slice(0, against.indexOf('@')), against.slice(against.indexOf('@') + 1)];
    return {
      format: 'reviewlens.report-summary/1' as const,
      model: { name: bundled.name, version: VERSION },
      against: diffHigh === null ? null : { name, version },
      created_at: '2026-01-01T00:00:00.000Z',
      n: 50,
      accuracy: { estimate: 0.7, low: 0.6, high: 0.8 },
      macro_f1: { estimate: low + 0.1, low, high: low + 0.2 },
      sets: [
        {
          set: 'store: held-out reviews',
          n: 50,
          macro_f1: { estimate: low + 0.1, low, high: low + 0.2 },
          difference: diffHigh === null ? null : { estimate: diffHigh - 0.05, low: diffHigh - 0.1, high: diffHigh },
        },
      ],
      data: [],
    };
  };
  const prod = { name: bundled.name, version: bundled.version };
  const cfg = { reportMinMacroF1: 0.4 };

  it('the rule: a report is needed, its macro-F1 lower end must reach the floor, and it must not be worse than production', () => {
    expect(reportGateDecision(undefined, prod, cfg)).toEqual({
      passed: false,
      reasons: ['no evaluation report is stored for it (training.gate.useReport): run the pipeline step `evaluate`'],
    });
    expect(reportGateDecision(report(0.45, 0.02), prod, cfg).passed).toBe(true);
    const low = reportGateDecision(report(0.35, 0.02), prod, cfg);
    expect(low.passed).toBe(false);
    expect(low.reasons[0]).toBe('report: macro-F1 0.450, 95% [0.350, 0.550] on 50 reviews; the lower end is below 0.4');
    const worse = reportGateDecision(report(0.45, -0.01), prod, cfg);
    expect(worse.passed).toBe(false);
    expect(worse.reasons[1]).toMatch(/^report: worse than production .* beyond the bootstrap interval on store/);
    // Compared with another model than today's production: not judged as if it were.
    const stale = reportGateDecision(report(0.45, 0.02, `${bundled.name}@0.0.1`), prod, cfg);
    expect(stale.passed).toBe(false);
    expect(stale.reasons[1]).toMatch(/but production is .* now: evaluate again/);
    // Without a comparison, the floor alone decides, and the reasons say so.
    const alone = reportGateDecision(report(0.45, null), prod, cfg);
    expect(alone).toEqual({
      passed: true,
      reasons: [
        'report: macro-F1 0.550, 95% [0.450, 0.650] on 50 reviews (lower end at least 0.4)',
        'report: not compared with production; the difference is not judged',
      ],
    });
  });

  it("the promote step reads the candidate's stored report when configured, and not otherwise", async () => {
    const ctx = server.ctx;
    const withGate = (gate: { useReport: boolean; reportMinMacroF1: number }) =>
      new PipelineRunner(
        {
          config: { ...ctx.config, training: { ...ctx.config.training, gate } },
          meta: ctx.meta,
          blobs: ctx.blobs,
          registry: ctx.registry,
          encoders: async () => ctx.encoders!,
          retrieval: async () => ctx.retrieval,
        },
        [promoteStep],
      );
    const promote = async (gate: { useReport: boolean; reportMinMacroF1: number }, candidate = CANDIDATE) => {
      const runner = withGate(gate);
      try {
        const r = await runner.wait((await runner.start({ params: { candidate, promotion: 'auto' } })).id);
        expect(r.status).toBe('succeeded');
        return r.steps[0]!.output as { outcome: string; reasons: string[]; gate: { report?: { passed: boolean } } };
      } finally {
        await runner.close();
      }
    };
    const stored = (await ctx.registry.report(bundled.name, VERSION)) as StoredReport;
    const floor = stored.summary.macro_f1.low;

    // A floor above the report's lower end: refused, with the report's figures as the reason.
    const refused = await promote({ useReport: true, reportMinMacroF1: Math.min(1, floor + 0.01) });
    expect(refused.outcome).toBe('refused');
    expect(refused.gate.report?.passed).toBe(false);
    expect(refused.reasons[0]).toContain('the lower end is below');
    expect((await ctx.registry.alias(PRODUCTION))?.version).toBe(bundled.version);

    // A version with no report is refused while the option is on.
    const { artifact } = await ctx.registry.register(
      Buffer.from(JSON.stringify({ ...structuredClone(bundled), version: '9.2.1+no-report' })),
      'test',
    );
    const noReport = await promote({ useReport: true, reportMinMacroF1: 0 }, `${artifact.name}@${artifact.version}`);
    expect(noReport.outcome).toBe('refused');
    expect(noReport.reasons[0]).toContain('no evaluation report is stored for it');

    // The report holds (floor met, not worse than production on any set): promoted; then rolled back.
    const passed = await promote({ useReport: true, reportMinMacroF1: floor });
    expect(passed.outcome, passed.reasons.join('\n')).toBe('promoted');
    expect(passed.gate.report?.passed).toBe(true);
    expect(passed.reasons[0]).toContain('report: versus production');
    await ctx.registry.rollback();
    expect((await ctx.registry.alias(PRODUCTION))?.version).toBe(bundled.version);

    // Off (the default): the report is not read; the same high floor changes nothing.
    const off = await promote({ useReport: false, reportMinMacroF1: 1 });
    expect(off.outcome).toBe('promoted');
    expect(off.gate.report).toBeUndefined();
    await ctx.registry.rollback();
  }, 600_000);
});
