import { fileTypeFromBuffer } from 'file-type';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { PayloadTooLargeError, UnsupportedMediaError } from '../core/errors.js';
import type { BlobStore } from '../storage/blobs.js';
import { heicToJpeg, isHeicType } from './heic.js';

/** Options of `stripPhotoMetadata` and `storePhoto`. */
export interface PhotoPrivacyOptions {
  /** Refuse (413) a photo with more pixels than this (default 100 million). */
  maxPixels?: number;
  /** The field or URL the photo came from, for error messages (default `photo`). */
  field?: string;
}

const DEFAULT_MAX_PIXELS = 100_000_000;

/** Quality of a JPEG or WebP that has to be re-encoded to drop its metadata. */
const REENCODE_QUALITY = 92;

/**
 * Removes what a customer's photo says about the customer: EXIF (GPS position, camera make and model,
 * serial numbers, time taken), XMP, IPTC, Photoshop data and PNG text chunks. The EXIF orientation is
 * applied to the pixels first, so the photo still shows the right way up. The format is kept (JPEG stays
 * JPEG, PNG stays PNG, and so on; an animated GIF or WebP keeps its frames); the ICC colour profile is kept,
 * so colours do not shift. HEIC/HEIF is converted to JPEG (browsers cannot show it).
 *
 * A photo that carries none of this is returned unchanged (same bytes), so stripping is idempotent and a
 * JPEG is never re-encoded (and degraded) for nothing. Throws UnsupportedMediaError (415) when the bytes are
 * not an image sharp can read, PayloadTooLargeError (413) over `maxPixels`.
 */
export async function stripPhotoMetadata(bytes: Uint8Array, opts: PhotoPrivacyOptions = {}): Promise<Buffer> {
  const field = opts.field ?? 'photo';
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = await fileTypeFromBuffer(buf);
  if (isHeicType(type?.mime)) return heicToJpeg(buf, { maxPixels, field });
  let meta: Metadata;
  try {
    meta = await sharp(buf, { limitInputPixels: maxPixels }).metadata();
  } catch (e) {
    const msg = (e as Error).message;
    if (/pixel limit/i.test(msg))
      throw new PayloadTooLargeError(`${field} has more pixels than the limit of ${maxPixels}`);
    throw new UnsupportedMediaError(
      `${field} is not an image that can be read (${type?.mime ?? 'unknown type'}): ${msg}`,
    );
  }
  if (meta.width * meta.height > maxPixels) {
    throw new PayloadTooLargeError(`${field} has more pixels than the limit of ${maxPixels}`);
  }
  const identifying =
    meta.exif !== undefined ||
    meta.xmp !== undefined ||
    meta.iptc !== undefined ||
    meta.tifftagPhotoshop !== undefined ||
    (meta.comments?.length ?? 0) > 0 ||
    (meta.orientation !== undefined && meta.orientation !== 1);
  if (!identifying) return buf;

  const animated = (meta.pages ?? 1) > 1;
  let img = sharp(buf, { limitInputPixels: maxPixels, animated });
  // Multi-frame images are left as they are oriented: EXIF orientation is a still-photo matter.
  if (!animated) img = img.autoOrient();
  img = img.keepIccProfile();
  try {
    return await encodeAs(img, meta).toBuffer();
  } catch (e) {
    throw new UnsupportedMediaError(`${field} could not be re-encoded as ${meta.format}: ${(e as Error).message}`);
  }
}

/** The same format as the input, or PNG (lossless) for a format sharp cannot write. */
function encodeAs(img: Sharp, meta: Metadata): Sharp {
  switch (meta.format) {
    case 'jpeg':
      return img.jpeg({
        quality: REENCODE_QUALITY,
        ...(meta.chromaSubsampling === '4:4:4' ? { chromaSubsampling: '4:4:4' } : {}),
      });
    case 'png':
      return img.png();
    case 'webp':
      return img.webp({ quality: REENCODE_QUALITY });
    case 'gif':
      return img.gif();
    case 'tiff':
      return img.tiff();
    case 'heif':
      // An AVIF (AV1 in HEIF): sharp reads and writes it.
      return img.avif();
    default:
      return img.png();
  }
}

/**
 * Stores a customer's photo in the blob store without its identifying metadata (`stripPhotoMetadata`);
 * returns the blob id (sha256 of the stored bytes). Every path that keeps a review photo goes through
 * here: crawled photos (ingest), photos indexed for search (API and CLI), imported labelled data.
 */
export async function storePhoto(blobs: BlobStore, bytes: Uint8Array, opts: PhotoPrivacyOptions = {}): Promise<string> {
  return blobs.put(await stripPhotoMetadata(bytes, opts));
}
