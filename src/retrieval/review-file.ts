import { dirname, resolve } from 'node:path';
import type { Sentiment } from '../core/types.js';
import { IMAGE_COLS, imageRef, mapLabel, pickCol, readRows, TEXT_COLS } from '../training/user-data.js';

/** One row of a file of reviews to index, before its photo is read. */
export interface ReviewRow {
  /** 1-based row number in the file, for reports. */
  row: number;
  text: string;
  title?: string;
  product?: string;
  rating?: number;
  date?: string;
  source?: string;
  label?: Sentiment;
  /** A local path or an http(s) URL. */
  image?: string;
}

const str = (v: unknown): string | undefined =>
  v === undefined || v === null || String(v).trim() === '' ? undefined : String(v).trim();

/**
 * Reads reviews to index from JSONL or CSV/TSV. Columns (any case): text (or review, body, content),
 * title, product (or product_id, asin), rating (or stars), date, source, label (or sentiment: positive /
 * negative / neutral, or 1-5 stars), image (a path relative to `imagesDir` or the file's folder, or a URL).
 * Rows without text, or with a rating or date that cannot be read, are reported and skipped.
 */
export function readReviewFile(
  file: string,
  opts: { imagesDir?: string; source?: string } = {},
): { rows: ReviewRow[]; skipped: { row: number; reason: string }[] } {
  const raw = readRows(file);
  const base = opts.imagesDir ? resolve(opts.imagesDir) : dirname(resolve(file));
  const rows: ReviewRow[] = [];
  const skipped: { row: number; reason: string }[] = [];
  raw.forEach((r, i) => {
    const parsed = parseRow(r, i + 1, base, opts.source);
    if (typeof parsed === 'string') skipped.push({ row: i + 1, reason: parsed });
    else rows.push(parsed);
  });
  return { rows, skipped };
}

/** One row as a ReviewRow, or the reason it cannot be used. */
function parseRow(r: Record<string, unknown>, row: number, base: string, source?: string): ReviewRow | string {
  const text = str(pickCol(r, TEXT_COLS));
  if (!text) return 'no text';
  const ratingRaw = str(pickCol(r, ['rating', 'stars']));
  const rating = ratingRaw === undefined ? undefined : Number(ratingRaw.replace(/\s*stars?$/i, ''));
  if (rating !== undefined && !Number.isFinite(rating)) return `rating ${JSON.stringify(ratingRaw)} is not a number`;
  const date = str(pickCol(r, ['date', 'created_at', 'time']));
  if (date !== undefined && Number.isNaN(Date.parse(date)))
    return `date ${JSON.stringify(date)} is not an ISO 8601 date`;
  const labelRaw = pickCol(r, ['label', 'sentiment']);
  const label = mapLabel(labelRaw);
  if (str(labelRaw) !== undefined && !label) return `unknown label ${JSON.stringify(labelRaw)}`;
  const out: ReviewRow = { row, text };
  const title = str(pickCol(r, ['title', 'summary', 'headline']));
  const product = str(pickCol(r, ['product', 'product_id', 'asin', 'sku']));
  const src = str(pickCol(r, ['source'])) ?? source;
  const image = imageRef(pickCol(r, IMAGE_COLS), base);
  if (title) out.title = title;
  if (product) out.product = product;
  if (rating !== undefined) out.rating = rating;
  if (date) out.date = date;
  if (src) out.source = src;
  if (label) out.label = label;
  if (image) out.image = image;
  return out;
}
