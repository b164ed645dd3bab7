import { ValidationError } from '../core/errors.js';
import { reviewContentId } from '../core/ids.js';
import { LabelQueue } from '../labeling/index.js';
import type { RetrievalBackend } from '../retrieval/index.js';
import type { BlobStore, MetadataStore, StoredReview } from '../storage/index.js';

/** Whose reviews to erase: by author name (exact), and/or by source (a source id, page URL or source URL). */
export interface EraseSelector {
  author?: string;
  source?: string;
}

/** What `eraseReviews` found and (unless a dry run) erased. Counts are of things, not bytes. */
export interface EraseReport {
  dryRun: boolean;
  selector: EraseSelector;
  /** Reviews in the metadata database matching the selector. */
  reviews: number;
  /** Their photos that no other review uses: deleted from the blob store. */
  photos: number;
  /** Their photos that another review uses too: kept (they are that review's as well). */
  sharedPhotosKept: number;
  /** Raw crawled pages holding them (the page HTML has the author's name and text): deleted. */
  rawPages: number;
  /** Other reviews from those pages that lost their `raw_page_blob` link. */
  otherReviewsDetachedFromRawPages: number;
  /** Rows of the labeling tables about them. */
  labelDecisions: number;
  queueItems: number;
  auditRows: number;
  /** Entries of the search index for them. */
  indexEntries: number;
  /** True when the search index was not reachable and the caller chose to go on without it. */
  indexSkipped: boolean;
  /** The erased (or, in a dry run, matching) review ids, for a record of the request. */
  ids: string[];
}

/** The stores `eraseReviews` works on. `index` is absent when the search index is not in use or not reachable. */
export interface EraseDeps {
  meta: MetadataStore;
  blobs: BlobStore;
  index?: RetrievalBackend;
}

/** The ids a stored review can have in the search index (the index step's, and the review's own). */
function indexIdsOf(r: StoredReview): string[] {
  const ids = new Set([r.id, reviewContentId(r, r.photoBlobs[0]), reviewContentId(r)]);
  return [...ids];
}

function validSelector(sel: EraseSelector): EraseSelector {
  const author = sel.author?.trim();
  const source = sel.source?.trim();
  if (!author && !source) {
    throw new ValidationError('say whose reviews to erase: --author NAME and/or --source URL_OR_SOURCE', 'selector');
  }
  return { ...(author ? { author } : {}), ...(source ? { source } : {}) };
}

/**
 * Erases a person's (or a source's) reviews and everything derived from them that the system keeps: the
 * reviews in the metadata database, their photos in the blob store (unless another review uses the same
 * photo), the raw crawled pages they were found on, their gating decisions, queue items and audit rows, and
 * their entries in the search index. With `dryRun`, only counts.
 *
 * Order, so that a run stopped half-way can simply be run again: the search index first, then the blobs,
 * then one database transaction (the reviews go last, so the next run still finds them). Trained models
 * are not changed (retrain to drop what they learned); see docs/privacy.md.
 *
 * Throws ValidationError when neither `author` nor `source` is given.
 */
export async function eraseReviews(
  deps: EraseDeps,
  selector: EraseSelector,
  opts: { dryRun?: boolean } = {},
): Promise<EraseReport> {
  const sel = validSelector(selector);
  const dryRun = opts.dryRun === true;
  const reviews = await deps.meta.reviews.findBy(sel);
  const ids = reviews.map((r) => r.id);
  const erased = new Set(ids);
  const queue = new LabelQueue(deps.meta);

  const photoIds = [...new Set(reviews.flatMap((r) => r.photoBlobs))];
  const photoRefs = await deps.meta.reviews.photoReferences(photoIds);
  const ownPhotos = photoIds.filter((b) => (photoRefs.get(b) ?? []).every((id) => erased.has(id)));
  const rawPageIds = [
    ...new Set(
      reviews
        .map((r) => r.provenance.raw_page_blob)
        .filter((b): b is string => typeof b === 'string' && /^[0-9a-f]{64}$/.test(b)),
    ),
  ];
  const rawRefs = await deps.meta.reviews.rawPageReferences(rawPageIds);
  const others = new Set([...rawRefs.values()].flat().filter((id) => !erased.has(id)));
  const indexIds = deps.index ? [...(await deps.index.existing(reviews.flatMap(indexIdsOf)))] : [];
  const labels = await queue.countForReviews(ids);

  const report: EraseReport = {
    dryRun,
    selector: sel,
    reviews: reviews.length,
    photos: ownPhotos.length,
    sharedPhotosKept: photoIds.length - ownPhotos.length,
    rawPages: rawPageIds.length,
    otherReviewsDetachedFromRawPages: others.size,
    labelDecisions: labels.decisions,
    queueItems: labels.queueItems,
    auditRows: labels.auditRows,
    indexEntries: indexIds.length,
    indexSkipped: deps.index === undefined,
    ids,
  };
  if (dryRun || reviews.length === 0) return report;

  if (deps.index && indexIds.length > 0) await deps.index.delete(indexIds);
  for (const blob of [...ownPhotos, ...rawPageIds]) await deps.blobs.delete(blob);
  await deps.meta.db.transaction().execute(async (tx) => {
    await queue.forgetReviews(ids, tx);
    await deps.meta.reviews.detachRawPages(rawPageIds, tx);
    await deps.meta.reviews.deleteMany(ids, tx);
  });
  return report;
}
