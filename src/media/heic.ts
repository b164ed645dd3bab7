import sharp, { type Sharp } from 'sharp';
import { PayloadTooLargeError, ValidationError } from '../core/errors.js';

/**
 * HEIC / HEIF photos (what most phones take). sharp's bundled libvips reads the HEIF container only with
 * AV1 inside (AVIF), not HEVC, so HEVC photos are decoded by libheif built to WebAssembly (`libheif-js`,
 * LGPL-3.0, through `heic-decode`, ISC): nothing native to install, nothing downloaded at install or run
 * time. A 12-megapixel photo takes about 0.35-0.6 s to decode on one core here, on the calling thread.
 */

/** Mime types (as `file-type` names them from the bytes) that are decoded here. */
export const HEIC_TYPES = ['image/heic', 'image/heif', 'image/heic-sequence', 'image/heif-sequence'] as const;

/** True when `mime` (judged from the bytes) is a HEIC/HEIF photo. */
export function isHeicType(mime: string | undefined): boolean {
  return mime !== undefined && (HEIC_TYPES as readonly string[]).includes(mime);
}

/** Options of `decodeHeic`. */
export interface HeicOptions {
  /** Refuse (413) an image with more pixels than this, before its pixels are decoded. */
  maxPixels: number;
  /** The request field the photo came in, for error messages (default `image`). */
  field?: string;
}

/** A decoded HEIC photo: RGBA, 8 bits a channel, row-major (`width * height * 4` bytes). */
export interface DecodedHeic {
  data: Buffer;
  width: number;
  height: number;
  channels: 4;
}

/**
 * Decodes the primary (first) image of a HEIC/HEIF file to RGBA pixels, with the file's rotation and
 * mirroring (`irot`/`imir`) applied by libheif. Throws PayloadTooLargeError (413) over `maxPixels` and
 * ValidationError (400) when the file does not decode.
 */
export async function decodeHeic(bytes: Uint8Array, opts: HeicOptions): Promise<DecodedHeic> {
  const field = opts.field ?? 'image';
  const { default: decode } = await import('heic-decode');
  let images: Awaited<ReturnType<typeof decode.all>>;
  try {
    images = await decode.all({ buffer: bytes });
  } catch (e) {
    throw new ValidationError(`${field} could not be decoded as HEIC/HEIF: ${(e as Error).message}`, field, e);
  }
  try {
    const first = images[0];
    if (!first) throw new ValidationError(`${field} is a HEIC/HEIF file without an image`, field);
    if (first.width * first.height > opts.maxPixels) {
      throw new PayloadTooLargeError(
        `${field} has more pixels (${first.width}x${first.height}) than the limit of ${opts.maxPixels}`,
        field,
      );
    }
    let out: Awaited<ReturnType<typeof first.decode>>;
    try {
      out = await first.decode();
    } catch (e) {
      throw new ValidationError(`${field} could not be decoded as HEIC/HEIF: ${(e as Error).message}`, field, e);
    }
    return {
      data: Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength),
      width: out.width,
      height: out.height,
      channels: 4,
    };
  } finally {
    images.dispose();
  }
}

/** The decoded HEIC photo as a sharp pipeline (sRGB; alpha kept), for the same resizing as every other photo. */
export async function heicToSharp(bytes: Uint8Array, opts: HeicOptions): Promise<Sharp> {
  const { data, width, height, channels } = await decodeHeic(bytes, opts);
  return sharp(data, { raw: { width, height, channels } });
}

/**
 * Converts a HEIC/HEIF photo to a JPEG (quality 90, on white where it had transparency) without any of
 * the original's metadata (EXIF with its GPS position and device, XMP): what is stored and what an
 * OpenAI-compatible vision endpoint is sent. Errors as `decodeHeic`.
 */
export async function heicToJpeg(bytes: Uint8Array, opts: HeicOptions): Promise<Buffer> {
  const img = await heicToSharp(bytes, opts);
  return img.flatten({ background: '#ffffff' }).jpeg({ quality: 90 }).toBuffer();
}
