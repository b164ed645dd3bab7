import { isAppError, ValidationError } from '../core/errors.js';
import { reviewContentId, sha256 } from '../core/ids.js';
import { storePhoto } from '../media/index.js';
import { decodeImage, type ImageLimits } from '../models/image-input.js';
import type { Encoders } from '../models/index.js';
import type { BlobStore } from '../storage/blobs.js';
import type { RetrievalBackend } from './backend.js';
import type { QueryEncoders } from './hybrid.js';
import type { ReviewRecord, VectorizedReview } from './types.js';

/** A review to index, as a user or the pipeline gives it: a record without its id, with the photo's bytes. */
export type ReviewInput = Omit<ReviewRecord, 'id' | 'imageId'> & {
  /** The photo's bytes, when it has one. */
  image?: Uint8Array;
};

/** The encoders the indexer and the searcher share. */
export interface ReviewEncoders extends QueryEncoders {
  texts(texts: readonly string[]): Promise<Float32Array[]>;
}

/** The served model's encoders as retrieval encoders: MiniLM for text, MobileNetV2 for photos. */
export function reviewEncoders(encoders: Encoders, limits: ImageLimits): ReviewEncoders {
  return {
    texts: (texts) => encoders.text.encode(texts),
    async text(q) {
      const [v] = await encoders.text.encode([q]);
      if (!v) throw new Error('text encoder returned nothing');
      return v;
    },
    async image(bytes, field) {
      const decoded = await decodeImage(bytes, encoders.image.inputSize, limits, field);
      const [v] = await encoders.image.encode([decoded]);
      if (!v) throw new Error('image encoder returned nothing');
      return v;
    },
  };
}

export interface IndexReport {
  /** Ids in input order (failed items included, when their id could be computed). */
  ids: (string | undefined)[];
  added: number;
  /** Already indexed (same content hash) or repeated within the input: nothing written. */
  duplicate: number;
  withPhoto: number;
  failed: { index: number; error: string }[];
}

export interface IndexOptions {
  batchSize?: number;
  onProgress?: (done: number, total: number, report: IndexReport) => void;
  /** Stop at the first bad item instead of recording it and going on. */
  failFast?: boolean;
}

const MAX_TEXT = 100_000;

function checkInput(r: ReviewInput): void {
  if (typeof r.text !== 'string' || r.text.trim() === '') throw new ValidationError('text must not be empty', 'text');
  if (r.text.length > MAX_TEXT) throw new ValidationError(`text is over ${MAX_TEXT} characters`, 'text');
  if (r.rating != null && !Number.isFinite(r.rating)) throw new ValidationError('rating must be a number', 'rating');
  if (r.date != null && Number.isNaN(Date.parse(r.date))) {
    throw new ValidationError(`date ${JSON.stringify(r.date)} is not an ISO 8601 date`, 'date');
  }
}

/**
 * Indexes reviews: computes each one's content-hash id, skips what is already there, keeps the photo in
 * the blob store (without its identifying metadata: `storePhoto`), encodes text and photo, and writes the
 * batch to the retrieval backend. A bad item is recorded with its error and the others go on; nothing is
 * half-written (an item is written with both its vectors or not at all).
 */
export class ReviewIndexer {
  constructor(
    private readonly backend: RetrievalBackend,
    private readonly encoders: ReviewEncoders,
    private readonly blobs: BlobStore,
  ) {}

  async index(inputs: readonly ReviewInput[], opts: IndexOptions = {}): Promise<IndexReport> {
    const report: IndexReport = { ids: [], added: 0, duplicate: 0, withPhoto: 0, failed: [] };
    const batch = Math.max(1, opts.batchSize ?? 64);
    const seen = new Set<string>();
    for (let start = 0; start < inputs.length; start += batch) {
      await this.indexBatch(inputs.slice(start, start + batch), start, seen, report, opts.failFast ?? false);
      opts.onProgress?.(Math.min(start + batch, inputs.length), inputs.length, report);
    }
    return report;
  }

  private async indexBatch(
    items: readonly ReviewInput[],
    offset: number,
    seen: Set<string>,
    report: IndexReport,
    failFast: boolean,
  ): Promise<void> {
    const fail = (i: number, e: unknown) => {
      if (failFast || !isAppError(e)) throw e;
      report.failed.push({ index: offset + i, error: e.message });
    };
    const fresh: { i: number; record: ReviewRecord; image?: Uint8Array }[] = [];
    const ids: (string | undefined)[] = [];
    items.forEach((r, i) => {
      try {
        checkInput(r);
        ids.push(reviewContentId(r, r.image ? sha256(r.image) : undefined));
      } catch (e) {
        ids.push(undefined);
        fail(i, e);
      }
    });
    report.ids.push(...ids);
    const stored = await this.backend.existing(ids.filter((x): x is string => x !== undefined));
    items.forEach((r, i) => {
      const id = ids[i];
      if (id === undefined) return;
      if (stored.has(id) || seen.has(id)) {
        report.duplicate++;
        return;
      }
      seen.add(id);
      fresh.push({ i, record: toRecord(id, r), ...(r.image ? { image: r.image } : {}) });
    });
    if (fresh.length === 0) return;

    const imageVecs = new Map<number, Float32Array>();
    const ok: typeof fresh = [];
    for (const f of fresh) {
      if (!f.image) {
        ok.push(f);
        continue;
      }
      try {
        imageVecs.set(f.i, await this.encoders.image(f.image, 'image'));
        ok.push(f);
      } catch (e) {
        seen.delete(f.record.id);
        fail(f.i, e);
      }
    }
    const textVecs = await this.encoders.texts(
      ok.map((f) => (f.record.title ? `${f.record.title}\n${f.record.text}` : f.record.text)),
    );
    const rows: VectorizedReview[] = [];
    for (const [j, f] of ok.entries()) {
      const imageVector = imageVecs.get(f.i);
      // The review's id keeps the sha256 of the photo as given; the stored copy has no EXIF (GPS, device).
      if (f.image && imageVector) f.record.imageId = await storePhoto(this.blobs, f.image, { field: 'image' });
      rows.push({ record: f.record, textVector: textVecs[j] as Float32Array, imageVector: imageVector ?? null });
    }
    await this.backend.write(rows);
    report.added += rows.length;
    report.withPhoto += rows.filter((r) => r.imageVector).length;
  }
}

function toRecord(id: string, r: ReviewInput): ReviewRecord {
  return {
    id,
    text: r.text,
    title: r.title ?? null,
    product: r.product ?? null,
    rating: r.rating ?? null,
    date: r.date ?? null,
    source: r.source ?? null,
    label: r.label ?? null,
    imageId: null,
  };
}
