import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, UnsupportedMediaError, ValidationError } from '../../src/core/index.js';
import { decodeImage } from '../../src/models/index.js';
import { MVSA_IMAGES } from '../helpers/paths.js';

const limits = { maxImageBytes: 5 * 1024 * 1024, maxImagePixels: 40_000_000 };
const jpeg = readFileSync(join(MVSA_IMAGES, '1.jpg'));

describe('decodeImage', () => {
  it('decodes a real review photo to 224x224 RGB in [0, 1]', async () => {
    const img = await decodeImage(jpeg, 224, limits);
    expect(img.mime).toBe('image/jpeg');
    expect(img.pixels.length).toBe(224 * 224 * 3);
    expect(img.pixels.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(img.pixels.some((v) => v > 0.5)).toBe(true);
    expect(img.width).toBeGreaterThan(0);
  });

  it('judges the type by content: a PNG (whatever its name) is accepted as PNG', async () => {
    const png = await sharp(jpeg).png().toBuffer();
    const img = await decodeImage(png, 224, limits);
    expect(img.mime).toBe('image/png');
  });

  it('refuses a file that is not an image with 415', async () => {
    await expect(decodeImage(Buffer.from('%PDF-1.4 not a photo at all'), 224, limits)).rejects.toThrow(
      UnsupportedMediaError,
    );
    await expect(decodeImage(Buffer.from('just some text pretending to be a jpg'), 224, limits)).rejects.toThrow(
      /unrecognised content/,
    );
  });

  it('refuses a truncated or corrupt JPEG with 400 (ValidationError)', async () => {
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    await expect(decodeImage(truncated, 224, limits)).rejects.toThrow(ValidationError);
    const garbled = Buffer.from(jpeg);
    garbled.fill(0x00, 600, 4000);
    await expect(decodeImage(garbled.subarray(0, 5000), 224, limits)).rejects.toThrow(/could not be decoded/);
  });

  it('refuses an image over the byte limit with 413, and an empty one with 400', async () => {
    await expect(decodeImage(jpeg, 224, { ...limits, maxImageBytes: 1000 })).rejects.toThrow(PayloadTooLargeError);
    await expect(decodeImage(Buffer.alloc(0), 224, limits)).rejects.toThrow(ValidationError);
  });

  it('refuses an image over the pixel limit with 413', async () => {
    await expect(decodeImage(jpeg, 224, { ...limits, maxImagePixels: 100 })).rejects.toThrow(
      /more pixels than the limit/,
    );
  });
});
