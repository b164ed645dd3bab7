import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { PayloadTooLargeError, UnsupportedMediaError } from '../../core/errors.js';
import { sha256 } from '../../core/ids.js';

/** JPEG quality of every synthetic photo. */
export const PHOTO_JPEG_QUALITY = 90;

/**
 * Reads image bytes (any format sharp reads: PNG, JPEG, WebP...) and re-encodes them as JPEG with no metadata.
 * Throws UnsupportedMediaError naming `what` when the bytes are not an image, PayloadTooLargeError over
 * `maxPixels` (checked before decoding the pixels).
 */
export async function toJpeg(
  bytes: Buffer,
  what: string,
  maxPixels: number,
): Promise<{ jpeg: Buffer; width: number; height: number; sha256: string; format: string }> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: maxPixels }).metadata();
  } catch (e) {
    const msg = (e as Error).message;
    if (/pixel limit/i.test(msg))
      throw new PayloadTooLargeError(`${what} has more pixels than the limit of ${maxPixels}`);
    throw new UnsupportedMediaError(`${what} is not an image (${bytes.length} bytes): ${msg}`);
  }
  if ((meta.width ?? 0) * (meta.height ?? 0) > maxPixels) {
    throw new PayloadTooLargeError(`${what} is ${meta.width}x${meta.height}, over the limit of ${maxPixels} pixels`);
  }
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await sharp(bytes, { limitInputPixels: maxPixels })
      .rotate()
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: PHOTO_JPEG_QUALITY })
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new UnsupportedMediaError(`${what} could not be decoded: ${(e as Error).message}`);
  }
  return {
    jpeg: out.data,
    width: out.info.width,
    height: out.info.height,
    sha256: sha256(out.data),
    format: meta.format ?? 'unknown',
  };
}
