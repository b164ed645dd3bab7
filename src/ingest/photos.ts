import { fileTypeFromBuffer } from 'file-type';
import {
  PayloadTooLargeError,
  RefusedAddressError,
  TimeoutError,
  UnavailableError,
  UnsupportedMediaError,
} from '../core/errors.js';
import { HEIC_TYPES, storePhoto } from '../media/index.js';
import { defaultFetcher, type SafeFetcher, type SafeResponse } from '../net/index.js';
import type { BlobStore } from '../storage/index.js';

/** Photo types a review photo may be (judged by its bytes, never its URL or Content-Type); HEIC is stored as JPEG. */
const IMAGE_TYPES = new Set([
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/avif',
  'image/bmp',
  ...HEIC_TYPES,
]);

export interface PhotoLimits {
  maxBytes: number;
  timeoutMs: number;
  userAgent: string;
  /** The SSRF-safe fetcher (its allow list); default: one with no allow list. */
  fetcher?: SafeFetcher | undefined;
}

/**
 * Downloads one review photo and stores it in the blob store by content hash (sha256) without its
 * identifying metadata (EXIF GPS position and device; `storePhoto`), HEIC as JPEG; returns the blob
 * id. Refuses a body over `maxBytes` (by Content-Length before reading, and while reading), a file that
 * is not an image by its bytes, and an image that does not decode. Fetched through `limits.fetcher`, the
 * SSRF guard (default: no allow list): a refused address throws RefusedAddressError naming the rule.
 */
export async function downloadPhoto(
  url: string,
  blobs: BlobStore,
  limits: PhotoLimits,
  signal?: AbortSignal,
): Promise<string> {
  const fetcher = limits.fetcher ?? defaultFetcher();
  // Through the SSRF-safe fetcher: a refused address (RefusedAddressError), redirects checked, size and time capped.
  let res: SafeResponse;
  try {
    res = await fetcher.fetch(url, {
      headers: { 'user-agent': limits.userAgent, accept: 'image/*' },
      maxBytes: limits.maxBytes,
      timeoutMs: limits.timeoutMs,
      signal,
    });
  } catch (e) {
    if (e instanceof RefusedAddressError) {
      throw new RefusedAddressError(`photo ${url}: ${e.message}`, { rule: e.rule, address: e.address });
    }
    if (e instanceof PayloadTooLargeError) throw new PayloadTooLargeError(`photo ${e.message}`);
    if (e instanceof TimeoutError) throw new UnavailableError(`photo ${url}: no answer in ${limits.timeoutMs} ms`, e);
    const code = (e as NodeJS.ErrnoException).code;
    throw new UnavailableError(`photo ${url}: ${code ?? (e as Error).message}`, e);
  }
  if (!res.ok) throw new UnavailableError(`photo ${url}: HTTP ${res.status}`);
  const bytes = res.body;
  const type = await fileTypeFromBuffer(bytes);
  if (!type || !IMAGE_TYPES.has(type.mime)) {
    throw new UnsupportedMediaError(`photo ${url}: not an image (${type?.mime ?? 'unknown type'})`);
  }
  try {
    // Kept without its EXIF (GPS position, device) and other identifying metadata, oriented as it shows.
    return await storePhoto(blobs, bytes, { maxPixels: 100_000_000, field: `photo ${url}` });
  } catch (e) {
    if (e instanceof PayloadTooLargeError) throw e;
    throw new UnsupportedMediaError(`photo ${url}: the ${type.mime} does not decode (${(e as Error).message})`);
  }
}
