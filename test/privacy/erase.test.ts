import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { reviewContentId } from '../../src/core/ids.js';
import { LabelQueue } from '../../src/labeling/index.js';
import { eraseReviews } from '../../src/privacy/index.js';
import { LanceReviewIndex, lanceBackend, type RetrievalBackend } from '../../src/retrieval/index.js';
import { LocalBlobStore, MetadataStore, type NewReview } from '../../src/storage/index.js';
import { tempDir } from '../helpers/paths.js';

/**
 * Real stores (PGlite, local blobs, LanceDB): Jane's two reviews, Bob's two. Jane's first photo is hers
 * alone; her second is the same photo Bob posted (kept). Her first review shares a crawled page with Bob's.
 */
let meta: MetadataStore;
let blobs: LocalBlobStore;
let ix: LanceReviewIndex;
let index: RetrievalBackend;
let queue: LabelQueue;

const photoA = Buffer.from('jane-only photo bytes');
const photoShared = Buffer.from('photo that jane and bob both posted');
const pageShared = Buffer.from('<html>Jane Doe: Broke on day one. Bob: Fine.</html>');
const pageJane = Buffer.from('<html>Jane Doe: Love it</html>');
const ids: Record<'a' | 'b' | 'c' | 'd', string> = { a: '', b: '', c: '', d: '' };
const blob: Record<string, string> = {};

beforeAll(async () => {
  meta = await MetadataStore.open({ url: 'memory://', dataDir: tempDir() });
  blobs = new LocalBlobStore(tempDir());
  ix = await LanceReviewIndex.open({ uri: tempDir('reviewlens-erase-'), textDim: 3, imageDim: 2 });
  index = lanceBackend(ix);
  queue = new LabelQueue(meta);
  blob.a = await blobs.put(photoA);
  blob.shared = await blobs.put(photoShared);
  blob.pageShared = await blobs.put(pageShared);
  blob.pageJane = await blobs.put(pageJane);
  const rows: NewReview[] = [
    {
      id: reviewContentId({ text: 'Broke on day one', product: 'kettle' }),
      text: 'Broke on day one',
      product: 'kettle',
      author: 'Jane Doe',
      source: 'shop.example',
      url: 'https://shop.example/p/kettle',
      photoBlobs: [blob.a],
      provenance: { source_url: 'https://shop.example/start', raw_page_blob: blob.pageShared },
    },
    {
      id: reviewContentId({ text: 'Love it', product: 'mug' }),
      text: 'Love it',
      product: 'mug',
      author: 'Jane Doe',
      source: 'other.example',
      url: 'https://other.example/mug',
      photoBlobs: [blob.shared],
      provenance: { source_url: 'https://other.example/mug', raw_page_blob: blob.pageJane },
    },
    {
      id: reviewContentId({ text: 'Fine', product: 'kettle' }),
      text: 'Fine',
      product: 'kettle',
      author: 'Bob',
      source: 'shop.example',
      url: 'https://shop.example/p/kettle-2',
      photoBlobs: [blob.shared],
      provenance: { source_url: 'https://shop.example/start', raw_page_blob: blob.pageShared },
    },
    { id: reviewContentId({ text: 'A tweet' }), text: 'A tweet', author: 'Bob', source: 'dataset:tweets' },
  ];
  await meta.reviews.insertMany(rows);
  [ids.a, ids.b, ids.c, ids.d] = rows.map((r) => r.id) as [string, string, string, string];
  // In the search index as the index step puts them: the id hashes text, product and the stored photo.
  await index.write(
    rows.map((r, i) => ({
      record: { id: reviewContentId(r, r.photoBlobs?.[0]), text: r.text, source: r.source },
      textVector: Float32Array.from([i, 1, 0]),
      imageVector: r.photoBlobs?.[0] ? Float32Array.from([1, i]) : null,
    })),
  );
  const vote = { labeler: 'lexicon', label: 'negative' as const, confidence: 0.6 };
  const opts = { thresholds: { accept: 0.9, review: 0.5 }, calibration: 'none' };
  await queue.record(ids.a, { label: 'negative', confidence: 0.6, votes: [vote] as never }, 'queued', opts);
  await queue.record(ids.c, { label: 'positive', confidence: 0.6, votes: [vote] as never }, 'queued', opts);
});
afterAll(async () => {
  await ix.close();
  await meta.close();
});

