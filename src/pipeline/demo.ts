import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../core/config.js';
import { seededRandom, shuffleInPlace } from '../core/random.js';
import { importReviewRows, importReviewsJsonl } from '../labeling/index.js';
import { loadUnlabelledProductReviews } from '../training/ecommerce.js';
import { sharedDataDir } from '../training/index.js';
import type { PipelineControl } from './runner.js';
import type { PipelineServices } from './types.js';

/** Source recorded on the reviews of the `auto` demo pool. */
export const PRODUCT_REVIEWS_UNLABELLED_SOURCE = 'dataset:product-reviews-unlabelled';
/** Reviews taken from each product domain for the `auto` demo pool (14 domains: 560 reviews). */
export const DEMO_PER_DOMAIN = 40;
const DEMO_SEED = 20261201;
/** Longer reviews are left out of the demo sample, so that the first start stays quick. */
const DEMO_MAX_CHARS = 3000;

/** The folder of the `auto` pool in the shared data: FDU-MTL's per-domain `*.unlabel.jsonl` files. */
const fduDir = (shared: string) => join(shared, 'ecommerce-reviews', 'fdu-mtl');

/**
 * Where the demo pool comes from, or undefined when it is off or absent: for `auto`, the FDU-MTL folder of the
 * shared data that holds the unlabelled product-review pools (`*.unlabel.jsonl`); for a path, that JSONL file.
 */
export function demoPoolFile(config: Config): string | undefined {
  const v = config.labeling.demoPool.trim();
  if (v === '' || v === 'off' || v === 'false') return undefined;
  if (v === 'auto') {
    const dir = fduDir(sharedDataDir());
    return existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.unlabel.jsonl')) ? dir : undefined;
  }
  const file = resolve(v);
  return existsSync(file) ? file : undefined;
}

/**
 * The `auto` demo pool: unlabelled Amazon product reviews (FDU-MTL's `unlabel` pools, 14 domains, de-tokenised
 * by `loadUnlabelledProductReviews`), `perDomain` of each domain drawn with a fixed seed from the reviews of at
 * most 3,000 characters, in domain order. `shared` is the shared data folder (`../shared/data`).
 */
export function productReviewDemoPool(
  shared = sharedDataDir(),
  perDomain = DEMO_PER_DOMAIN,
): Array<{ id: string; text: string; domain: string }> {
  const byDomain = new Map<string, Array<{ id: string; text: string; domain: string }>>();
  for (const r of loadUnlabelledProductReviews(shared)) {
    if (r.text.length > DEMO_MAX_CHARS) continue;
    const list = byDomain.get(r.domain) ?? [];
    list.push(r);
    byDomain.set(r.domain, list);
  }
  const rand = seededRandom(DEMO_SEED);
  return [...byDomain.keys()].sort().flatMap((d) => {
    const list = (byDomain.get(d) ?? []).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return shuffleInPlace(list, rand).slice(0, perDomain);
  });
}

/**
 * On a store with no review at all, imports the demo pool and queues a pipeline run of the `label` step, so
 * the review queue holds real items out of the box. `labeling.demoPool=auto`: 560 unlabelled product reviews
 * (`productReviewDemoPool`, text only, source `dataset:product-reviews-unlabelled`); a path: that JSONL file
 * with its photos (`images/` beside it). Does nothing on a store that has reviews, or when the pool is off
 * or missing.
 */
export async function seedDemoPool(
  services: Pick<PipelineServices, 'config' | 'meta' | 'blobs'>,
  runner: Pick<PipelineControl, 'start'>,
  log: (msg: string) => void = () => {},
): Promise<{ runId: number; imported: number } | undefined> {
  const where = demoPoolFile(services.config);
  if (!where || (await services.meta.reviews.count()) > 0) return undefined;
  const report =
    services.config.labeling.demoPool.trim() === 'auto'
      ? await importReviewRows(
          services.meta,
          productReviewDemoPool(dirname(dirname(where))).map((r) => ({
            id: r.id,
            text: r.text,
            provenance: { domain: r.domain },
          })),
          { source: PRODUCT_REVIEWS_UNLABELLED_SOURCE, origin: 'fdu-mtl/*.unlabel.jsonl' },
        )
      : await importReviewsJsonl(services.meta, services.blobs, {
          data: where,
          images: join(dirname(where), 'images'),
        });
  if (report.inserted === 0) return undefined;
  const run = await runner.start({ steps: ['label'], requestedBy: 'demo-pool' });
  log(
    `demo pool: imported ${report.inserted} unlabelled reviews from ${where}; pipeline run ${run.id} labels them and fills the review queue (labeling.demoPool=off turns this off)`,
  );
  return { runId: run.id, imported: report.inserted };
}
