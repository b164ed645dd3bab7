import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { ModelAssetError } from '../core/errors.js';
import type { Encoder } from './encoder.js';
import type { DecodedImage } from './image-input.js';

const require = createRequire(import.meta.url);

let backendReady: Promise<void> | null = null;

/** Initialises TF.js on the wasm backend once per process, with the given thread count. */
export function initTfWasm(threads: number): Promise<void> {
  backendReady ??= (async () => {
    const wasmDir = join(require.resolve('@tensorflow/tfjs-backend-wasm'), '..', '..', 'dist');
    setWasmPaths(`${wasmDir}/`);
    setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new ModelAssetError('TF.js wasm backend failed to initialise');
    await tf.ready();
  })();
  return backendReady;
}

/**
 * Evaluates one of nsfwjs's UMD bundles in an empty V8 context (no require, no globals of ours) and
 * returns what it exports. The file's sha256 was verified before this is called.
 */
function loadUmdBundle(path: string): unknown {
  const sandbox = { module: { exports: {} as unknown }, exports: {} };
  sandbox.exports = sandbox.module.exports as object;
  runInNewContext(readFileSync(path, 'utf8'), sandbox, { filename: path });
  // Copy out of the sandbox's realm (its arrays and objects are not this realm's).
  const out = sandbox.module.exports;
  return typeof out === 'string' ? `${out}` : JSON.parse(JSON.stringify(out));
}

interface BundledModelJson {
  modelTopology: unknown;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

/**
 * Generic photo features: MobileNetV2 (ImageNet-pretrained, fine-tuned by nsfwjs) cut at its pooled
 * 1280-d layer, on TF.js's wasm backend. The asset ships as UMD bundles (a JSON topology and a
 * base64 weight shard); they are verified by sha256 before they are loaded.
 */
export class MobileNetImageEncoder implements Encoder<DecodedImage> {
  readonly dim = 1280;
  readonly inputSize = 224;
  private constructor(
    readonly id: string,
    private readonly model: tf.LayersModel,
    private readonly batchSize: number,
  ) {}

  static async load(opts: {
    assetDir: string;
    id: string;
    threads: number;
    batchSize?: number;
  }): Promise<MobileNetImageEncoder> {
    await initTfWasm(opts.threads);
    try {
      const mj = loadUmdBundle(join(opts.assetDir, 'model.min.js')) as BundledModelJson;
      const manifest = mj.weightsManifest[0];
      if (!manifest) throw new Error('model.min.js has no weights manifest');
      const shards = manifest.paths.map((p) =>
        Buffer.from(loadUmdBundle(join(opts.assetDir, `${p}.min.js`)) as string, 'base64'),
      );
      const weightData = Buffer.concat(shards);
      const full = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: mj.modelTopology as tf.io.ModelJSON['modelTopology'],
          weightSpecs: manifest.weights,
          weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
        }),
      );
      const pooled = full.layers.find((l) => l.name === 'flatten_1') ?? full.layers[full.layers.length - 6];
      if (!pooled) throw new Error('pooled layer not found');
      const model = tf.model({ inputs: full.inputs, outputs: pooled.output as tf.SymbolicTensor });
      return new MobileNetImageEncoder(opts.id, model, opts.batchSize ?? 8);
    } catch (e) {
      if (e instanceof ModelAssetError) throw e;
      throw new ModelAssetError(
        `image encoder ${opts.id} failed to load from ${opts.assetDir}: ${(e as Error).message}`,
        e,
      );
    }
  }

  async encode(images: readonly DecodedImage[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const s = this.inputSize;
    for (let i = 0; i < images.length; i += this.batchSize) {
      const batch = images.slice(i, i + this.batchSize);
      for (const img of batch) {
        if (img.size !== s) throw new Error(`image encoder expects ${s}x${s} input, got ${img.size}`);
      }
      const flat = new Float32Array(batch.length * s * s * 3);
      batch.forEach((img, j) => {
        flat.set(img.pixels, j * s * s * 3);
      });
      const x = tf.tensor4d(flat, [batch.length, s, s, 3]);
      const y = this.model.predict(x) as tf.Tensor;
      const data = (await y.data()) as Float32Array;
      x.dispose();
      y.dispose();
      for (let j = 0; j < batch.length; j++) out.push(data.slice(j * this.dim, (j + 1) * this.dim));
    }
    return out;
  }

  async dispose(): Promise<void> {
    this.model.dispose();
  }
}
