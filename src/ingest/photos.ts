import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { PayloadTooLargeError, UnavailableError, UnsupportedMediaError } from '../core/errors.js';
import type { BlobStore } from '../storage/index.js';

/** Photo types a review photo may be (judged by its bytes, never its URL or Content-Type). */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/bmp']);

export interface PhotoLimits {
  maxBytes: number;
  timeoutMs: number;
  userAgent: string;
}

/**
 * Downloads one review photo and stores it in the blob store by content hash (sha256); returns the blob
 * id. Refuses a body over `maxBytes` (by Content-Length before reading, and while reading), a file that
 * is not an image by its bytes, and an image that does not decode.
 */
export async function downloadPhoto(
  url: string,
  blobs: BlobStore,
  limits: PhotoLimits,
  signal?: AbortSignal,
): Promise<string> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { 'user-agent': limits.userAgent, accept: 'image/*' },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      redirect: 'follow',
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    throw new UnavailableError(
      `photo ${url}: ${timeout.aborted ? `no answer in ${limits.timeoutMs} ms` : (cause ?? (e as Error).message)}`,
      e,
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new UnavailableError(`photo ${url}: HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    await res.body?.cancel();
    throw new PayloadTooLargeError(`photo ${url}: ${declared} bytes, over the ${limits.maxBytes}-byte limit`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limits.maxBytes) {
        await reader.cancel();
        throw new PayloadTooLargeError(`photo ${url}: over the ${limits.maxBytes}-byte limit`);
      }
      chunks.push(value);
    }
  }
  const bytes = Buffer.concat(chunks);
  const type = await fileTypeFromBuffer(bytes);
  if (!type || !IMAGE_TYPES.has(type.mime)) {
    throw new UnsupportedMediaError(`photo ${url}: not an image (${type?.mime ?? 'unknown type'})`);
  }
  try {
    await sharp(bytes, { limitInputPixels: 100_000_000 }).metadata();
  } catch (e) {
    throw new UnsupportedMediaError(`photo ${url}: the ${type.mime} does not decode (${(e as Error).message})`);
  }
  return blobs.put(bytes);
}
