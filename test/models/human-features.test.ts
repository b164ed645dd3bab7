import { cpSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelAssetError } from '../../src/core/index.js';
import {
  COCO_CLASSES,
  decodeImage,
  EMOTIONS,
  HUMAN_ASSET,
  HUMAN_FEATURE_GROUPS,
  HUMAN_FEATURE_NAMES,
  HumanImageEncoder,
  humanFeatureVector,
  resolveAsset,
} from '../../src/models/index.js';
import { MODELS_DIR, MVSA_IMAGES, tempDir } from '../helpers/paths.js';

const limits = { maxImageBytes: 10 * 1024 * 1024, maxImagePixels: 40_000_000 };
const [e0, e1] = HUMAN_FEATURE_GROUPS.emotion;
const k = EMOTIONS.length;
const emotionMean = (v: Float32Array) => Array.from(v.subarray(e0, e0 + k));
const emotionMax = (v: Float32Array) => Array.from(v.subarray(e0 + k, e1));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const objectMax = (v: Float32Array, label: string) =>
  v[HUMAN_FEATURE_GROUPS.objects[0] + 1 + COCO_CLASSES.length + COCO_CLASSES.indexOf(label as 'person')] as number;

// Real MVSA-Single photos: 9 (two people smiling at the camera), 7 (a group selfie of seven), 100 (a
// chocolate bar with "Happy Valentine's Day!" written below: no face).
const photo = (n: number) => readFileSync(join(MVSA_IMAGES, `${n}.jpg`));

describe('HumanImageEncoder on the real assets', () => {
  let enc: HumanImageEncoder;
  beforeAll(async () => {
    enc = await HumanImageEncoder.fromModelsDir(MODELS_DIR, { threads: 1 });
  });
  afterAll(async () => {
    await enc?.dispose();
  });

  it('has one named component per dimension', () => {
    expect(enc.id).toBe(HUMAN_ASSET);
    expect(enc.dim).toBe(HUMAN_FEATURE_NAMES.length);
    expect(enc.dim).toBe(4 + 2 * 7 + 1 + 2 * 80);
    expect(new Set(HUMAN_FEATURE_NAMES).size).toBe(enc.dim);
  });

  it('finds the faces of a photo of people, with emotion probabilities that sum to 1', async () => {
    const v = await enc.encodeBytes(photo(9), limits);
    expect(v.length).toBe(enc.dim);
    expect(v.every(Number.isFinite)).toBe(true);
    expect(v[0]).toBeGreaterThanOrEqual(1); // faces
    expect(v[1]).toBeGreaterThan(0.5); // best face score
    expect(v[2]).toBeGreaterThan(0); // face area share
    expect(sum(emotionMean(v))).toBeCloseTo(1, 4);
    expect(emotionMean(v).every((p) => p >= 0 && p <= 1)).toBe(true);
    expect(emotionMax(v).every((p, i) => p >= (emotionMean(v)[i] as number) - 1e-6 && p <= 1)).toBe(true);
    // Both smile at the camera.
    expect(emotionMean(v)[EMOTIONS.indexOf('happy')]).toBeGreaterThan(0.5);
    expect(objectMax(v, 'person')).toBeGreaterThan(0.3);

    const group = await enc.encodeBytes(photo(7), limits);
    expect(group[0]).toBeGreaterThanOrEqual(4);
    expect(sum(emotionMean(group))).toBeCloseTo(1, 4);
  });

  it('reports no face (and zero emotions) for a photo without one, and is deterministic', async () => {
    const v = await enc.encodeBytes(photo(100), limits);
    expect(v.length).toBe(enc.dim);
    expect(v.every(Number.isFinite)).toBe(true);
    expect(v[0]).toBe(0);
    expect(sum(emotionMean(v))).toBe(0);
    expect(Array.from(await enc.encodeBytes(photo(100), limits))).toEqual(Array.from(v));
  });

  it('encodes the analyzer’s decoded square images too', async () => {
    const imgs = await Promise.all([9, 100].map(async (n) => decodeImage(photo(n), 224, limits)));
    const [a, b] = await enc.encode(imgs);
    expect(a?.length).toBe(enc.dim);
    expect(a?.every(Number.isFinite)).toBe(true);
    expect(a?.[0]).toBeGreaterThanOrEqual(1);
    expect(b?.[0]).toBe(0);
  });

  it('refuses bytes that are not an image', async () => {
    await expect(enc.encodeBytes(Buffer.from('not a photo at all'), limits)).rejects.toThrow(/not a supported image/);
  });
});

