import { performance } from 'node:perf_hooks';
import type { Encoder } from './encoder.js';
import type { ImageEncoding } from './image-encoder.js';
import type { DecodedImage } from './image-input.js';
import type { Encoders } from './index.js';
import type { TextEncoding } from './text-encoder.js';

/** Options of a {@link MicroBatcher}. */
export interface MicroBatcherOptions<I, O> {
  /** Runs one batch; must resolve to exactly one result per item, in the items' order. */
  run: (items: I[]) => Promise<O[]>;
  /** Most items in one batch (an integer of at least 1). */
  maxBatch: number;
  /**
   * Longest time a call arriving at an idle batcher waits for companions before its batch starts.
   * 0: no timer; the batch takes what arrived in the same turn of the event loop. Calls arriving while
   * a batch runs always wait for it, and go together as soon as it ends.
   */
  maxWaitMs: number;
  /** Told the size and duration (ms) of every batch run, failed or not; for a histogram. */
  onBatch?: (size: number, ms: number) => void;
}

interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

/**
 * Collects single-item calls that arrive close together and serves them with one batch call.
 *
 * At most one batch runs at a time: calls arriving meanwhile queue up and form the next batch, which
 * starts the moment the current one ends (up to `maxBatch` items; the rest wait for the one after).
 * A call arriving at an idle batcher starts a batch after `maxWaitMs`, or at once when `maxBatch`
 * items are waiting. Every caller gets its own result; if the batch call fails (or returns the wrong
 * number of results), every caller in that batch gets the error.
 */
export class MicroBatcher<I, O> {
  /** Batches run so far (failed ones included). */
  batches = 0;
  /** Items served by those batches. */
  items = 0;
  /** Batches whose run failed. */
  failedBatches = 0;
  /** Size of the largest batch run so far. */
  maxBatchSeen = 0;

  private readonly queue: Pending<I, O>[] = [];
  private running: Promise<void> | null = null;
  /** Cancels the pending start of a batch (a timer, or an immediate when `maxWaitMs` is 0). */
  private cancelTimer: (() => void) | null = null;
  private readonly run: (items: I[]) => Promise<O[]>;
  private readonly onBatch: ((size: number, ms: number) => void) | undefined;
  /** Most items in one batch. */
  readonly maxBatch: number;
  /** Longest wait of a call arriving at an idle batcher, in ms. */
  readonly maxWaitMs: number;

  constructor(opts: MicroBatcherOptions<I, O>) {
    if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1) {
      throw new RangeError(`maxBatch must be an integer >= 1, got ${opts.maxBatch}`);
    }
    if (!(opts.maxWaitMs >= 0) || !Number.isFinite(opts.maxWaitMs)) {
      throw new RangeError(`maxWaitMs must be a finite number >= 0, got ${opts.maxWaitMs}`);
    }
    this.run = opts.run;
    this.maxBatch = opts.maxBatch;
    this.maxWaitMs = opts.maxWaitMs;
    this.onBatch = opts.onBatch;
  }

  /** Items waiting for a batch (not counting the batch running now). */
  get queueDepth(): number {
    return this.queue.length;
  }

  /** Whether a batch is running now. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Mean items per batch so far (0 before the first batch). */
  get meanBatchSize(): number {
    return this.batches === 0 ? 0 : this.items / this.batches;
  }

  /** Queues one item; resolves to its own result (or rejects with its batch's error). */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or running (e.g. before disposing of what `run` uses). */
  async drain(): Promise<void> {
    while (this.running || this.queue.length > 0) {
      if (this.running) await this.running;
      else this.flush();
    }
  }

  private schedule(): void {
    if (this.running) return; // the running batch starts the next one when it ends
    if (this.queue.length >= this.maxBatch) {
      this.flush();
      return;
    }
    if (this.cancelTimer) return;
    if (this.maxWaitMs > 0) {
      const t = setTimeout(() => this.flush(), this.maxWaitMs);
      this.cancelTimer = () => clearTimeout(t);
    } else {
      const t = setImmediate(() => this.flush());
      this.cancelTimer = () => clearImmediate(t);
    }
  }

  private clearTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /** Starts a batch of up to `maxBatch` queued items now (a no-op while one runs or nothing waits). */
  private flush(): void {
    this.clearTimer();
    if (this.running || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.running = this.execute(batch).finally(() => {
      this.running = null;
      // Whatever queued meanwhile has waited long enough: it goes now, as the next batch.
      if (this.queue.length > 0) this.flush();
    });
  }

  private async execute(batch: Pending<I, O>[]): Promise<void> {
    const t0 = performance.now();
    let results: O[] | undefined;
    let error: unknown;
    try {
      results = await this.run(batch.map((p) => p.item));
      if (!Array.isArray(results) || results.length !== batch.length) {
        throw new Error(
          `batch run returned ${Array.isArray(results) ? results.length : typeof results} results for ${batch.length} items`,
        );
      }
    } catch (e) {
      error = e;
    }
    const ms = performance.now() - t0;
    this.batches++;
    this.items += batch.length;
    this.maxBatchSeen = Math.max(this.maxBatchSeen, batch.length);
    if (error !== undefined || !results) this.failedBatches++;
    try {
      this.onBatch?.(batch.length, ms);
    } catch {
      // A metrics callback must not break the callers' answers.
    }
    if (error !== undefined || !results) {
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      p.resolve(results[i] as O);
    });
  }
}

