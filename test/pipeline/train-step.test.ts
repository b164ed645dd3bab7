import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mvsaRows, storeMvsaReviews } from '../helpers/mvsa.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/** The train step on the real trainer, with 120 MVSA-Single reviews (text + photo, gold labels) in the store. */
let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

describe('pipeline train step', () => {
  it('skips with its reason when the store holds too few labelled reviews', async () => {
    const run = await server.ctx.pipeline!.wait((await server.ctx.pipeline!.start({ steps: ['train'] })).id);
    expect(run.steps[0]).toMatchObject({ status: 'skipped' });
    expect(run.steps[0]!.message).toMatch(/^0 labelled reviews in the store; training needs at least 60$/);
  });

  it('trains on the labelled reviews in the store, records the run and puts the candidate through the gate', async () => {
    expect((await storeMvsaReviews(server.ctx, mvsaRows().slice(0, 120))).inserted).toHaveLength(120);

    const run = await server.ctx.pipeline!.wait((await server.ctx.pipeline!.start({ steps: ['train'] })).id);
    expect(run.status).toBe('succeeded');
    const out = run.steps[0]!.output as {
      training_run: number;
      version: string;
      registered: boolean;
      examples: number;
    };
    expect(out.examples).toBe(120);
    const recorded = (await server.ctx.meta.listRuns()).find((r) => r.id === out.training_run);
    expect(recorded?.status).toBe(out.registered ? 'succeeded' : 'rejected');
    expect(recorded?.gate).toHaveProperty('reasons');
    const staging = await server.ctx.registry.alias('staging');
    if (out.registered) expect(staging?.version).toBe(out.version);
    else {
      expect(staging).toBeUndefined();
      expect(run.steps[0]!.message).toMatch(/^refused by the gate: /);
    }
    // Production is untouched: the step promotes only with `promote: true`.
    expect((await server.ctx.registry.alias('production'))?.version).toBe(server.ctx.service.model.version);
    const log = (await server.ctx.pipeline!.store.logs(run.id)).map((l) => l.message);
    expect(log.some((m) => m.startsWith('training on 120 labelled reviews'))).toBe(true);
    expect(log.every((m) => m.length < 500)).toBe(true);
  });
});
