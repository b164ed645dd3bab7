import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineRunner, type PipelineStep, promoteStep } from '../../src/pipeline/index.js';
import { BUNDLED_ARTIFACT } from '../../src/server/context.js';
import {
  MIN_LABELLED_FOR_ACCURACY,
  PRODUCTION,
  promotionDecision,
  type ShadowPair,
  shadowComparison,
} from '../../src/training/index.js';
import { mvsaRows, storeMvsaReviews } from '../helpers/mvsa.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const RULE = { minSamples: 20, minAgreement: 0.8, maxAccuracyDrop: 0.02 };
const pair = (candidate: string, production: string, label: string | null = null): ShadowPair => ({
  candidate,
  production,
  label,
});

describe('the shadow comparison rule', () => {
  it('holds when enough reviews were answered, the models mostly agree and labelled accuracy does not drop', () => {
    const pairs = [
      ...Array.from({ length: 17 }, () => pair('positive', 'positive', 'positive')),
      ...Array.from({ length: 3 }, () => pair('negative', 'positive', 'negative')),
    ];
    const r = shadowComparison(pairs, RULE);
    expect(r).toMatchObject({ holds: true, n: 20, agreement: 0.85, labelled: 20 });
    expect(r.flips).toEqual({ 'positive->negative': 3 });
    expect(r.candidateAccuracy).toBe(1);
    expect(r.productionAccuracy).toBe(0.85);
  });

  it('does not hold on too few reviews, on low agreement, or when labelled accuracy drops beyond the margin', () => {
    expect(shadowComparison([pair('positive', 'positive')], RULE).reasons[0]).toBe(
      'only 1 recent reviews answered; the shadow comparison needs at least 20',
    );
    const disagree = [
      ...Array.from({ length: 15 }, () => pair('neutral', 'neutral')),
      ...Array.from({ length: 5 }, () => pair('negative', 'positive')),
    ];
    const low = shadowComparison(disagree, RULE);
    expect(low.holds).toBe(false);
    expect(low.reasons[0]).toBe('the candidate agrees with production on 75.0% of 20 recent reviews, below 80%');
    // 19 of 20 agree, but on the 10 labelled ones the candidate gets one more wrong (0.9 vs 1.0).
    const worse = [
      ...Array.from({ length: 9 }, () => pair('positive', 'positive', 'positive')),
      pair('negative', 'positive', 'positive'),
      ...Array.from({ length: 10 }, () => pair('neutral', 'neutral')),
    ];
    const w = shadowComparison(worse, RULE);
    expect(w.labelled).toBe(MIN_LABELLED_FOR_ACCURACY);
    expect(w.holds).toBe(false);
    expect(w.reasons.at(-1)).toMatch(/accuracy 0\.900 trails production's 1\.000 by more than 0\.02/);
    // Fewer labelled reviews than the minimum: accuracy is reported, not judged.
    const few = shadowComparison(
      [...worse.slice(0, 9), ...Array.from({ length: 11 }, () => pair('neutral', 'neutral'))],
      RULE,
    );
    expect(few.holds).toBe(true);
  });

  it('the policy: manual holds, auto promotes only when the gate passed and the shadow comparison holds', () => {
    const pass = { passed: true, reasons: ['ok'] };
    const fail = { passed: false, reasons: ['macro-F1 0.200 is below the floor 0.5'] };
    const holds = { holds: true, reasons: ['agrees'] };
    expect(promotionDecision('manual', pass, holds).outcome).toBe('held');
    expect(promotionDecision('auto', pass, holds).outcome).toBe('promoted');
    expect(promotionDecision('auto', fail, holds)).toEqual({
      outcome: 'refused',
      reasons: ['the registry gate refused it: macro-F1 0.200 is below the floor 0.5'],
    });
    expect(promotionDecision('auto', pass, { holds: false, reasons: ['too few'] }).outcome).toBe('refused');
  });
});

/**
 * The `promote` step on the real server and models: candidates made from the bundled artifact (same model
 * under a new version; and one whose recorded evaluation is made wrong so the gate refuses it), the shadow
 * comparison on 12 real MVSA-Single reviews with photos and gold labels in the store.
 */
let server: RunningServer;
const bundled = JSON.parse(readFileSync(BUNDLED_ARTIFACT, 'utf8')) as {
  name: string;
  version: string;
  metrics: { gate_eval: { predictions: number[]; labels: number[] } };
};
const candidate = (version: string, wrongEval = false) => {
  const a = structuredClone(bundled);
  a.version = version;
  if (wrongEval) a.metrics.gate_eval.predictions = a.metrics.gate_eval.labels.map((l) => (l + 1) % 3);
  return Buffer.from(JSON.stringify(a));
};

beforeAll(async () => {
  // A small shadow sample keeps the test light: 12 reviews, judged from 10 (both models answer each one).
  server = await startServer({ REVIEWLENS_PIPELINE_SHADOW_SAMPLE: '12', REVIEWLENS_PIPELINE_SHADOW_MIN_SAMPLES: '10' });
  await storeMvsaReviews(server.ctx, mvsaRows().slice(0, 12));
}, 120_000);
afterAll(async () => {
  await server?.close();
});

describe('pipeline promote step', () => {
  it("takes the train step's registered candidate from the same run (train → promote, auto)", async () => {
    const ctx = server.ctx;
    const services = {
      config: ctx.config,
      meta: ctx.meta,
      blobs: ctx.blobs,
      registry: ctx.registry,
      encoders: async () => ctx.encoders!,
      retrieval: async () => ctx.retrieval,
    };
    // Stands in for `train` (tested with the real trainer in train-step.test.ts): registers a candidate.
    const train: PipelineStep = {
      name: 'train',
      description: 'registers a candidate',
      async run() {
        const { artifact } = await ctx.registry.register(candidate('9.0.3+from-train'), 'test');
        return { registered: true, version: artifact.version };
      },
    };
    const runner = new PipelineRunner(services, [train, promoteStep]);
    const r = await runner.wait((await runner.start({ params: { promotion: 'auto' } })).id);
    expect(r.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
    expect(r.steps[1]!.output).toMatchObject({ candidate: `${bundled.name}@9.0.3+from-train`, outcome: 'promoted' });
    expect((await ctx.registry.alias(PRODUCTION))?.version).toBe('9.0.3+from-train');
    await ctx.registry.rollback();
    expect((await ctx.registry.alias(PRODUCTION))?.version).toBe(bundled.version);
    await runner.close();
  }, 300_000);

  const run = async (params: Record<string, unknown>) =>
    server.ctx.pipeline!.wait((await server.ctx.pipeline!.start({ steps: ['promote'], params })).id);

  it('skips when the run registered no candidate', async () => {
    const r = await run({});
    expect(r.steps[0]).toMatchObject({
      status: 'skipped',
      message: 'no candidate: the train step registered no model in this run',
    });
  });

  it('manual: records the candidate as held and leaves production alone', async () => {
    await server.ctx.registry.register(candidate('9.0.0+held'), 'test');
    const r = await run({ candidate: `${bundled.name}@9.0.0+held` });
    expect(r.status).toBe('succeeded');
    expect(r.steps[0]!.output).toMatchObject({ policy: 'manual', outcome: 'held', promoted: false });
    expect((await server.ctx.registry.alias(PRODUCTION))?.version).toBe(bundled.version);
    const [last] = await server.ctx.registry.promotions(1);
    expect(last).toMatchObject({ version: '9.0.0+held', outcome: 'held', policy: 'manual', runId: r.id });
    // The same model answers the recent reviews exactly as production does.
    expect(last!.shadow).toMatchObject({ holds: true, n: 12, agreement: 1, labelled: 12 });
  }, 300_000);

  it('auto: refuses a candidate the gate refuses, and promotes one that passes both; rollback restores production', async () => {
    await server.ctx.registry.register(candidate('9.0.1+bad', true), 'test');
    const refused = await run({ candidate: `${bundled.name}@9.0.1+bad`, promotion: 'auto' });
    expect(refused.steps[0]!.output).toMatchObject({ policy: 'auto', outcome: 'refused', promoted: false });
    expect((refused.steps[0]!.output as { reasons: string[] }).reasons[0]).toMatch(
      /^the registry gate refused it: macro-F1 0\.000 is below the floor 0\.5/,
    );
    expect((await server.ctx.registry.alias(PRODUCTION))?.version).toBe(bundled.version);

    await server.ctx.registry.register(candidate('9.0.2+good'), 'test');
    const promoted = await run({ candidate: `${bundled.name}@9.0.2+good`, promotion: 'auto' });
    expect(promoted.steps[0]!.output).toMatchObject({
      outcome: 'promoted',
      promoted: true,
      previous: `${bundled.name}@${bundled.version}`,
    });
    expect((await server.ctx.registry.alias(PRODUCTION))?.version).toBe('9.0.2+good');
    const [change] = await server.ctx.registry.history(PRODUCTION);
    expect(change).toMatchObject({ version: '9.0.2+good', action: 'promote' });
    expect(change!.reason).toBe(`auto-promoted by pipeline run ${promoted.id}: gate passed, shadow comparison holds`);

    // Reversible: the rollback route puts the previous production back and is recorded.
    const res = await fetch(`${server.url}/api/models/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect((await server.ctx.registry.alias(PRODUCTION))?.version).toBe(bundled.version);
    const page = await fetch(`${server.url}/api/models/promotions?limit=2`);
    const body = await page.text();
    expect(page.status, body).toBe(200);
    const listed = JSON.parse(body) as {
      promotions: Array<{ outcome: string; version: string; previous: string | null }>;
    };
    expect(listed.promotions.map((p) => [p.outcome, p.version])).toEqual([
      ['rolled-back', bundled.version],
      ['promoted', '9.0.2+good'],
    ]);
    expect(listed.promotions[0]!.previous).toBe(`${bundled.name}@9.0.2+good`);
  }, 300_000);
});