/** How one encoder's single-item calls are batched. */
export interface BatchOptions {
  /** Most items per encoder call. Default 16. */
  maxBatch?: number;
  /** Longest wait for companions when the encoder is idle, in ms. Default 2. */
  maxWaitMs?: number;
  /** Told the size and duration (ms) of every batch. */
  onBatch?: (size: number, ms: number) => void;
}

const DEFAULT_MAX_BATCH = 16;
const DEFAULT_MAX_WAIT_MS = 2;

/** The text encoder's members the analyzer and the search use (what a batched text encoder keeps). */
export interface TextEncoderLike extends Encoder<string> {
  encodeWithInfo(texts: readonly string[]): Promise<TextEncoding[]>;
}
/** The image encoder's members the analyzer and the search use (what a batched image encoder keeps). */
export interface ImageEncoderLike extends Encoder<DecodedImage> {
  readonly inputSize: number;
  /** Both of each photo's vectors (pooled and inner layer) from one forward pass. */
  encodeWithInfo(images: readonly DecodedImage[]): Promise<ImageEncoding[]>;
}

/** An encoder whose single-item calls go through a batcher, and that batcher (for metrics and tests). */
export interface Batched<E, I, O> {
  /** Drop-in for the wrapped encoder: same type, same `id`/`dim`/`inputSize`. */
  encoder: E;
  batcher: MicroBatcher<I, O>;
}

/**
 * A drop-in for `inner` whose single-text `encodeWithInfo([t])` / `encode([t])` calls from concurrent
 * requests are served together by one `inner.encodeWithInfo(texts)` call. Calls with several texts (the
 * indexer's batches) go to `inner` directly, as before. The result has `inner`'s type: it is an object
 * whose prototype is `inner` (so every other member is `inner`'s), with `encode`, `encodeWithInfo` and
 * `dispose` (which waits for queued calls first) of its own.
 */
export function batchTextEncoder<T extends TextEncoderLike>(
  inner: T,
  opts: BatchOptions = {},
): Batched<T, string, TextEncoding> {
  const batcher = new MicroBatcher<string, TextEncoding>({
    run: (texts) => inner.encodeWithInfo(texts),
    maxBatch: opts.maxBatch ?? DEFAULT_MAX_BATCH,
    maxWaitMs: opts.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
    ...(opts.onBatch ? { onBatch: opts.onBatch } : {}),
  });
  const encodeWithInfo = async (texts: readonly string[]): Promise<TextEncoding[]> =>
    texts.length === 1 ? [await batcher.submit(texts[0] as string)] : inner.encodeWithInfo(texts);
  const own: Pick<TextEncoderLike, 'encode' | 'encodeWithInfo' | 'dispose'> = {
    encodeWithInfo,
    encode: async (texts) => (await encodeWithInfo(texts)).map((r) => r.vector),
    dispose: async () => {
      await batcher.drain();
      await inner.dispose();
    },
  };
  return { encoder: Object.assign(Object.create(inner) as T, own), batcher };
}

