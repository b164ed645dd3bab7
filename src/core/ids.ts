import { createHash } from 'node:crypto';

/** Hex sha256 of bytes or a UTF-8 string. */
export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The content-hash id of a review: the same text (whitespace-normalised, case kept), product and photo
 * bytes give the same id, whichever source or run it came from, so re-indexing is a no-op and
 * duplicates across sources collapse. Rating, date, source and label are not part of it: they may change.
 */
export function reviewContentId(
  review: { text: string; product?: string | null | undefined },
  photoSha?: string,
): string {
  const text = review.text.normalize('NFC').replace(/\s+/g, ' ').trim();
  return sha256(['review/1', text, (review.product ?? '').trim(), photoSha ?? ''].join('\u0000'));
}
