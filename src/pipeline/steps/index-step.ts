import { reviewContentId } from '../../core/ids.js';
import { SENTIMENTS, type Sentiment } from '../../core/types.js';
import type { ReviewInput } from '../../retrieval/index.js';
import type { StoredReview } from '../../storage/index.js';
import type { PipelineStep } from '../types.js';

const PAGE = 256;

/** A stored review as the indexer takes it; its first photo comes from the blob store. */
async function toInput(r: StoredReview, readBlob: (id: string) => Promise<Uint8Array>): Promise<ReviewInput> {
  const photo = r.photoBlobs[0];
  return {
    text: r.text,
    title: r.title,
    product: r.product,
    rating: r.rating,
    // The indexer compares dates as ISO strings; a date the source wrote another way is left out.
    date: r.reviewDate && !Number.isNaN(Date.parse(r.reviewDate)) ? r.reviewDate : null,
    source: r.source,
    label: r.label && (SENTIMENTS as readonly string[]).includes(r.label) ? (r.label as Sentiment) : null,
    ...(photo ? { image: await readBlob(photo) } : {}),
  };
}

/**
 * `index`: puts the stored reviews into the search index, synthetic ones (source `synthetic`) only when
 * `index_source: synthetic` asks for them. Reviews already there (same content hash) are
 * skipped before their photos are read, so the step is safe and cheap to re-run; a bad review is counted
 * and the rest go on.
 */
export const indexStep: PipelineStep = {
  name: 'index',
  description: 'add the stored real reviews to the hybrid search index (already-indexed ones are skipped)',
  async run(ctx, services) {
    const retrieval = await services.retrieval();
    if (!retrieval) return { skipped: true, reason: 'the search index is not available' };
    // `index_source`: only the reviews of one source (runs that split the work by source, e.g. on workers).
    const source = typeof ctx.params.index_source === 'string' ? ctx.params.index_source : undefined;
    // Synthetic reviews (the synthesize step's) are not indexed unless asked for by name: a similar-review answer
    // or a search shows what customers wrote.
    const which = source ? { source } : { excludeSource: 'synthetic' };
    const total = await services.meta.reviews.count(which);
    const out = { reviews: total, added: 0, duplicate: 0, withPhoto: 0, failed: 0 };
    for (let offset = 0; offset < total; offset += PAGE) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('cancelled');
      const page = await services.meta.reviews.list({ limit: PAGE, offset, ...which });
      // The index id is the content hash of text, product and photo bytes; a photo's blob id is the sha256
      // of its bytes, so reviews already indexed are known without reading their photos again.
      const ids = page.map((r) => reviewContentId(r, r.photoBlobs[0]));
      const indexed = await retrieval.backend.existing(ids);
      const missing = page.filter((_, i) => !indexed.has(ids[i]!));
      out.duplicate += page.length - missing.length;
      const inputs: ReviewInput[] = [];
      for (const r of missing) {
        try {
          inputs.push(await toInput(r, (id) => services.blobs.get(id)));
        } catch (e) {
          out.failed++;
          await ctx.log('warn', `review ${r.id}: its photo could not be read (${(e as Error).message})`);
        }
      }
      const rep = await retrieval.indexer.index(inputs);
      out.added += rep.added;
      out.duplicate += rep.duplicate;
      out.withPhoto += rep.withPhoto;
      out.failed += rep.failed.length;
      for (const f of rep.failed.slice(0, 5)) await ctx.log('warn', `not indexed: ${f.error}`);
      await ctx.progress(Math.min(1, (offset + page.length) / total), `${offset + page.length} of ${total} reviews`);
    }
    await ctx.log('info', `${out.added} added, ${out.duplicate} already indexed, ${out.failed} failed`);
    return out;
  },
};
