import type { SyntheticReview } from '../types.js';
import type { ImageGenerator, SyntheticPhoto } from './types.js';

/** What attachPhotos did: photos made, failures (with the first few reasons), and why it stopped early. */
export interface PhotoSummary {
  generator: string;
  made: number;
  failed: number;
  failures: string[];
  stoppedEarly?: string;
}

/**
 * Makes one photo per synthetic review (the review's sentiment, product, category and seed) with `generator`.
 * A failure (an image server down, slow, answering garbage; a pool without that condition) leaves that review
 * without a photo, is counted and the rest go on; after `maxConsecutiveFailures` (default 3) in a row the
 * remaining reviews get none and `stoppedEarly` says why, so a dead server costs at most that many timeouts.
 * Returns the photos by review id.
 */
export async function attachPhotos(
  reviews: readonly SyntheticReview[],
  generator: ImageGenerator,
  opts: {
    maxConsecutiveFailures?: number;
    signal?: AbortSignal;
    onPhoto?: (done: number, total: number) => void;
  } = {},
): Promise<{ photos: Map<string, SyntheticPhoto>; summary: PhotoSummary }> {
  const photos = new Map<string, SyntheticPhoto>();
  const summary: PhotoSummary = { generator: generator.name, made: 0, failed: 0, failures: [] };
  const maxFail = opts.maxConsecutiveFailures ?? 3;
  let inARow = 0;
  for (const [i, r] of reviews.entries()) {
    if (opts.signal?.aborted) {
      summary.stoppedEarly = 'cancelled';
      break;
    }
    try {
      const p = await generator.generate(
        { sentiment: r.sentiment, product: r.product, category: r.category, text: r.text, seed: r.seed },
        opts.signal,
      );
      photos.set(r.id, p);
      summary.made++;
      inARow = 0;
    } catch (e) {
      summary.failed++;
      inARow++;
      const msg = (e as Error).message.slice(0, 300);
      if (summary.failures.length < 5) summary.failures.push(msg);
      if (inARow >= maxFail) {
        summary.stoppedEarly = `the ${generator.name} photo generator failed ${inARow} times in a row: ${msg.slice(0, 200)}`;
        break;
      }
    }
    opts.onPhoto?.(i + 1, reviews.length);
  }
  return { photos, summary };
}
