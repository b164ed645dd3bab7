import { SENTIMENTS, type Sentiment } from '../core/types.js';
import type { ReviewRecord } from './types.js';

/**
 * A review's fields as every backend stores them (snake_case, nulls for what is missing): LanceDB
 * columns, Qdrant payloads and OpenSearch documents share this shape.
 */
export interface StoredFields {
  text: string;
  title: string | null;
  product: string | null;
  rating: number | null;
  date: string | null;
  source: string | null;
  label: Sentiment | null;
  image_id: string | null;
  has_image: boolean;
}

/** The stored form of a record; `hasImage` defaults to whether it names a photo. */
export function storedFields(r: ReviewRecord, hasImage = r.imageId != null): StoredFields {
  return {
    text: r.text,
    title: r.title ?? null,
    product: r.product ?? null,
    rating: r.rating ?? null,
    date: r.date ?? null,
    source: r.source ?? null,
    label: r.label ?? null,
    image_id: r.imageId ?? null,
    has_image: hasImage,
  };
}

/** A record from stored fields, tolerating missing or mistyped values (an unknown label reads as none). */
export function recordFromStored(id: string, s: Record<string, unknown>): ReviewRecord {
  const str = (k: string) => (typeof s[k] === 'string' ? (s[k] as string) : null);
  const label = str('label');
  return {
    id,
    text: str('text') ?? '',
    title: str('title'),
    product: str('product'),
    rating: typeof s.rating === 'number' ? s.rating : null,
    date: str('date'),
    source: str('source'),
    label: label !== null && (SENTIMENTS as readonly string[]).includes(label) ? (label as Sentiment) : null,
    imageId: str('image_id'),
  };
}

/** `items` in consecutive slices of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
