import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';
import { importReviewsJsonl, LabelQueue, labelStep, saveCalibration } from '../../src/labeling/index.js';
import { type Encoders, loadEncoders } from '../../src/models/index.js';
import type { PipelineServices, StepContext } from '../../src/pipeline/types.js';
import { BUNDLED_ARTIFACT } from '../../src/server/index.js';
import { LocalBlobStore, MetadataStore } from '../../src/storage/index.js';
import { ModelRegistry } from '../../src/training/index.js';
import { MODELS_DIR, MVSA_IMAGES, SHARED, tempDir } from '../helpers/paths.js';

let services: PipelineServices;
let enc: Encoders;
const progress: number[] = [];
const logs: string[] = [];

function ctx(params: Record<string, unknown> = {}): StepContext {
  return {
    runId: 7,
    params,
    outputs: {},
    progress: async (f) => {
      progress.push(f);
    },
    log: async (level, m) => {
      logs.push(`${level}: ${m}`);
    },
    signal: new AbortController().signal,
  };
}

beforeAll(async () => {
  const dataDir = tempDir();
  const config = loadConfig({ env: { REVIEWLENS_MODELS_DIR: MODELS_DIR }, cwd: dataDir, overrides: { dataDir } });
  const meta = await MetadataStore.open({ url: 'memory://' });
  const blobs = new LocalBlobStore(join(dataDir, 'blobs'));
  const registry = new ModelRegistry(meta, blobs);
  await registry.bootstrap(BUNDLED_ARTIFACT);
  const a = await registry.production();
  enc = await loadEncoders({ modelsDir: MODELS_DIR, threads: 1, text: a.encoders.text, image: a.encoders.image });
  services = { config, meta, blobs, registry, encoders: async () => enc, retrieval: async () => undefined };
  const lines = readFileSync(join(SHARED, 'mvsa-single', 'unlabeled.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean);
  const file = join(dataDir, 'pool.jsonl');
  writeFileSync(file, lines.slice(40, 64).join('\n'));
  await importReviewsJsonl(meta, blobs, { data: file, images: MVSA_IMAGES });
}, 120_000);
afterAll(async () => {
  await enc?.text.dispose();
  await enc?.image.dispose();
  await services?.meta.close();
});

describe('the label pipeline step', () => {
  it('labels the unlabelled reviews with the production model and the lexicon, gates them, and reports counts', async () => {
    // A calibration as `label calibrate` writes it (identity temperature, no isotonic map).
    saveCalibration(services.config, { method: 'temperature', temperature: 1, labelers: ['classifier', 'lexicon'] });
    const out = await labelStep.run(ctx({ label_limit: 20 }), services);
    expect(out).toMatchObject({ considered: 20, failed: 0 });
    const o = out as { accepted: number; queued: number; discarded: number };
    expect(o.accepted + o.queued + o.discarded).toBe(20);
    expect(progress.at(-1)).toBe(1);
    expect(logs.some((l) => l.includes('labelers: classifier, lexicon'))).toBe(true);
    expect(logs.some((l) => l.startsWith('warn: no labeling calibration'))).toBe(false);
    const q = new LabelQueue(services.meta);
    const counts = await q.counts();
    expect(counts.pending).toBe(o.queued);
    expect(counts.discarded).toBe(o.discarded);
    expect(await services.meta.reviews.count({ labelSource: 'auto' })).toBe(o.accepted);
    const decisions = await services.meta.db.selectFrom('label_decisions').selectAll().execute();
    expect(decisions.every((d) => d.run_id === 7)).toBe(true);
    // The classifier saw the photos: its vote is there with probabilities for every review.
    for (const d of decisions) {
      const votes = d.votes as Array<{ labeler: string; probs?: Record<string, number>; error?: string }>;
      expect(votes.map((v) => v.labeler)).toEqual(['classifier', 'lexicon']);
      expect(votes[0]?.error).toBeUndefined();
    }
  }, 120_000);

  it('resumes: a second run labels only the reviews left, and a third has nothing to do', async () => {
    const second = await labelStep.run(ctx(), services);
    expect(second).toMatchObject({ considered: 4 });
    const third = await labelStep.run(ctx(), services);
    expect(third).toMatchObject({ considered: 0, accepted: 0, queued: 0, discarded: 0 });
    expect(await services.meta.db.selectFrom('label_decisions').select('id').execute()).toHaveLength(24);
  }, 120_000);
});