const indexCount = () => index.count();

describe('eraseReviews', () => {
  it('a dry run counts what would go and changes nothing', async () => {
    const r = await eraseReviews({ meta, blobs, index }, { author: 'Jane Doe' }, { dryRun: true });
    expect(r).toMatchObject({
      dryRun: true,
      reviews: 2,
      photos: 1,
      sharedPhotosKept: 1,
      rawPages: 2,
      otherReviewsDetachedFromRawPages: 1,
      labelDecisions: 1,
      queueItems: 1,
      indexEntries: 2,
      indexSkipped: false,
    });
    expect(r.auditRows).toBeGreaterThanOrEqual(1);
    expect(r.ids.sort()).toEqual([ids.a, ids.b].sort());
    expect(await meta.reviews.count()).toBe(4);
    expect(await blobs.has(blob.a as string)).toBe(true);
    expect(await indexCount()).toBe(4);
  });

  it("erases an author's reviews, own photos, raw pages, labels and index entries; keeps what others share", async () => {
    const r = await eraseReviews({ meta, blobs, index }, { author: 'Jane Doe' });
    expect(r).toMatchObject({ dryRun: false, reviews: 2, photos: 1, rawPages: 2, indexEntries: 2 });

    expect(await meta.reviews.get(ids.a)).toBeUndefined();
    expect(await meta.reviews.get(ids.b)).toBeUndefined();
    expect(await meta.reviews.count()).toBe(2);
    expect(await blobs.has(blob.a as string)).toBe(false);
    expect(await blobs.has(blob.shared as string)).toBe(true); // Bob's photo too
    expect(await blobs.has(blob.pageShared as string)).toBe(false); // it had Jane's name and text
    expect(await blobs.has(blob.pageJane as string)).toBe(false);
    const bob = await meta.reviews.get(ids.c);
    expect(bob?.provenance).toMatchObject({ raw_page_blob: null, source_url: 'https://shop.example/start' });
    expect(bob?.photoBlobs).toEqual([blob.shared]);

    expect(await queue.audit(ids.a)).toEqual([]);
    const left = await meta.db.selectFrom('label_queue').select('review_id').execute();
    expect(left.map((x) => x.review_id)).toEqual([ids.c]);
    expect(await meta.db.selectFrom('label_decisions').select('review_id').execute()).toEqual([{ review_id: ids.c }]);

    expect(await indexCount()).toBe(2);
    const hits = await index.bm25('Broke Love', { limit: 10 });
    expect(hits).toEqual([]);

    const again = await eraseReviews({ meta, blobs, index }, { author: 'Jane Doe' });
    expect(again.reviews).toBe(0);
  });

  it('erases by source: a crawl start URL, a page URL or a source id', async () => {
    expect(
      (await eraseReviews({ meta, blobs, index }, { source: 'https://shop.example/p/kettle-2' }, { dryRun: true })).ids,
    ).toEqual([ids.c]);
    const bySource = await eraseReviews({ meta, blobs, index }, { source: 'https://shop.example/start' });
    expect(bySource).toMatchObject({ reviews: 1, photos: 1, sharedPhotosKept: 0, labelDecisions: 1, indexEntries: 1 });
    expect(await blobs.has(blob.shared as string)).toBe(false); // no one uses it any more
    const byId = await eraseReviews({ meta, blobs, index }, { source: 'dataset:tweets', author: 'Bob' });
    expect(byId).toMatchObject({ reviews: 1, photos: 0, indexEntries: 1 });
    expect(await meta.reviews.count()).toBe(0);
    expect(await indexCount()).toBe(0);
  });

  it('needs an author or a source', async () => {
    await expect(eraseReviews({ meta, blobs, index }, {})).rejects.toBeInstanceOf(ValidationError);
    await expect(eraseReviews({ meta, blobs, index }, { author: '  ' })).rejects.toThrow(
      /--author NAME and\/or --source/,
    );
  });
});