describe('HumanImageEncoder without the object detector', () => {
  it('keeps the vector length, finds the faces, and leaves the object components at zero', async () => {
    const enc = await HumanImageEncoder.fromModelsDir(MODELS_DIR, { threads: 1, objects: false });
    try {
      const v = await enc.encodeBytes(photo(9), limits);
      expect(v.length).toBe(HUMAN_FEATURE_NAMES.length);
      expect(v[0]).toBeGreaterThanOrEqual(1);
      expect(sum(emotionMean(v))).toBeCloseTo(1, 4);
      expect(v.subarray(...HUMAN_FEATURE_GROUPS.objects).every((x) => x === 0)).toBe(true);
    } finally {
      await enc.dispose();
    }
  });
});

describe('HumanImageEncoder assets', () => {
  it('a missing model file is a ModelAssetError naming the file', async () => {
    const dir = tempDir();
    cpSync(join(MODELS_DIR, HUMAN_ASSET), join(dir, HUMAN_ASSET), { recursive: true });
    const missing = join(dir, HUMAN_ASSET, 'emotion.bin');
    unlinkSync(missing);

    const viaModelsDir = await HumanImageEncoder.fromModelsDir(dir, { threads: 1 }).catch((e) => e);
    expect(viaModelsDir).toBeInstanceOf(ModelAssetError);
    expect(viaModelsDir.message).toContain(`missing: ${missing}`);
    expect(viaModelsDir.message).toContain('@vladmandic/human@3.3.6');
    await expect(resolveAsset(dir, HUMAN_ASSET)).rejects.toThrow(ModelAssetError);

    // Loading a directory directly (skipping verification) still names the file, before any model loads.
    const direct = await HumanImageEncoder.load({
      assetDir: join(dir, HUMAN_ASSET),
      id: HUMAN_ASSET,
      threads: 1,
    }).catch((e) => e);
    expect(direct).toBeInstanceOf(ModelAssetError);
    expect(direct.message).toContain(missing);
  });
});

describe('humanFeatureVector', () => {
  it('weights emotions by face area, keeps per-class maxima, and sums and maxes object scores', () => {
    const face = (boxRaw: [number, number, number, number], score: number, probs: Record<string, number>) =>
      ({ boxRaw, score, emotion: Object.entries(probs).map(([emotion, s]) => ({ emotion, score: s })) }) as never;
    const obj = (label: string, score: number) => ({ label, score, boxRaw: [0, 0, 0.1, 0.1] }) as never;
    const v = humanFeatureVector(
      [face([0, 0, 0.5, 0.6], 0.9, { happy: 0.99 }), face([0.8, 0.8, 0.4, 0.4], 0.6, { sad: 0.5, neutral: 0.5 })],
      [obj('person', 0.8), obj('person', 0.5), obj('dog', 0.4)],
    );
    const big = 0.5 * 0.6;
    const small = 0.2 * 0.2; // the part of the second box inside the photo
    expect(v[0]).toBe(2);
    expect(v[1]).toBeCloseTo(0.9);
    expect(v[2]).toBeCloseTo(big + small);
    expect(v[3]).toBeCloseTo(big);
    const mean = emotionMean(v);
    expect(mean[EMOTIONS.indexOf('happy')]).toBeCloseTo(big / (big + small));
    expect(mean[EMOTIONS.indexOf('sad')]).toBeCloseTo((0.5 * small) / (big + small));
    expect(sum(mean)).toBeCloseTo(1);
    expect(emotionMax(v)[EMOTIONS.indexOf('happy')]).toBeCloseTo(1);
    expect(emotionMax(v)[EMOTIONS.indexOf('neutral')]).toBeCloseTo(0.5);
    const o0 = HUMAN_FEATURE_GROUPS.objects[0];
    expect(v[o0]).toBe(3);
    expect(v[o0 + 1 + COCO_CLASSES.indexOf('person')]).toBeCloseTo(1.3);
    expect(objectMax(v, 'person')).toBeCloseTo(0.8);
    expect(objectMax(v, 'dog')).toBeCloseTo(0.4);

    const none = humanFeatureVector([], []);
    expect(none.length).toBe(HUMAN_FEATURE_NAMES.length);
    expect(none.every((x) => x === 0)).toBe(true);
  });
});
