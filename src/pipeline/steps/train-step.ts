import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SENTIMENTS, type Sentiment } from '../../core/types.js';
import { type Example, runTraining } from '../../training/index.js';
import type { PipelineStep } from '../types.js';

/** Fewer labelled reviews than this and the step is skipped: a 70/10/20 split of less says nothing. */
export const MIN_LABELLED_FOR_TRAINING = 60;

/**
 * `train`: adapts the production model to the labelled reviews in the store (human, auto-accepted and
 * imported labels; synthetic reviews, source `synthetic`, are left out and counted), scores it on their held-out
 * part, and registers it through the gate as `staging`.
 * It promotes only when the run's params say `promote: true`. Skipped when there is too little data.
 */
export const trainStep: PipelineStep = {
  name: 'train',
  description: 'adapt the production model to the labelled real reviews in the store; register it through the gate',
  async run(ctx, services) {
    const min = Number(ctx.params.minLabelled ?? MIN_LABELLED_FOR_TRAINING);
    // Real reviews only: synthetic ones (source `synthetic`, the synthesize step's) would land in the held-out
    // split too and be scored as if real. Whether they may join the training part is for the with/without
    // comparison to show; until then they are left out and counted.
    const real = { unlabelled: false, excludeSource: 'synthetic' };
    const labelled = await services.meta.reviews.count(real);
    const syntheticLeftOut = await services.meta.reviews.count({ unlabelled: false, source: 'synthetic' });
    if (labelled < min) {
      return {
        skipped: true,
        reason:
          `${labelled} labelled reviews in the store; training needs at least ${min}` +
          (syntheticLeftOut ? ` (${syntheticLeftOut} synthetic ones not counted)` : ''),
        synthetic_left_out: syntheticLeftOut,
      };
    }
    const base = await services.registry.production();
    const dir = await mkdtemp(join(tmpdir(), 'reviewlens-train-'));
    try {
      const examples: Example[] = [];
      for (let offset = 0; offset < labelled; offset += 500) {
        const page = await services.meta.reviews.list({ ...real, limit: 500, offset });
        for (const r of page) {
          if (!r.label || !(SENTIMENTS as readonly string[]).includes(r.label)) continue;
          let image: string | undefined;
          const photo = r.photoBlobs[0];
          if (photo) {
            image = join(dir, `${photo}.img`);
            await writeFile(image, await services.blobs.get(photo));
          }
          examples.push({
            id: r.id,
            text: r.text,
            label: r.label as Sentiment,
            source: r.source,
            ...(image ? { image } : {}),
          });
        }
      }
      await ctx.log(
        'info',
        `training on ${examples.length} labelled reviews, base ${base.name}@${base.version}` +
          (syntheticLeftOut ? `; ${syntheticLeftOut} synthetic reviews left out` : ''),
      );
      const cfg = services.config;
      let step = 0;
      const result = await runTraining(
        { meta: services.meta, blobs: services.blobs },
        {
          data: { examples, name: `store:${examples.length}` },
          base,
          modelsDir: cfg.models.dir,
          cacheDir: resolve(cfg.dataDir, 'cache', 'features'),
          out: join(dir, 'candidate.json'),
          threads: cfg.models.threads,
          seed: Number(ctx.params.seed ?? 42),
          log: (m) => {
            step++;
            // The trainer prints its whole metrics record at the end: the run log keeps a line of it.
            const line = m.length > 400 ? `${m.split('\n')[0]!.slice(0, 200)} … (${m.length} characters)` : m;
            void ctx.log('info', line);
            void ctx.progress(Math.min(0.95, step / 40), line.slice(0, 120));
          },
          gate: { minMacroF1: cfg.training.minMacroF1 },
          promote: ctx.params.promote === true,
        },
      );
      return {
        ...(result.registered ? {} : { reason: `refused by the gate: ${result.decision.reasons.join('; ')}` }),
        training_run: result.runId,
        version: result.version,
        registered: result.registered,
        promoted: result.promoted,
        gate: result.decision as unknown as Record<string, unknown>,
        examples: examples.length,
        synthetic_left_out: syntheticLeftOut,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
