/**
 * The `synthesize` step on the real server, models and metadata store: a small store of real womens-clothing
 * reviews (gold labels, positive-heavy) is topped up with recombined reviews the production classifier checks;
 * re-runs add no duplicates; train and the review queries tell synthetic from real. The LLM cases use a local HTTP
 * server speaking the OpenAI chat protocol that answers garbage or never answers (the misbehaving servers the step
 * must survive; the real local LLM is not needed for that), and a config with no LLM at all.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/core/config.js';
import { reviewContentId } from '../../src/core/ids.js';
import { PipelineRunner, synthesizeStep } from '../../src/pipeline/index.js';
import type { PipelineServices } from '../../src/pipeline/types.js';
import type { NewReview, StoredReview } from '../../src/storage/index.js';
import { topUpPlan } from '../../src/synthesis/index.js';
import { mvsaRows, storeMvsaReviews } from '../helpers/mvsa.js';
import { SHARED } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

type Row = { id: string; text: string; rating: number; label: 'negative' | 'neutral' | 'positive' };
const rows = readFileSync(join(SHARED, 'ecommerce-reviews', 'womens-clothing.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as Row);
const take = (label: Row['label'], n: number) => rows.filter((r) => r.label === label).slice(0, n);

let server: RunningServer;
let llmServer: http.Server;
let llmUrl: string;
let llmMode: 'garbage' | 'silent' = 'garbage';
const hanging: http.ServerResponse[] = [];

beforeAll(async () => {
  server = await startServer({ REVIEWLENS_SHARED_DATA: SHARED });
  const real: NewReview[] = [...take('positive', 30), ...take('negative', 6), ...take('neutral', 4)].map((r) => ({
    id: reviewContentId({ text: r.text }),
    text: r.text,
    rating: r.rating,
    source: 'dataset:womens-clothing',
    label: r.label,
    labelSource: 'gold',
  }));
  expect((await server.ctx.meta.reviews.insertMany(real)).inserted).toHaveLength(40);
  llmServer = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (llmMode === 'silent') return void hanging.push(res);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          model: 'garbage-7b',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: 'Sure! Here is a review: 5 stars' },
              finish_reason: 'stop',
            },
          ],
        }),
      );
    });
  });
  await new Promise<void>((r) => llmServer.listen(0, '127.0.0.1', r));
  llmUrl = `http://127.0.0.1:${(llmServer.address() as AddressInfo).port}/v1`;
}, 300_000);

afterAll(async () => {
  for (const r of hanging) r.destroy();
  llmServer?.closeAllConnections();
  await new Promise((r) => llmServer?.close(r));
  await server?.close();
});

const synthetic = async (): Promise<StoredReview[]> =>
  server.ctx.meta.reviews.list({ source: 'synthetic', limit: 1000 });
const run = async (params: Record<string, unknown>, steps = ['synthesize']) =>
  server.ctx.pipeline!.wait((await server.ctx.pipeline!.start({ steps, params })).id);

/** A runner on the server's stores and models with a changed config (the LLM cases). */
async function runWith(change: (c: Config) => Config, params: Record<string, unknown>) {
  const ctx = server.ctx;
  const services: PipelineServices = {
    config: change(structuredClone(ctx.config)),
    meta: ctx.meta,
    blobs: ctx.blobs,
    registry: ctx.registry,
    encoders: async () => ctx.encoders!,
    retrieval: async () => ctx.retrieval,
  };
  const runner = new PipelineRunner(services, [synthesizeStep]);
  try {
    return await runner.wait((await runner.start({ params })).id);
  } finally {
    await runner.close();
  }
}

