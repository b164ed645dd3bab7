import type { Config } from '../core/config.js';
import { reviewContentId } from '../core/ids.js';
import type { SafeFetcher } from '../net/index.js';
import type { BlobStore, MetadataStore, NewReview } from '../storage/index.js';
import type { FetchedPage } from './crawl.js';
import { domainOf } from './memory.js';
import { downloadPhoto } from './photos.js';
import type { ExtractedReview } from './types.js';

export interface StoredPage {
  found: number;
  inserted: number;
  duplicates: number;
  photosDownloaded: number;
  /** Photos that could not be stored (their reviews are kept without them). */
  photoErrors: { url: string; message: string }[];
}

/**
 * Stores a page's reviews: content-hash ids (text and product), so reviews already stored are duplicates
 * and their photos are not fetched again; the photos of new ones are downloaded into the blob store; every
 * review carries its provenance. One transaction for the page's reviews.
 */
export async function storePageReviews(
  deps: {
    meta: MetadataStore;
    blobs: BlobStore;
    ingest: Config['ingest'];
    /** The SSRF-safe fetcher photos are downloaded with. */
    fetcher: SafeFetcher;
    signal?: AbortSignal | undefined;
  },
  page: FetchedPage,
  reviews: ExtractedReview[],
  product: string | null,
  rawPageBlob: string | null,
): Promise<StoredPage> {
  const cfg = deps.ingest;
  const domain = domainOf(page.url);
  const rows = reviews.map((r) => ({ r, id: reviewContentId({ text: r.text, product }) }));
  const existing = await deps.meta.reviews.existing(rows.map((x) => x.id));
  const out: StoredPage = { found: rows.length, inserted: 0, duplicates: 0, photosDownloaded: 0, photoErrors: [] };
  const fresh: NewReview[] = [];
  for (const { r, id } of rows) {
    if (existing.has(id)) continue;
    const photoBlobs: string[] = [];
    for (const url of cfg.photos ? r.photos : []) {
      try {
        const limits = {
          maxBytes: cfg.photoMaxBytes,
          timeoutMs: cfg.photoTimeoutMs,
          userAgent: cfg.userAgent,
          fetcher: deps.fetcher,
        };
        photoBlobs.push(await downloadPhoto(url, deps.blobs, limits, deps.signal));
        out.photosDownloaded++;
      } catch (e) {
        // The review is kept without this photo; the failure is reported, not hidden.
        out.photoErrors.push({ url, message: (e as Error).message });
      }
    }
    fresh.push({
      id,
      text: r.text,
      title: r.title,
      author: r.author,
      rating: r.rating,
      reviewDate: r.date,
      product,
      url: page.url,
      source: domain,
      photoBlobs,
      provenance: {
        source_url: page.url,
        fetched_at: page.fetchedAt.toISOString(),
        extractor: r.extractor,
        selector: r.selector,
        raw_page_blob: rawPageBlob,
        crawler: page.crawler,
        photo_urls: r.photos,
      },
    });
  }
  const { inserted } = await deps.meta.reviews.insertMany(fresh);
  out.inserted = inserted.length;
  out.duplicates = rows.length - inserted.length;
  return out;
}
