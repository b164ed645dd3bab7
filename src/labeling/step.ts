import type { PipelineStep } from '../pipeline/types.js';
import { buildEnsemble, buildLabelers, labelUnlabelled } from './agent.js';

/**
 * The pipeline's label step: labels the unlabelled reviews in the store with the ensemble (production
 * classifier, lexicon, LLM when configured), gates them, and queues the uncertain ones for humans.
 * Params: `label_limit` (most reviews this run), `label_source` (only reviews of this source).
 * Safe to re-run: reviews with a decision are not labelled again.
 */
export const labelStep: PipelineStep = {
  name: 'label',
  description: 'label unlabelled reviews (classifier + lexicon + LLM), gate by calibrated confidence, queue the rest',
  async run(ctx, services) {
    const { config } = services;
    const { labelers, model } = await buildLabelers(config, services);
    const ensemble = buildEnsemble(config, labelers, (m) => void ctx.log('warn', m));
    const t = ensemble.thresholds;
    await ctx.log(
      'info',
      `labelers: ${labelers.map((l) => l.name).join(', ')} (classifier ${model}); calibration: ` +
        `${ensemble.calibration.method} (${ensemble.calibrationSource}); thresholds: accept ${t?.accept}, review ${t?.review}`,
    );
    const limit = typeof ctx.params.label_limit === 'number' ? ctx.params.label_limit : undefined;
    const source = typeof ctx.params.label_source === 'string' ? ctx.params.label_source : undefined;
    const r = await labelUnlabelled(services.meta, services.blobs, ensemble, {
      batchSize: config.labeling.batchSize,
      uncertaintyWeight: config.labeling.uncertaintyWeight,
      uncertainty: config.labeling.uncertainty,
      runId: ctx.runId,
      signal: ctx.signal,
      ...(limit !== undefined ? { limit } : {}),
      ...(source !== undefined ? { source } : {}),
      progress: (done, total) => ctx.progress(total ? done / total : 1, `${done}/${total} reviews`),
      log: (m) => void ctx.log('info', m),
    });
    for (const [labeler, n] of Object.entries(r.labelerErrors)) {
      await ctx.log('warn', `labeler ${labeler} failed on ${n} reviews; the others decided`);
    }
    return { ...r };
  },
};
