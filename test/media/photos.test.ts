import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, UnsupportedMediaError, ValidationError } from '../../src/core/errors.js';
import { imageDataUrl } from '../../src/llm/index.js';
import { decodeHeic, heicToJpeg, storePhoto, stripPhotoMetadata } from '../../src/media/index.js';
import { decodeImage } from '../../src/models/image-input.js';
import { LocalBlobStore } from '../../src/storage/index.js';
import { ROOT, tempDir } from '../helpers/paths.js';

const HEIC = readFileSync(join(ROOT, 'test', 'fixtures', 'photos', 'exif-gps.heic'));
const EXIF = {
  IFD0: { Make: 'TestPhone', Model: 'TP-1' },
  IFD3: {
    GPSLatitudeRef: 'N',
    GPSLatitude: '48/1 51/1 2950/100',
    GPSLongitudeRef: 'E',
    GPSLongitude: '2/1 17/1 4000/100',
  },
};

/** 64x32 pixels, left half red, right half blue, stored sideways: EXIF orientation 6 (turn 90° clockwise). */
async function sidewaysJpegWithGps(): Promise<Buffer> {
  const w = 64;
  const h = 32;
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) raw[(y * w + x) * 3 + (x < w / 2 ? 0 : 2)] = 255;
  }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .withMetadata({ orientation: 6 })
    .withExif(EXIF)
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** The RGB of the pixel at (x, y). */
async function pixel(bytes: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i] as number, data[i + 1] as number, data[i + 2] as number];
}

const near = (got: number[], want: number[], tol = 40) => got.every((v, i) => Math.abs(v - (want[i] as number)) <= tol);

describe('stripPhotoMetadata', () => {
  it('a JPEG with GPS EXIF comes out without any EXIF, turned the right way up, still a JPEG', async () => {
    const input = await sidewaysJpegWithGps();
    const before = await sharp(input).metadata();
    expect(before.exif?.toString('latin1')).toContain('TestPhone');
    expect(before.orientation).toBe(6);

    const out = await stripPhotoMetadata(input);
    const after = await sharp(out).metadata();
    expect(after.format).toBe('jpeg');
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.orientation ?? 1).toBe(1);
    expect(out.includes(Buffer.from('TestPhone'))).toBe(false);
    expect(out.includes(Buffer.from('GPS'))).toBe(false);
    // Turned 90° clockwise: 32 wide, 64 high; the stored left (red) half is now on top.
    expect([after.width, after.height]).toEqual([32, 64]);
    expect(near(await pixel(out, 16, 8), [255, 0, 0])).toBe(true);
    expect(near(await pixel(out, 16, 56), [0, 0, 255])).toBe(true);
  });

  it('keeps PNG as PNG and WebP as WebP, dropping their EXIF', async () => {
    const base = sharp({ create: { width: 20, height: 10, channels: 3, background: '#336699' } });
    for (const format of ['png', 'webp'] as const) {
      const input = await base.clone().withExif(EXIF).toFormat(format).toBuffer();
      expect((await sharp(input).metadata()).exif).toBeDefined();
      const out = await stripPhotoMetadata(input);
      const m = await sharp(out).metadata();
      expect(m.format).toBe(format);
      expect(m.exif).toBeUndefined();
      expect(out.includes(Buffer.from('TestPhone'))).toBe(false);
    }
  });

  it('leaves a photo without identifying metadata byte for byte (no needless re-encoding); stripping twice is stripping once', async () => {
    const clean = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    expect((await stripPhotoMetadata(clean)).equals(clean)).toBe(true);
    const once = await stripPhotoMetadata(await sidewaysJpegWithGps());
    expect((await stripPhotoMetadata(once)).equals(once)).toBe(true);
  });

  it('refuses bytes that are not an image (415) and an image over the pixel limit (413)', async () => {
    await expect(stripPhotoMetadata(Buffer.from('not an image at all'))).rejects.toBeInstanceOf(UnsupportedMediaError);
    const big = await sidewaysJpegWithGps();
    await expect(stripPhotoMetadata(big, { maxPixels: 100 })).rejects.toBeInstanceOf(PayloadTooLargeError);
  });
});

