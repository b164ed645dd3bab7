import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveAsset } from '../../src/models/assets.js';
import type { ImageEncoding } from '../../src/models/image-encoder.js';
import type { DecodedImage } from '../../src/models/image-input.js';
import {
  batchedEncoders,
  batchImageEncoder,
  batchTextEncoder,
  type ImageEncoderLike,
  MicroBatcher,
  type TextEncoderLike,
} from '../../src/models/micro-batch.js';
import { MiniLmTextEncoder, type TextEncoding } from '../../src/models/text-encoder.js';
import { MODELS_DIR } from '../helpers/paths.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fake batch function that records every batch and how many run at once. */
function recorder<I, O>(fn: (item: I) => O, delayMs = 5) {
  const batches: I[][] = [];
  let active = 0;
  let maxActive = 0;
  const run = async (items: I[]): Promise<O[]> => {
    batches.push([...items]);
    active++;
    maxActive = Math.max(maxActive, active);
    await sleep(delayMs);
    active--;
    return items.map(fn);
  };
  return {
    run,
    batches,
    get maxActive() {
      return maxActive;
    },
  };
}

describe('MicroBatcher', () => {
  it('serves calls arriving together with one batch call, each caller getting its own result', async () => {
    const rec = recorder((x: number) => x * 10);
    const b = new MicroBatcher({ run: rec.run, maxBatch: 16, maxWaitMs: 5 });
    const out = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((x) => b.submit(x)));
    expect(out).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(rec.batches).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
    expect({ batches: b.batches, items: b.items, meanBatchSize: b.meanBatchSize }).toEqual({
      batches: 1,
      items: 10,
      meanBatchSize: 10,
    });
  });

  it('groups calls that arrive a little apart within maxWaitMs', async () => {
    const rec = recorder((x: number) => x + 1);
    const b = new MicroBatcher({ run: rec.run, maxBatch: 16, maxWaitMs: 150 });
    const a = b.submit(1);
    await sleep(5);
    const c = b.submit(2);
    await sleep(5);
    const d = b.submit(3);
    expect(await Promise.all([a, c, d])).toEqual([2, 3, 4]);
    expect(rec.batches).toEqual([[1, 2, 3]]);
  });

  it('never exceeds maxBatch, and starts a full batch without waiting', async () => {
    const rec = recorder((x: number) => -x);
    const b = new MicroBatcher({ run: rec.run, maxBatch: 8, maxWaitMs: 10_000 });
    const t0 = performance.now();
    const out = await Promise.all(Array.from({ length: 25 }, (_, i) => b.submit(i)));
    // A 10 s wait would show: full batches go at once, and what queued behind them goes as soon as they end.
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(out).toEqual(Array.from({ length: 25 }, (_, i) => -i));
    expect(rec.batches.map((x) => x.length)).toEqual([8, 8, 8, 1]);
    expect(rec.batches.flat()).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(b.maxBatchSeen).toBe(8);
  });

  it('keeps each caller’s result its own when batches take varying time', async () => {
    const b = new MicroBatcher<string, string>({
      run: async (items) => {
        await sleep(Math.random() * 10);
        return items.map((s) => s.toUpperCase());
      },
      maxBatch: 3,
      maxWaitMs: 1,
    });
    const words = Array.from({ length: 40 }, (_, i) => `w${i}x${'y'.repeat(i % 5)}`);
    const calls = words.map(async (w, i) => {
      await sleep((i % 7) * 2);
      return [w, await b.submit(w)];
    });
    for (const [w, got] of await Promise.all(calls)) expect(got).toBe((w as string).toUpperCase());
  });

  it('runs one batch at a time; the next forms while the current one runs; queueDepth counts the waiting', async () => {
    const rec = recorder((x: number) => x, 150);
    const b = new MicroBatcher({ run: rec.run, maxBatch: 16, maxWaitMs: 0 });
    expect(b.queueDepth).toBe(0);
    const first = [b.submit(1), b.submit(2)];
    expect(b.queueDepth).toBe(2);
    await sleep(5); // the first batch is running now
    expect(b.busy).toBe(true);
    expect(b.queueDepth).toBe(0);
    const second = [3, 4, 5, 6, 7].map((x) => b.submit(x));
    expect(b.queueDepth).toBe(5);
    await sleep(5);
    const third = [8, 9].map((x) => b.submit(x));
    expect(b.queueDepth).toBe(7);
    expect(await Promise.all([...first, ...second, ...third])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rec.batches).toEqual([
      [1, 2],
      [3, 4, 5, 6, 7, 8, 9],
    ]);
    expect(rec.maxActive).toBe(1);
    expect(b.queueDepth).toBe(0);
    expect(b.busy).toBe(false);
  });

  it('with maxWaitMs 0 batches only what arrives in the same turn (or during a run)', async () => {
    const rec = recorder((x: number) => x, 1);
    const b = new MicroBatcher({ run: rec.run, maxBatch: 16, maxWaitMs: 0 });
    await Promise.all([b.submit(1), b.submit(2)]);
    await b.submit(3);
    expect(rec.batches).toEqual([[1, 2], [3]]);
  });

  it('makes a lone call wait at most about maxWaitMs', async () => {
    const b = new MicroBatcher({ run: async (xs: number[]) => xs, maxBatch: 16, maxWaitMs: 30 });
    const t0 = performance.now();
    await b.submit(1);
    const dt = performance.now() - t0;
    expect(dt).toBeGreaterThanOrEqual(25);
    expect(dt).toBeLessThan(500);
  });

  it('gives every caller of a failed batch the error, and goes on with the next batch', async () => {
    const boom = new Error('encoder crashed');
    const b = new MicroBatcher<number, number>({
      run: async (xs) => {
        await sleep(5);
        if (xs.includes(13)) throw boom;
        return xs.map((x) => x * 2);
      },
      maxBatch: 4,
      maxWaitMs: 1,
    });
    const results = await Promise.allSettled([10, 11, 12, 13, 14, 15].map((x) => b.submit(x)));
    expect(results.slice(0, 4).map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    for (const r of results.slice(0, 4)) expect((r as PromiseRejectedResult).reason).toBe(boom);
    expect(results.slice(4)).toEqual([
      { status: 'fulfilled', value: 28 },
      { status: 'fulfilled', value: 30 },
    ]);
    expect(b.failedBatches).toBe(1);
    expect(b.batches).toBe(2);
  });

  it('fails the whole batch when run throws synchronously or returns the wrong number of results', async () => {
    const sync = new MicroBatcher<number, number>({
      run: () => {
        throw new Error('sync failure');
      },
      maxBatch: 4,
      maxWaitMs: 0,
    });
    await expect(Promise.all([sync.submit(1), sync.submit(2)])).rejects.toThrow('sync failure');
    const short = new MicroBatcher<number, number>({
      run: async (xs) => xs.slice(1),
      maxBatch: 4,
      maxWaitMs: 0,
    });
    const r = await Promise.allSettled([short.submit(1), short.submit(2), short.submit(3)]);
    for (const x of r) {
      expect(x.status).toBe('rejected');
      expect(String((x as PromiseRejectedResult).reason)).toMatch(/returned 2 results for 3 items/);
    }
  });

  it('reports every batch’s size and duration to onBatch', async () => {
    const seen: Array<[number, number]> = [];
    const b = new MicroBatcher({
      run: async (xs: number[]) => {
        await sleep(20);
        return xs;
      },
      maxBatch: 3,
      maxWaitMs: 0,
      onBatch: (n, ms) => seen.push([n, ms]),
    });
    await Promise.all([1, 2, 3, 4].map((x) => b.submit(x)));
    expect(seen.map(([n]) => n)).toEqual([3, 1]);
    for (const [, ms] of seen) expect(ms).toBeGreaterThanOrEqual(15);
  });

  it('drain() waits for what is queued and running', async () => {
    const rec = recorder((x: number) => x, 10);
    const b = new MicroBatcher({ run: rec.run, maxBatch: 2, maxWaitMs: 1000 });
    const all = Promise.all([1, 2, 3].map((x) => b.submit(x)));
    await b.drain();
    expect(rec.batches).toEqual([[1, 2], [3]]);
    expect(b.busy).toBe(false);
    await all;
  });

  it('refuses nonsense options', () => {
    const run = async (xs: number[]) => xs;
    expect(() => new MicroBatcher({ run, maxBatch: 0, maxWaitMs: 1 })).toThrow(RangeError);
    expect(() => new MicroBatcher({ run, maxBatch: 1.5, maxWaitMs: 1 })).toThrow(RangeError);
    expect(() => new MicroBatcher({ run, maxBatch: 4, maxWaitMs: -1 })).toThrow(RangeError);
    expect(() => new MicroBatcher({ run, maxBatch: 4, maxWaitMs: Number.NaN })).toThrow(RangeError);
  });
});