describe('the top-up plan', () => {
  it('gives to the thinnest class first, up to the largest one, within the budget', () => {
    expect(topUpPlan({ negative: 6, neutral: 4, positive: 30 }, 10)).toEqual({ negative: 4, neutral: 6, positive: 0 });
    expect(topUpPlan({ negative: 6, neutral: 4, positive: 30 }, 1000)).toEqual({
      negative: 24,
      neutral: 26,
      positive: 0,
    });
    expect(topUpPlan({ negative: 5, neutral: 5, positive: 5 }, 50)).toEqual({ negative: 0, neutral: 0, positive: 0 });
    expect(topUpPlan({ negative: 0, neutral: 0, positive: 0 }, 50)).toEqual({ negative: 0, neutral: 0, positive: 0 });
  });
});

describe('pipeline synthesize step', () => {
  it('tops up the thin classes with checked synthetic reviews, stored apart from the real ones', async () => {
    const r = await run({ synth_per_run: 10, synth_seed: 100 });
    expect(r.status, JSON.stringify(r.steps[0])).toBe('succeeded');
    const out = r.steps[0]!.output as {
      planned: Record<string, number>;
      added: number;
      before: Record<string, number>;
      after: Record<string, number>;
      judge: string;
      corpus: { store: number; shared: number };
    };
    expect(out.planned).toEqual({ negative: 4, neutral: 6, positive: 0 });
    expect(out.before).toEqual({ negative: 6, neutral: 4, positive: 30 });
    expect(out.added).toBe(10);
    expect(out.after).toEqual({ negative: 10, neutral: 10, positive: 30 });
    expect(out.judge).toMatch(/^reviewlens-fusion@/);
    expect(out.corpus.store).toBe(40);
    expect(out.corpus.shared).toBeGreaterThan(20_000);

    const made = await synthetic();
    expect(made).toHaveLength(10);
    for (const s of made) {
      expect(s.labelSource).toBe('synthetic');
      expect(s.provenance).toMatchObject({ synthetic: true, generator: 'recombine', pipeline_run: r.id });
      const p = s.provenance as { seed: number; recipe: { sentences: unknown[] }; check: { label: string } };
      expect(Number.isInteger(p.seed)).toBe(true);
      expect(p.recipe.sentences.length).toBeGreaterThan(0);
      // The production classifier read each one as the class it was made for.
      expect(p.check.label).toBe(s.label);
    }
    expect(made.filter((s) => s.label === 'neutral')).toHaveLength(6);

    // Queries and training tell them apart: counts by label split real/synthetic; train counts real reviews only.
    expect(await server.ctx.meta.reviews.labelCounts()).toEqual([
      { label: 'negative', real: 6, synthetic: 4 },
      { label: 'neutral', real: 4, synthetic: 6 },
      { label: 'positive', real: 30, synthetic: 0 },
    ]);
    expect(await server.ctx.meta.reviews.count({ unlabelled: false, excludeSource: 'synthetic' })).toBe(40);
    const t = await run({ minLabelled: 1000 }, ['train']);
    expect(t.steps[0]!.message).toBe(
      '40 labelled reviews in the store; training needs at least 1000 (10 synthetic ones not counted)',
    );
  }, 300_000);

  it('adds no duplicates on a re-run with the same seed, and skips when there is nothing to do', async () => {
    const before = await synthetic();
    const r = await run({ synth_per_run: 10, synth_seed: 100 });
    expect(r.status).toBe('succeeded');
    const out = r.steps[0]!.output as {
      planned: Record<string, number>;
      added: number;
      classes: Record<string, { runs: Array<{ dropped: { exact: number; nearSynthetic: number } }> }>;
    };
    expect(out.planned).toEqual({ negative: 5, neutral: 5, positive: 0 });
    // The same seeds give the same first candidates: they are the stored ones, dropped as duplicates.
    const dropped = out.classes.negative!.runs[0]!.dropped;
    expect(dropped.exact + dropped.nearSynthetic).toBeGreaterThanOrEqual(1);
    const after = await synthetic();
    expect(after.length).toBe(before.length + out.added);
    expect(new Set(after.map((s) => s.text)).size).toBe(after.length);

    const none = await run({ synth_per_run: 0 });
    expect(none.steps[0]).toMatchObject({ status: 'skipped', message: 'synth_per_run is 0' });
  }, 300_000);

  it('never waits on an LLM that answers garbage, never answers, or is missing: it says why and recombines', async () => {
    const llm = (mode: typeof llmMode) => {
      llmMode = mode;
      return (c: Config) => ({
        ...c,
        llm: { ...c.llm, url: llmUrl, timeoutMs: 300, maxAttempts: 1 },
        synthesis: { ...c.synthesis, pipeline: { ...c.synthesis.pipeline, generator: 'llm' as const } },
      });
    };
    for (const mode of ['garbage', 'silent'] as const) {
      const n = (await synthetic()).length;
      const r = await runWith(llm(mode), { synth_per_run: 2 });
      expect(r.status, JSON.stringify(r.steps[0])).toBe('succeeded');
      const out = r.steps[0]!.output as {
        added: number;
        notes: string[];
        classes: Record<string, { runs: Array<{ generator: string }> }>;
      };
      expect(out.notes[0]).toMatch(
        /the LLM made 0 of \d+ \(the llm generator failed 3 times in a row: .*\); the rest recombined/,
      );
      if (mode === 'silent') expect(out.notes[0]).toMatch(/timed out|no answer|within/i);
      expect(out.added).toBe(2);
      expect((await synthetic()).length).toBe(n + 2);
      // The first class tried the LLM (3 failures in a row) then recombined; after that the LLM is not asked again.
      const gens = Object.values(out.classes).map((c) => c.runs.map((x) => x.generator).join(','));
      expect(gens.sort()).toEqual(['llm,recombine', 'recombine'].slice(0, gens.length));
      expect(r.steps[0]!.message).toMatch(/the LLM made 0/);
    }
    const missing = await runWith(
      (c) => ({
        ...c,
        llm: { ...c.llm, url: '', local: { ...c.llm.local, enabled: false } },
        synthesis: { ...c.synthesis, pipeline: { ...c.synthesis.pipeline, generator: 'llm' as const } },
      }),
      { synth_per_run: 1 },
    );
    expect(missing.status).toBe('succeeded');
    expect(missing.steps[0]!.output).toMatchObject({ added: 1 });
    expect(missing.steps[0]!.message).toBe('no LLM: llm.url is empty and the local LLM is off; recombined instead');
  }, 300_000);

  it('with photos: each synthetic review gets a photo of its condition in the blob store, with its recipe', async () => {
    // Real photos in the store too (MVSA tweets with their photos): checked by the damaged-product check.
    await storeMvsaReviews(server.ctx, mvsaRows().slice(0, 6));
    const n = (await synthetic()).length;
    const r = await run({ synth_per_run: 3, synth_photos: true });
    expect(r.status, JSON.stringify(r.steps[0])).toBe('succeeded');
    const out = r.steps[0]!.output as { added: number; photos: { source: string; made: number; failed: number } };
    expect(out.photos.source).toMatch(/^pair: \d+ product-photos, \d+ store photos of 6 checked/);
    expect(out.photos).toMatchObject({ made: out.added, failed: 0 });
    const fresh = (await synthetic()).slice(n);
    expect(fresh).toHaveLength(out.added);
    for (const s of fresh) {
      const blob = s.photoBlobs[0]!;
      expect((await sharp(await server.ctx.blobs.get(blob)).metadata()).format).toBe('jpeg');
      const recipe = (s.provenance as { photo_recipe: { condition: string; sha256: string; edits: unknown[] } })
        .photo_recipe;
      expect(recipe.condition).toBe(s.label === 'negative' ? 'damaged' : 'intact');
      expect(recipe.sha256).toBe(blob);
      expect(recipe.edits.length).toBeGreaterThanOrEqual(2);
      // The id covers the photo, as every stored review's does.
      expect(s.id).toBe(reviewContentId({ text: s.text, product: s.product }, blob));
    }
  }, 300_000);
});
