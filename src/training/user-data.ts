import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { ValidationError } from '../core/errors.js';
import type { Sentiment } from '../core/types.js';
import type { Example } from './datasets.js';

/**
 * Labels a user's file may carry, and how they map to the three classes:
 * `positive` / `negative` / `neutral` (any case; `pos`, `neg`, `neu` too), or star ratings 1-5 where
 * 1-2 stars are negative, 3 neutral, 4-5 positive (decimals round to the nearest star).
 */
export function mapLabel(raw: unknown): Sentiment | undefined {
  if (raw === null || raw === undefined) return undefined;
  const s = String(raw).trim().toLowerCase();
  if (['positive', 'pos', 'p'].includes(s)) return 'positive';
  if (['negative', 'neg', 'n'].includes(s)) return 'negative';
  if (['neutral', 'neu', 'mixed'].includes(s)) return 'neutral';
  const stars = Number(s.replace(/\s*stars?$/, ''));
  if (Number.isFinite(stars) && stars >= 1 && stars <= 5) {
    const r = Math.round(stars);
    return r <= 2 ? 'negative' : r === 3 ? 'neutral' : 'positive';
  }
  return undefined;
}

/** Column names read as the review text, the photo and the label, first match wins. */
export const TEXT_COLS = ['text', 'review', 'review_text', 'body', 'content'];
export const IMAGE_COLS = ['image', 'image_path', 'image_url', 'photo', 'photo_url', 'img'];
const LABEL_COLS = ['label', 'sentiment', 'rating', 'stars', 'score'];

/** The value of the first of `names` present in the row (column names compared trimmed, any case). */
export function pickCol(row: Record<string, unknown>, names: string[]): unknown {
  for (const n of names) {
    for (const k of Object.keys(row)) if (k.trim().toLowerCase() === n) return row[k];
  }
  return undefined;
}

/** A row's photo column as a path (relative ones resolved against `base`) or an http(s) URL. */
export function imageRef(img: unknown, base: string): string | undefined {
  if (typeof img !== 'string' || img.trim() === '') return undefined;
  const v = img.trim();
  return /^https?:\/\//i.test(v) ? v : isAbsolute(v) ? v : join(base, v);
}

export interface UserDataReport {
  file: string;
  rows: number;
  used: number;
  skipped: Array<{ row: number; reason: string }>;
  withImage: number;
}

/** The rows of a JSONL (`.jsonl`, `.ndjson`) or CSV/TSV file, as objects keyed by column name. */
export function readRows(file: string): Array<Record<string, unknown>> {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ValidationError(`cannot read --data ${file}: ${(e as Error).message}`, 'data');
  }
  const ext = extname(file).toLowerCase();
  let rows: Array<Record<string, unknown>>;
  if (ext === '.jsonl' || ext === '.ndjson') {
    rows = raw
      .split(/\r?\n/)
      .map((l, i) => [l, i] as const)
      .filter(([l]) => l.trim() !== '')
      .map(([l, i]) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch (e) {
          throw new ValidationError(`${file} line ${i + 1} is not JSON: ${(e as Error).message}`, 'data');
        }
      });
  } else if (ext === '.csv' || ext === '.tsv') {
    rows = parseCsv(raw, {
      columns: true,
      skip_empty_lines: true,
      delimiter: ext === '.tsv' ? '\t' : ',',
      bom: true,
      relax_quotes: true,
    });
  } else {
    throw new ValidationError(`--data must be .jsonl, .csv or .tsv (got ${ext || 'no extension'})`, 'data');
  }
  return rows;
}

/**
 * Reads a user's labelled reviews from JSONL or CSV (by extension). Columns: text, image (a path,
 * relative to `imagesDir` or the file's folder, or an http(s) URL), label (see mapLabel). Rows without
 * text or with an unknown label are skipped and reported, never guessed.
 */
export function loadUserData(file: string, imagesDir?: string): { examples: Example[]; report: UserDataReport } {
  const rows = readRows(file);
  const base = imagesDir ? resolve(imagesDir) : dirname(resolve(file));
  const report: UserDataReport = { file, rows: rows.length, used: 0, skipped: [], withImage: 0 };
  const examples: Example[] = [];
  rows.forEach((row, i) => {
    const text = pickCol(row, TEXT_COLS);
    const label = mapLabel(pickCol(row, LABEL_COLS));
    if (typeof text !== 'string' || text.trim() === '') {
      report.skipped.push({ row: i + 1, reason: 'no text' });
      return;
    }
    if (!label) {
      report.skipped.push({ row: i + 1, reason: `unknown label ${JSON.stringify(pickCol(row, LABEL_COLS))}` });
      return;
    }
    const img = pickCol(row, IMAGE_COLS);
    const image = imageRef(img, base);
    if (image) report.withImage++;
    examples.push({ id: `user:${i + 1}`, text, label, source: file, ...(image ? { image } : {}) });
  });
  report.used = examples.length;
  if (examples.length === 0)
    throw new ValidationError(`${file} has no usable rows (${report.skipped.length} skipped)`, 'data');
  return { examples, report };
}