/** A stand-in for MiniLM: the vector is [length, first char code], and every call is recorded. */
class FakeTextEncoder implements TextEncoderLike {
  readonly id = 'fake-text';
  readonly dim = 2;
  calls: string[][] = [];
  disposed = false;
  async encodeWithInfo(texts: readonly string[]): Promise<TextEncoding[]> {
    this.calls.push([...texts]);
    await sleep(5);
    return texts.map((t) => ({ vector: Float32Array.from([t.length, t.charCodeAt(0)]), chunks: 1 }));
  }
  async encode(texts: readonly string[]): Promise<Float32Array[]> {
    return (await this.encodeWithInfo(texts)).map((r) => r.vector);
  }
  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

class FakeImageEncoder implements ImageEncoderLike {
  readonly id = 'fake-image';
  readonly dim = 1;
  readonly inputSize = 2;
  calls = 0;
  async encode(images: readonly DecodedImage[]): Promise<Float32Array[]> {
    return (await this.encodeWithInfo(images)).map((e) => e.vector);
  }
  async encodeWithInfo(images: readonly DecodedImage[]): Promise<ImageEncoding[]> {
    this.calls++;
    await sleep(5);
    return images.map((img) => {
      const sum = img.pixels.reduce((a, b) => a + b, 0);
      return { vector: Float32Array.from([sum]), inner: Float32Array.from([-sum]) };
    });
  }
  async dispose(): Promise<void> {}
}

const photo = (v: number, size = 2): DecodedImage => ({
  mime: 'image/raw',
  width: size,
  height: size,
  size,
  pixels: new Float32Array(size * size * 3).fill(v),
});

describe('batched encoders', () => {
  it('keep the encoder’s identity and members, and share one call among concurrent single texts', async () => {
    const inner = new FakeTextEncoder();
    const { encoder, batcher } = batchTextEncoder(inner, { maxBatch: 8, maxWaitMs: 5 });
    expect(encoder.id).toBe('fake-text');
    expect(encoder.dim).toBe(2);
    expect(encoder).toBeInstanceOf(FakeTextEncoder);
    const texts = ['a', 'bb', 'ccc', 'dddd'];
    const out = await Promise.all(texts.map((t) => encoder.encodeWithInfo([t])));
    expect(out.map(([r]) => Array.from(r!.vector))).toEqual(texts.map((t) => [t.length, t.charCodeAt(0)]));
    const vecs = await Promise.all(texts.map((t) => encoder.encode([t])));
    expect(vecs.map(([v]) => v![0])).toEqual([1, 2, 3, 4]);
    expect(inner.calls).toEqual([texts, texts]);
    // Several texts in one call (the indexer) go straight through.
    await encoder.encode(['x', 'yy']);
    expect(inner.calls[2]).toEqual(['x', 'yy']);
    expect(batcher.batches).toBe(2);
    await encoder.dispose();
    expect(inner.disposed).toBe(true);
  });

  it('refuse a wrong-size photo for its caller alone', async () => {
    const inner = new FakeImageEncoder();
    const { encoder } = batchImageEncoder(inner, { maxBatch: 8, maxWaitMs: 5 });
    expect(encoder.inputSize).toBe(2);
    const r = await Promise.allSettled([
      encoder.encode([photo(1)]),
      encoder.encode([photo(1, 3)]),
      encoder.encode([photo(2)]),
    ]);
    expect(r[0]).toEqual({ status: 'fulfilled', value: [Float32Array.from([12])] });
    expect(r[1]?.status).toBe('rejected');
    expect(r[2]).toEqual({ status: 'fulfilled', value: [Float32Array.from([24])] });
    expect(inner.calls).toBe(1);
  });

  it("serve a photo's pooled and inner vectors together from one shared call", async () => {
    const inner = new FakeImageEncoder();
    const { encoder } = batchImageEncoder(inner, { maxBatch: 8, maxWaitMs: 5 });
    const [a, b] = await Promise.all([encoder.encodeWithInfo([photo(1)]), encoder.encodeWithInfo([photo(2)])]);
    expect(a).toEqual([{ vector: Float32Array.from([12]), inner: Float32Array.from([-12]) }]);
    expect(b).toEqual([{ vector: Float32Array.from([24]), inner: Float32Array.from([-24]) }]);
    expect(inner.calls).toBe(1);
  });

  it('batchedEncoders wraps both and reports queue depth per encoder and every batch', async () => {
    const seen: string[] = [];
    const inner = { text: new FakeTextEncoder(), image: new FakeImageEncoder() };
    // The fakes stand in for the real classes here; the wrappers only use their public members.
    const b = batchedEncoders(inner as never, { onBatch: (enc, n) => seen.push(`${enc}:${n}`) });
    const pending = [b.encoders.text.encodeWithInfo(['a']), b.encoders.text.encodeWithInfo(['b'])];
    const img = b.encoders.image.encode([photo(1)]);
    expect(b.queueDepth()).toEqual({ text: 2, image: 1 });
    await Promise.all([...pending, img]);
    expect(b.queueDepth()).toEqual({ text: 0, image: 0 });
    expect(seen.sort()).toEqual(['image:1', 'text:2']);
  });
});

describe('MiniLM through the batcher', () => {
  let minilm: MiniLmTextEncoder;
  beforeAll(async () => {
    const dir = await resolveAsset(MODELS_DIR, 'all-MiniLM-L6-v2');
    minilm = await MiniLmTextEncoder.load({ assetDir: dir, id: 'all-MiniLM-L6-v2', threads: 1 });
  });
  afterAll(async () => {
    await minilm?.dispose();
  });

  it('gives 8 concurrent single texts the vectors of one-by-one calls, with fewer encoder calls', async () => {
    const texts = [
      'The battery lasts two full days, love it',
      'Arrived broken.',
      'Not what the photos showed at all, the colour is completely different and the fabric feels cheap',
      'ok',
      'Fast shipping, works as described, would buy again from this seller',
      'Terrible customer service, they never answered my emails about the refund',
      'meh',
      'The zipper broke on day two',
    ];
    const alone: Float32Array[] = [];
    for (const t of texts) {
      const [r] = await minilm.encodeWithInfo([t]);
      alone.push(r!.vector);
    }
    const spy = vi.spyOn(minilm, 'encodeWithInfo');
    const { encoder, batcher } = batchTextEncoder(minilm, { maxBatch: 16, maxWaitMs: 5 });
    const together = await Promise.all(texts.map((t) => encoder.encodeWithInfo([t])));
    expect(spy.mock.calls.length).toBeLessThan(8);
    expect(batcher.batches).toBe(spy.mock.calls.length);
    spy.mockRestore();
    together.forEach(([r], i) => {
      expect(r!.chunks).toBe(1);
      expect(r!.vector).toHaveLength(384);
      const ref = alone[i]!;
      let maxDiff = 0;
      for (let d = 0; d < ref.length; d++) maxDiff = Math.max(maxDiff, Math.abs(r!.vector[d]! - ref[d]!));
      expect(maxDiff).toBeLessThan(1e-5);
    });
  });
});