/**
 * A drop-in for `inner` whose single-photo `encodeWithInfo([img])` / `encode([img])` calls from concurrent
 * requests are served together by one `inner.encodeWithInfo(imgs)` call; calls with several photos go to
 * `inner` directly. A photo of the wrong size is refused for its caller alone, before it could fail a
 * whole batch. Same shape as {@link batchTextEncoder}'s result.
 */
export function batchImageEncoder<T extends ImageEncoderLike>(
  inner: T,
  opts: BatchOptions = {},
): Batched<T, DecodedImage, ImageEncoding> {
  const batcher = new MicroBatcher<DecodedImage, ImageEncoding>({
    run: (images) => inner.encodeWithInfo(images),
    maxBatch: opts.maxBatch ?? DEFAULT_MAX_BATCH,
    maxWaitMs: opts.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
    ...(opts.onBatch ? { onBatch: opts.onBatch } : {}),
  });
  const s = inner.inputSize;
  const encodeWithInfo = async (images: readonly DecodedImage[]): Promise<ImageEncoding[]> => {
    if (images.length !== 1) return inner.encodeWithInfo(images);
    const img = images[0] as DecodedImage;
    if (img.size !== s || img.pixels.length !== s * s * 3) {
      throw new Error(`image encoder expects ${s}x${s}x3 input, got size ${img.size} (${img.pixels.length} values)`);
    }
    return [await batcher.submit(img)];
  };
  const own: Pick<ImageEncoderLike, 'encode' | 'encodeWithInfo' | 'dispose'> = {
    encodeWithInfo,
    encode: async (images) => (await encodeWithInfo(images)).map((r) => r.vector),
    dispose: async () => {
      await batcher.drain();
      await inner.dispose();
    },
  };
  return { encoder: Object.assign(Object.create(inner) as T, own), batcher };
}

/** Options of {@link batchedEncoders}. */
export interface EncoderBatchingOptions {
  text?: Omit<BatchOptions, 'onBatch'>;
  image?: Omit<BatchOptions, 'onBatch'>;
  /** Told the encoder, size and duration (ms) of every batch; e.g. observe a histogram by `encoder`. */
  onBatch?: (encoder: 'text' | 'image', size: number, ms: number) => void;
}

/** Batched encoders plus what metrics need from their batchers. */
export interface EncoderBatching {
  /** Drop-in {@link Encoders} for the analyzer and the search index. */
  encoders: Encoders;
  text: MicroBatcher<string, TextEncoding>;
  image: MicroBatcher<DecodedImage, ImageEncoding>;
  /** Items waiting per encoder, `{ text, image }`: the shape `ServerMetrics`' `queueDepth` takes. */
  queueDepth(): Record<string, number>;
}

/**
 * Wraps both encoders so that concurrent requests' single-item calls share encoder calls. The
 * returned `encoders` are drop-ins for `encoders` (same types, ids, dims, input size); disposing of
 * them waits for queued calls, then disposes of the originals.
 */
export function batchedEncoders(encoders: Encoders, opts: EncoderBatchingOptions = {}): EncoderBatching {
  const { onBatch } = opts;
  const text = batchTextEncoder(encoders.text, {
    ...opts.text,
    ...(onBatch ? { onBatch: (n: number, ms: number) => onBatch('text', n, ms) } : {}),
  });
  const image = batchImageEncoder(encoders.image, {
    ...opts.image,
    ...(onBatch ? { onBatch: (n: number, ms: number) => onBatch('image', n, ms) } : {}),
  });
  return {
    encoders: { text: text.encoder, image: image.encoder, ...(encoders.words ? { words: encoders.words } : {}) },
    text: text.batcher,
    image: image.batcher,
    queueDepth: () => ({ text: text.batcher.queueDepth, image: image.batcher.queueDepth }),
  };
}
