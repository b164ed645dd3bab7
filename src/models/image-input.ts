import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { PayloadTooLargeError, UnsupportedMediaError, ValidationError } from '../core/errors.js';
import { HEIC_TYPES, heicToSharp, isHeicType } from '../media/index.js';

/**
 * Image types the analyzer accepts, judged from the bytes (magic numbers), never from a file name. HEIC/HEIF
 * (phones' format) is decoded by libheif in WebAssembly (src/media/heic.ts), the others by sharp.
 */
export const ACCEPTED_IMAGE_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/avif',
  'image/tiff',
  ...HEIC_TYPES,
];

export interface ImageLimits {
  maxImageBytes: number;
  maxImagePixels: number;
}

export interface DecodedImage {
  mime: string;
  width: number;
  height: number;
  /** RGB in [0, 1], `size` x `size` x 3, row-major. */
  pixels: Float32Array;
  size: number;
}

/** Size limit (413) and type by magic bytes (415); cheap checks that run before any decoding. */
export async function checkImageBytes(bytes: Uint8Array, limits: ImageLimits, field = 'image'): Promise<string> {
  if (bytes.byteLength === 0) throw new ValidationError(`${field} is empty`, field);
  if (bytes.byteLength > limits.maxImageBytes) {
    throw new PayloadTooLargeError(
      `${field} is ${bytes.byteLength} bytes; the limit is ${limits.maxImageBytes} bytes`,
      field,
    );
  }
  const type = await fileTypeFromBuffer(bytes);
  if (!type || !ACCEPTED_IMAGE_TYPES.includes(type.mime)) {
    throw new UnsupportedMediaError(
      `${field} is not a supported image (${type ? `detected ${type.mime}` : 'unrecognised content'}); accepted: ${ACCEPTED_IMAGE_TYPES.join(', ')}`,
      field,
    );
  }
  return type.mime;
}

/**
 * Validates and decodes a photo in one pass: the checks above, then a full decode (a corrupt or
 * truncated file is refused with 400 before any model sees it), EXIF rotation, a resize to
 * size x size (squashing, as the CNN was trained) and scaling to [0, 1] RGB.
 */
export async function decodeImage(
  bytes: Uint8Array,
  size: number,
  limits: ImageLimits,
  field = 'image',
): Promise<DecodedImage> {
  const mime = await checkImageBytes(bytes, limits, field);
  try {
    const img = isHeicType(mime)
      ? await heicToSharp(bytes, { maxPixels: limits.maxImagePixels, field })
      : sharp(bytes, { failOn: 'error', limitInputPixels: limits.maxImagePixels });
    const meta = await img.metadata();
    const { data } = await img
      .rotate()
      .resize(size, size, { fit: 'fill' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const pixels = new Float32Array(size * size * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (data[i] as number) / 255;
    return { mime, width: meta.width ?? 0, height: meta.height ?? 0, pixels, size };
  } catch (e) {
    if (e instanceof PayloadTooLargeError || e instanceof ValidationError) throw e;
    const msg = (e as Error).message;
    if (/pixel limit/i.test(msg)) {
      throw new PayloadTooLargeError(`${field} has more pixels than the limit of ${limits.maxImagePixels}`, field);
    }
    throw new ValidationError(`${field} could not be decoded as ${mime}: ${msg}`, field, e);
  }
}
