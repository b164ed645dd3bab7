import sharp from 'sharp';
import { PHOTO_JPEG_QUALITY } from './jpeg.js';

/** One edit applied to a source photo, with its parameters (pixels of the source, factors, sigma). */
export type PhotoEdit =
  | { op: 'crop'; fraction: number; left: number; top: number; width: number; height: number }
  | { op: 'brightness'; factor: number }
  | { op: 'blur'; sigma: number };

/** The ranges of the label-preserving edits: crop 80-100% of each side, brightness ±15%, blur sigma 0.3-1. */
export const EDIT_RANGES = {
  cropMin: 0.8,
  brightness: 0.15,
  blurProbability: 0.5,
  blurSigma: [0.3, 1] as const,
};

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * Draws the edits for a `width`x`height` photo from `rand`: a crop keeping 80-100% of each side (same fraction
 * both ways, at a random place), a brightness factor 0.85-1.15 (sharp's modulate: a multiplier on lightness), and
 * with probability 0.5 a Gaussian blur of sigma 0.3-1 (sharp's minimum is 0.3). Light enough that a crack, a dent
 * or a tear stays in view and a photo keeps its condition; the recipe records each draw.
 */
export function drawEdits(width: number, height: number, rand: () => number): PhotoEdit[] {
  const fraction = r4(EDIT_RANGES.cropMin + (1 - EDIT_RANGES.cropMin) * rand());
  const w = Math.max(1, Math.round(width * fraction));
  const h = Math.max(1, Math.round(height * fraction));
  const left = Math.floor(rand() * (width - w + 1));
  const top = Math.floor(rand() * (height - h + 1));
  const edits: PhotoEdit[] = [
    { op: 'crop', fraction, left, top, width: w, height: h },
    { op: 'brightness', factor: r4(1 - EDIT_RANGES.brightness + 2 * EDIT_RANGES.brightness * rand()) },
  ];
  const blur = rand() < EDIT_RANGES.blurProbability;
  const [lo, hi] = EDIT_RANGES.blurSigma;
  const sigma = r4(lo + (hi - lo) * rand());
  if (blur) edits.push({ op: 'blur', sigma });
  return edits;
}

/**
 * Applies `edits` (in order) to an image with sharp and encodes JPEG (quality PHOTO_JPEG_QUALITY, no metadata;
 * EXIF orientation applied first). libvips is deterministic: the same bytes and edits give the same JPEG.
 */
export async function applyEdits(
  bytes: Buffer,
  edits: readonly PhotoEdit[],
  maxPixels: number,
): Promise<{ jpeg: Buffer; width: number; height: number }> {
  // Orientation first, into raw pixels (no second JPEG round), so the crop's coordinates are the upright photo's.
  const upright = await sharp(bytes, { limitInputPixels: maxPixels })
    .rotate()
    .flatten({ background: '#ffffff' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = upright.info;
  let img = sharp(upright.data, { raw: { width, height, channels } });
  for (const e of edits) {
    if (e.op === 'crop') img = img.extract({ left: e.left, top: e.top, width: e.width, height: e.height });
    else if (e.op === 'brightness') img = img.modulate({ brightness: e.factor });
    else img = img.blur(e.sigma);
  }
  const out = await img.jpeg({ quality: PHOTO_JPEG_QUALITY }).toBuffer({ resolveWithObject: true });
  return { jpeg: out.data, width: out.info.width, height: out.info.height };
}

/** The size of an image after its EXIF orientation (what drawEdits must be given). */
export async function uprightSize(bytes: Buffer, maxPixels: number): Promise<{ width: number; height: number }> {
  const m = await sharp(bytes, { limitInputPixels: maxPixels }).metadata();
  const swap = (m.orientation ?? 1) >= 5;
  const [w, h] = [m.width ?? 0, m.height ?? 0];
  return swap ? { width: h, height: w } : { width: w, height: h };
}