describe('storePhoto', () => {
  it('what the blob store keeps has no EXIF; its id is the sha256 of the stored bytes', async () => {
    const blobs = new LocalBlobStore(tempDir());
    const id = await storePhoto(blobs, await sidewaysJpegWithGps());
    const stored = await blobs.get(id);
    const m = await sharp(stored).metadata();
    expect(m.exif).toBeUndefined();
    expect([m.width, m.height]).toEqual([32, 64]);
    expect(stored.includes(Buffer.from('TestPhone'))).toBe(false);
  });
});

describe('HEIC', () => {
  it('the fixture is a real HEIC with EXIF (GPS and device)', async () => {
    expect((await fileTypeFromBuffer(HEIC))?.mime).toBe('image/heic');
    expect(HEIC.includes(Buffer.from('TestPhone'))).toBe(true);
  });

  it('decodes to the picture it holds', async () => {
    const d = await decodeHeic(HEIC, { maxPixels: 1e6 });
    expect([d.width, d.height, d.channels]).toEqual([240, 160, 4]);
    expect(d.data.length).toBe(240 * 160 * 4);
    const at = (x: number, y: number) => [...d.data.subarray((y * 240 + x) * 4, (y * 240 + x) * 4 + 3)];
    expect(near(at(60, 60), [0xe0, 0x10, 0x10])).toBe(true);
    expect(near(at(180, 60), [0x10, 0x10, 0xe0])).toBe(true);
    expect(near(at(120, 150), [0x10, 0xc0, 0x10])).toBe(true);
  });

  it('is stored as a JPEG without its EXIF', async () => {
    const blobs = new LocalBlobStore(tempDir());
    const stored = await blobs.get(await storePhoto(blobs, HEIC));
    const m = await sharp(stored).metadata();
    expect([m.format, m.width, m.height]).toEqual(['jpeg', 240, 160]);
    expect(m.exif).toBeUndefined();
    expect(stored.includes(Buffer.from('TestPhone'))).toBe(false);
    expect(near(await pixel(stored, 60, 60), [0xe0, 0x10, 0x10])).toBe(true);
    expect((await heicToJpeg(HEIC, { maxPixels: 1e6 })).equals(stored)).toBe(true);
  });

  it('is accepted as model input (decoded and resized like any photo)', async () => {
    const d = await decodeImage(HEIC, 8, { maxImageBytes: 1e6, maxImagePixels: 1e6 });
    expect(d).toMatchObject({ mime: 'image/heic', width: 240, height: 160, size: 8 });
    // Top-left cell of the 8x8 resize is red.
    expect(d.pixels[0]).toBeGreaterThan(0.7);
    expect(d.pixels[2]).toBeLessThan(0.3);
  });

  it('is sent to a vision-language endpoint as a JPEG data URL', async () => {
    const url = await imageDataUrl(HEIC, { maxImageBytes: 1e6, maxImagePixels: 1e6 });
    expect(url.startsWith('data:image/jpeg;base64,')).toBe(true);
    const m = await sharp(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64')).metadata();
    expect([m.format, m.width, m.height, m.exif]).toEqual(['jpeg', 240, 160, undefined]);
  });

  it('over the pixel limit is 413 before its pixels are decoded; a truncated or corrupt file is 400', async () => {
    await expect(decodeImage(HEIC, 8, { maxImageBytes: 1e6, maxImagePixels: 1000 })).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
    const truncated = HEIC.subarray(0, Math.floor(HEIC.length / 2));
    await expect(decodeImage(truncated, 8, { maxImageBytes: 1e6, maxImagePixels: 1e6 })).rejects.toBeInstanceOf(
      ValidationError,
    );
    const corrupt = Buffer.from(HEIC);
    corrupt.fill(0x41, 400);
    await expect(decodeImage(corrupt, 8, { maxImageBytes: 1e6, maxImagePixels: 1e6 })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});
