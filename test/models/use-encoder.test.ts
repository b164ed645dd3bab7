/**
 * USE-Lite from the installed @energetic-ai packages, and its coexistence with the project's TF.js (the
 * MobileNet image encoder on @tensorflow/tfjs's wasm backend) in one process.
 *
 * Order matters and is fixed on purpose: USE-Lite is loaded before anything in this process initialised
 * TF.js's wasm backend, which is the case that went wrong when @energetic-ai/core ran on the main thread
 * (its bundled TF.js shares the global engine, so it initialised the wasm backend itself and replaced the
 * wasm kernels). MobileNet is then loaded and both are used in turns.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MobileNetImageEncoder } from '../../src/models/image-encoder.js';
import { decodeImage } from '../../src/models/image-input.js';
import { USE_LITE_ID, UseLiteTextEncoder } from '../../src/models/use-encoder.js';
import { cosine, EmbeddingReranker } from '../../src/retrieval/rerank/embedding.js';
import { MODELS_DIR, MVSA_IMAGES } from '../helpers/paths.js';

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const MOBILENET_DIR = join(MODELS_DIR, 'mobilenet_v2-nsfwjs');
const limits = { maxImageBytes: 10 * 1024 * 1024, maxImagePixels: 40_000_000 };

let use: UseLiteTextEncoder;
const warn = vi.spyOn(console, 'warn');
let addKernelBefore: unknown;

beforeAll(async () => {
  addKernelBefore = tf.getKernel('Add', 'wasm');
  use = await UseLiteTextEncoder.load();
});
afterAll(async () => {
  await use?.dispose();
  warn.mockRestore();
});

describe('UseLiteTextEncoder', () => {
  it('runs on its own TF.js wasm backend in a worker, leaving this thread’s TF.js alone', () => {
    expect(use.id).toBe(USE_LITE_ID);
    expect(use.dim).toBe(512);
    expect(use.backend).toEqual({ name: 'wasm', tfjs: '4.5.0' });
    // The main thread's wasm backend is still uninitialised and its kernels are @tensorflow/tfjs's own.
    expect(tf.engine().registry.wasm).toBeUndefined();
    expect(tf.getKernel('Add', 'wasm')).toBe(addKernelBefore);
    expect(warn.mock.calls.filter((c) => /already registered|Platform/.test(String(c[0])))).toEqual([]);
  });

  it('gives 512-d unit-length embeddings that put paraphrases closer than unrelated sentences', async () => {
    const [battery, batteryToo, dress] = await use.encode([
      'The battery died after two days.',
      'Battery life is terrible, it was dead within 48 hours.',
      'I love the colour of this dress, it fits perfectly.',
    ]);
    for (const v of [battery, batteryToo, dress]) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v!.length).toBe(512);
      expect(norm(v!)).toBeCloseTo(1, 3);
    }
    expect(cosine(battery!, batteryToo!)).toBeGreaterThan(cosine(battery!, dress!) + 0.2);
    expect(cosine(batteryToo!, battery!)).toBeGreaterThan(cosine(batteryToo!, dress!) + 0.2);
  });

  it('encodes empty and blank texts (as a single space), and is deterministic across batches', async () => {
    const texts = ['', '   ', ' ', 'works fine'];
    const vs = await use.encode(texts);
    expect(vs).toHaveLength(4);
    for (const v of vs) expect(v.every(Number.isFinite)).toBe(true);
    expect(Array.from(vs[0]!)).toEqual(Array.from(vs[2]!));
    expect(Array.from(vs[1]!)).toEqual(Array.from(vs[2]!));
    expect(await use.encode([])).toEqual([]);
    // Batches of one give what one batch of four gave.
    const small = await UseLiteTextEncoder.load({ batchSize: 1 });
    try {
      const one = await small.encode(texts);
      one.forEach((v, i) => {
        expect(Math.max(...v.map((x, d) => Math.abs(x - vs[i]![d]!)))).toBeLessThan(1e-6);
      });
    } finally {
      await small.dispose();
    }
  });

  it('answers concurrent calls each with its own vectors', async () => {
    const [a, b] = await Promise.all([use.encode(['refund please']), use.encode(['fast delivery', 'slow delivery'])]);
    const [a2] = await use.encode(['refund please']);
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(2);
    expect(Array.from(a[0]!)).toEqual(Array.from(a2!));
  });

  it('fails clearly once disposed', async () => {
    const enc = await UseLiteTextEncoder.load();
    await enc.dispose();
    await expect(enc.encode(['hello'])).rejects.toThrow(/disposed/);
  });
});

describe('EmbeddingReranker over USE-Lite', () => {
  it('scores documents by cosine similarity to the query, in one encode call', async () => {
    const rr = new EmbeddingReranker(use);
    expect(rr.name).toBe(`embedding:${USE_LITE_ID}`);
    const docs = [
      'Lovely dress, the colour is exactly as pictured.',
      'The battery died after two days, I want a refund.',
      'Delivery was quick and the box was intact.',
    ];
    const encode = vi.spyOn(use, 'encode');
    const scores = await rr.score('battery stopped working', docs);
    expect(encode).toHaveBeenCalledTimes(1);
    encode.mockRestore();
    const [q, ...ds] = await use.encode(['battery stopped working', ...docs]);
    scores.forEach((s, i) => {
      expect(s).toBeCloseTo(cosine(q!, ds[i]!), 6);
    });
    expect(scores.indexOf(Math.max(...scores))).toBe(1);
    expect(await rr.score('anything', [])).toEqual([]);
    await rr.dispose(); // not the owner: the encoder keeps working
    expect(await use.encode(['still here'])).toHaveLength(1);
  });

  it('disposes the encoder when it owns it', async () => {
    const own = await UseLiteTextEncoder.load();
    const rr = new EmbeddingReranker(own, { ownsEncoder: true });
    expect(await rr.score('refund', ['refund please'])).toHaveLength(1);
    await rr.dispose();
    await expect(own.encode(['x'])).rejects.toThrow(/disposed/);
  });
});

describe.skipIf(!existsSync(join(MOBILENET_DIR, 'model.min.js')))('USE-Lite and MobileNet in one process', () => {
  let image: MobileNetImageEncoder;
  beforeAll(async () => {
    image = await MobileNetImageEncoder.load({ assetDir: MOBILENET_DIR, id: 'mobilenet_v2-nsfwjs', threads: 1 });
  });
  afterAll(async () => {
    await image?.dispose();
  });

  it('MobileNet sets up the wasm backend after USE-Lite loaded, and both keep giving the same vectors', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const photo = await decodeImage(readFileSync(join(MVSA_IMAGES, '100.jpg')), image.inputSize, limits);
    const [p1] = await image.encode([photo]);
    const [t1] = await use.encode(['The screen cracked on day one']);
    const [p2] = await image.encode([photo]);
    const [t2] = await use.encode(['The screen cracked on day one']);
    expect(p1!.length).toBe(1280);
    expect(p1!.every(Number.isFinite)).toBe(true);
    expect(norm(p1!)).toBeGreaterThan(1);
    expect(Array.from(p2!)).toEqual(Array.from(p1!));
    expect(Array.from(t2!)).toEqual(Array.from(t1!));
    // A blank photo is far from a real one: the features depend on the pixels.
    const s = image.inputSize;
    const [blank] = await image.encode([
      { mime: 'image/raw', width: s, height: s, size: s, pixels: new Float32Array(s * s * 3) },
    ]);
    expect(cosine(blank!, p1!)).toBeLessThan(0.9);
    expect(warn.mock.calls.filter((c) => /already registered/.test(String(c[0])))).toEqual([]);
  });
});
