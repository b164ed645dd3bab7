import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../core/config.js';
import { importReviewsJsonl } from '../labeling/index.js';
import { sharedDataDir } from '../training/index.js';
import type { PipelineRunner } from './runner.js';
import type { PipelineServices } from './types.js';

/** The demo pool's file, or undefined when it is off or absent. */
export function demoPoolFile(config: Config): string | undefined {
  const v = config.labeling.demoPool.trim();
  if (v === '' || v === 'off' || v === 'false') return undefined;
  const file = v === 'auto' ? join(sharedDataDir(), 'mvsa-single', 'unlabeled.jsonl') : resolve(v);
  return existsSync(file) ? file : undefined;
}

/**
 * On a store with no review at all, imports the demo pool (unlabelled reviews with photos) and queues a
 * pipeline run of the `label` step, so the review queue holds real items out of the box. Does nothing on a
 * store that has reviews, or when `labeling.demoPool` is off or its file is missing.
 */
export async function seedDemoPool(
  services: Pick<PipelineServices, 'config' | 'meta' | 'blobs'>,
  runner: PipelineRunner,
  log: (msg: string) => void = () => {},
): Promise<{ runId: number; imported: number } | undefined> {
  const file = demoPoolFile(services.config);
  if (!file || (await services.meta.reviews.count()) > 0) return undefined;
  const report = await importReviewsJsonl(services.meta, services.blobs, {
    data: file,
    images: join(dirname(file), 'images'),
  });
  if (report.inserted === 0) return undefined;
  const run = await runner.start({ steps: ['label'], requestedBy: 'demo-pool' });
  log(
    `demo pool: imported ${report.inserted} unlabelled reviews from ${file}; pipeline run ${run.id} labels them and fills the review queue (labeling.demoPool=off turns this off)`,
  );
  return { runId: run.id, imported: report.inserted };
}
