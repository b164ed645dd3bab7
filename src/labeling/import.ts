import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ValidationError } from '../core/errors.js';
import { reviewContentId, sha256 } from '../core/ids.js';
import { storePhoto } from '../media/index.js';
import type { BlobStore, MetadataStore, NewReview } from '../storage/index.js';

export const MVSA_UNLABELED_SOURCE = 'dataset:mvsa-unlabeled';

export interface ImportReport {
  rows: number;
  inserted: number;
  /** Reviews already in the store. */
  duplicates: number;
  /** Rows that repeat an earlier row of the same file (same text and photo: one review). */
  repeated: number;
  withPhoto: number;
  /** Rows left out, with why (line number from 1). */
  skipped: Array<{ line: number; reason: string }>;
  /** Rows imported without their photo, with why. */
  photoMissing: Array<{ line: number; reason: string }>;
}

/**
 * Imports a JSON Lines file of reviews (`{id?, text, image?}` a line, MVSA-Single's `unlabeled.jsonl`
 * shape) into the reviews table, photos into the blob store, as unlabelled reviews of `source`. Any
 * label in the file is ignored: these are the pool the labeling agent labels. Photos are looked up in
 * `images` by file name (or relative to the file). Re-importing is a no-op (content-hash ids).
 */
/** A report with nothing imported yet. */
function emptyImportReport(rows: number): ImportReport {
  return { rows, inserted: 0, duplicates: 0, repeated: 0, withPhoto: 0, skipped: [], photoMissing: [] };
}

export async function importReviewsJsonl(
  meta: MetadataStore,
  blobs: BlobStore,
  opts: { data: string; images?: string; source?: string; log?: (m: string) => void },
): Promise<ImportReport> {
  let raw: string;
  try {
    raw = await readFile(opts.data, 'utf8');
  } catch (e) {
    throw new ValidationError(`cannot read --data ${opts.data}: ${(e as Error).message}`, 'data');
  }
  const source = opts.source ?? MVSA_UNLABELED_SOURCE;
  const report = emptyImportReport(0);
  const reviews: NewReview[] = [];
  const lines = raw.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    report.rows++;
    let row: { id?: unknown; text?: unknown; image?: unknown };
    try {
      row = JSON.parse(line);
    } catch {
      report.skipped.push({ line: i + 1, reason: 'not valid JSON' });
      continue;
    }
    const text = typeof row.text === 'string' ? row.text.trim() : '';
    if (text === '') {
      report.skipped.push({ line: i + 1, reason: 'no text' });
      continue;
    }
    let photoBlobs: string[] = [];
    let photoSha: string | undefined;
    if (typeof row.image === 'string' && row.image !== '') {
      const path = opts.images ? join(opts.images, basename(row.image)) : resolve(dirname(opts.data), row.image);
      try {
        const bytes = await readFile(path);
        // The id keeps the sha256 of the file as given (re-imports dedup); the stored copy has no EXIF.
        photoBlobs = [await storePhoto(blobs, bytes, { field: `photo ${basename(path)}` })];
        photoSha = sha256(bytes);
        report.withPhoto++;
      } catch (e) {
        report.photoMissing.push({ line: i + 1, reason: (e as Error).message.split('\n')[0] ?? 'unreadable' });
      }
    }
    reviews.push({
      id: reviewContentId({ text }, photoSha),
      text,
      source,
      photoBlobs,
      provenance: {
        file: basename(opts.data),
        line: i + 1,
        ...(row.id !== undefined ? { dataset_id: String(row.id) } : {}),
      },
    });
    if (report.rows % 200 === 0) opts.log?.(`read ${report.rows} rows`);
  }
  return insertCounted(meta, reviews, report);
}

async function insertCounted(meta: MetadataStore, reviews: NewReview[], report: ImportReport): Promise<ImportReport> {
  const res = await meta.reviews.insertMany(reviews);
  const unique = new Set(reviews.map((r) => r.id)).size;
  report.inserted = res.inserted.length;
  report.repeated = reviews.length - unique;
  report.duplicates = unique - res.inserted.length;
  return report;
}

/**
 * Imports reviews held in memory (text only, no photos) as unlabelled reviews of `source`, as
 * `importReviewsJsonl` does a file: content-hash ids (re-importing is a no-op), rows without text skipped.
 * Each row's `id` is kept as `provenance.dataset_id`, its `provenance` merged in, and `origin` names where the
 * rows came from (`provenance.file`).
 */
export async function importReviewRows(
  meta: MetadataStore,
  rows: ReadonlyArray<{ id?: string; text: string; provenance?: Record<string, unknown> }>,
  opts: { source: string; origin: string },
): Promise<ImportReport> {
  const report = emptyImportReport(rows.length);
  const reviews: NewReview[] = [];
  rows.forEach((row, i) => {
    const text = row.text.trim();
    if (text === '') {
      report.skipped.push({ line: i + 1, reason: 'no text' });
      return;
    }
    reviews.push({
      id: reviewContentId({ text }),
      text,
      source: opts.source,
      photoBlobs: [],
      provenance: {
        file: opts.origin,
        line: i + 1,
        ...(row.id !== undefined ? { dataset_id: row.id } : {}),
        ...row.provenance,
      },
    });
  });
  return insertCounted(meta, reviews, report);
}
