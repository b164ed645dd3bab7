/** Encoder ids, the fixed MVSA split, and cached feature extraction shared by training and benchmarks. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Encoder } from '../models/encoder.js';
import { photoInput } from '../models/fusion.js';
import { type ImageEncoding, INNER_DIM, INNER_LAYER, POOLED_DIM } from '../models/image-encoder.js';
import type { DecodedImage } from '../models/image-input.js';
import { decodeImage } from '../models/image-input.js';
import type { Example } from './datasets.js';
import { FeatureCache } from './feature-cache.js';
import { type ImageSourceOptions, readImageSource } from './image-source.js';
import { type Split, stratifiedSplit } from './split.js';

export const TEXT_ENCODER = 'all-MiniLM-L6-v2';
export const IMAGE_ENCODER = 'mobilenet_v2-nsfwjs';
/**
 * Feature-cache name of a photo's two image-encoder vectors stored as one: the pooled vector (POOLED_DIM values)
 * followed by the inner-layer features (INNER_DIM values). Split with photoVectors.
 */
export const PHOTO_FEATURES = `${IMAGE_ENCODER}+${INNER_LAYER}`;
export const PHOTO_FEATURES_DIM = POOLED_DIM + INNER_DIM;

/**
 * An encoder adapter for imageFeatures whose vector is a photo's PHOTO_FEATURES (pooled, then inner), from
 * one forward pass of `enc.encodeWithInfo`.
 */
export function photoFeatureEncoder(enc: {
  inputSize: number;
  encodeWithInfo(images: readonly DecodedImage[]): Promise<ImageEncoding[]>;
}): { inputSize: number; encode(images: readonly DecodedImage[]): Promise<Float32Array[]> } {
  return {
    inputSize: enc.inputSize,
    encode: async (images) => (await enc.encodeWithInfo(images)).map((e) => photoInput(e, 'both')),
  };
}

/** Splits a PHOTO_FEATURES vector into the pooled and inner vectors (views, not copies). */
export function photoVectors(v: Float32Array): ImageEncoding {
  if (v.length !== PHOTO_FEATURES_DIM)
    throw new Error(`photo features have ${v.length} values, not ${PHOTO_FEATURES_DIM}`);
  return { vector: v.subarray(0, POOLED_DIM), inner: v.subarray(POOLED_DIM) };
}

/** The fixed, seeded, stratified MVSA-Single split, written into the repository (path from its root). */
export const MVSA_SPLIT_FILE = 'data/splits/mvsa-single.json';
export const MVSA_SPLIT_PATH = fileURLToPath(new URL(`../../${MVSA_SPLIT_FILE}`, import.meta.url));
const SPLIT_SEED = 20261125;

/** Loads the fixed MVSA split from the repository, creating it (seeded, stratified) the first time. */
export function mvsaSplit(examples: Example[], file = MVSA_SPLIT_PATH): Split {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Split;
  const split = stratifiedSplit(examples, { val: 0.1, test: 0.2 }, SPLIT_SEED);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(split)}\n`);
  return split;
}

/**
 * Vectors of `texts` from any text encoder, through the disk cache: only texts the cache lacks are
 * encoded (in steps of 512, saving as it goes). Returns one vector per text, in order.
 */
export async function textFeatures(
  enc: Pick<Encoder<string>, 'encode'>,
  cache: FeatureCache,
  texts: string[],
  log: (m: string) => void,
): Promise<Float32Array[]> {
  const keys = texts.map((t) => FeatureCache.key(t));
  const todo = [
    ...new Set(
      keys
        .map((k, i) => (cache.get(k) ? -1 : i))
        .filter((i) => i >= 0)
        .map((i) => texts[i] as string),
    ),
  ];
  const step = 512;
  for (let s = 0; s < todo.length; s += step) {
    const part = todo.slice(s, s + step);
    const vecs = await enc.encode(part);
    part.forEach((t, j) => {
      cache.set(FeatureCache.key(t), vecs[j] as Float32Array);
    });
    log(`  text features: ${Math.min(s + step, todo.length)}/${todo.length} encoded`);
    if ((s / step) % 10 === 9) cache.save();
  }
  cache.save();
  return keys.map((k) => cache.get(k) as Float32Array);
}

/** A variant of every photo (e.g. mirrored), cached apart from the photo itself under sha256(tag + bytes). */
export interface ImageVariant {
  tag: string;
  transform: (img: DecodedImage) => DecodedImage;
}

/**
 * Vectors of the photos at `paths` (files or http(s) URLs) from an image encoder, through the disk
 * cache keyed by the photo's bytes. A photo that cannot be read or decoded is logged and gives null.
 * With `variant`, the vectors of the transformed photos (decoded and resized as the served model does,
 * then transformed), keyed by sha256(tag + bytes). URLs are fetched with `source.fetcher` (the SSRF guard).
 */
export async function imageFeatures(
  enc: Pick<Encoder<DecodedImage>, 'encode'> & { inputSize: number },
  cache: FeatureCache,
  paths: string[],
  log: (m: string) => void,
  variant?: ImageVariant,
  source: ImageSourceOptions = {},
): Promise<Array<Float32Array | null>> {
  const out: Array<Float32Array | null> = [];
  const what = variant ? `${variant.tag.replace(/\0/g, '')} image features` : 'image features';
  let encoded = 0;
  let failed = 0;
  for (let i = 0; i < paths.length; i++) {
    let bytes: Buffer;
    try {
      bytes = await readImageSource(paths[i] as string, source);
    } catch (e) {
      failed++;
      log(`  image ${paths[i]} skipped: ${(e as Error).message.split('\n')[0]}`);
      out.push(null);
      continue;
    }
    const key = FeatureCache.key(variant ? Buffer.concat([Buffer.from(variant.tag), bytes]) : bytes);
    let v = cache.get(key);
    if (!v) {
      try {
        const img = await decodeImage(bytes, enc.inputSize, { maxImageBytes: 50e6, maxImagePixels: 1e8 });
        v = (await enc.encode([variant ? variant.transform(img) : img]))[0] as Float32Array;
        cache.set(key, v);
        encoded++;
      } catch (e) {
        failed++;
        log(`  image ${paths[i]} skipped: ${(e as Error).message.split('\n')[0]}`);
      }
      if (encoded % 200 === 0 && encoded > 0) {
        log(`  ${what}: ${i + 1}/${paths.length} (${encoded} encoded, ${failed} unreadable)`);
        cache.save();
      }
    }
    out.push(v ?? null);
  }
  cache.save();
  log(`  ${what}: ${paths.length} photos, ${encoded} newly encoded, ${failed} unreadable`);
  return out;
}
