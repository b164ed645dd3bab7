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
 * The whole nsfwjs MobileNetV2 graph (224x224x3 input in [0, 1], all layers) from its verified UMD
 * bundles in `assetDir`; TF.js must already be initialised (initTfWasm). Throws when a bundle is malformed.
 */
export async function loadMobileNetV2Graph(assetDir: string): Promise<tf.LayersModel> {
  const mj = loadUmdBundle(join(assetDir, 'model.min.js')) as BundledModelJson;
  const manifest = mj.weightsManifest[0];
  if (!manifest) throw new Error('model.min.js has no weights manifest');
  const shards = manifest.paths.map((p) =>
    Buffer.from(loadUmdBundle(join(assetDir, `${p}.min.js`)) as string, 'base64'),
  );
  const weightData = Buffer.concat(shards);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: mj.modelTopology as tf.io.ModelJSON['modelTopology'],
      weightSpecs: manifest.weights,
      weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
    }),
  );
}

/**
 * The inner layer whose spatially averaged activations are the photo's `inner` features: MobileNetV2's
 * block 13 expansion (14 x 14 x 576, after ReLU6), below nsfwjs's fine-tuned top. Chosen leave-one-source-out
 * on product-photos for the damaged-product check (`npm run bench:damage-layers`: mean LOSO ROC AUC 0.822 against
 * 0.743 for the pooled 1280-d output).
 */
export const INNER_LAYER = 'block_13_expand_relu';
/** Length of the pooled vector (`encode`'s output, ImageEncoding.vector). */
export const POOLED_DIM = 1280;
/** Length of the `inner` vector (the channels of INNER_LAYER). */
export const INNER_DIM = 576;

/** One photo's vectors from one forward pass. */
export interface ImageEncoding {
  /** The pooled 1280-d embedding (`encode`'s vector: photo sentiment head, search index). */
  vector: Float32Array;
  /** INNER_LAYER's activations averaged over its 14 x 14 positions (INNER_DIM values): the damage check's input. */
  inner: Float32Array;
}

/**
 * Generic photo features: MobileNetV2 (ImageNet-pretrained, fine-tuned by nsfwjs) cut at its pooled
 * 1280-d layer, on TF.js's wasm backend, plus the averaged activations of an inner layer (INNER_LAYER)
 * from the same forward pass. The asset ships as UMD bundles (a JSON topology and a base64 weight
 * shard); they are verified by sha256 before they are loaded.
 */
export class MobileNetImageEncoder implements Encoder<DecodedImage> {
  readonly dim = POOLED_DIM;
  readonly innerDim = INNER_DIM;
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
      const full = await loadMobileNetV2Graph(opts.assetDir);
      const pooled = full.layers.find((l) => l.name === 'flatten_1') ?? full.layers[full.layers.length - 6];
      if (!pooled) throw new Error('pooled layer not found');
      const inner = full.getLayer(INNER_LAYER);
      const innerMean = tf.layers
        .globalAveragePooling2d({ name: `${INNER_LAYER}_mean` })
        .apply(inner.output as tf.SymbolicTensor) as tf.SymbolicTensor;
      const model = tf.model({ inputs: full.inputs, outputs: [pooled.output as tf.SymbolicTensor, innerMean] });
      return new MobileNetImageEncoder(opts.id, model, opts.batchSize ?? 8);
    } catch (e) {
      if (e instanceof ModelAssetError) throw e;
      throw new ModelAssetError(
        `image encoder ${opts.id} failed to load from ${opts.assetDir}: ${(e as Error).message}`,
        e,
      );
    }
  }

  /** The pooled 1280-d vector of each photo (224 x 224 RGB in [0, 1]). Throws on a photo of another size. */
  async encode(images: readonly DecodedImage[]): Promise<Float32Array[]> {
    return (await this.encodeWithInfo(images)).map((e) => e.vector);
  }

  /** Both vectors of each photo (ImageEncoding), in batches of `batchSize`. Throws on a photo of another size. */
  async encodeWithInfo(images: readonly DecodedImage[]): Promise<ImageEncoding[]> {
    const out: ImageEncoding[] = [];
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
      const [y, z] = this.model.predict(x) as tf.Tensor[];
      const pooled = (await (y as tf.Tensor).data()) as Float32Array;
      const inner = (await (z as tf.Tensor).data()) as Float32Array;
      tf.dispose([x, y as tf.Tensor, z as tf.Tensor]);
      const d = this.dim;
      const di = this.innerDim;
      for (let j = 0; j < batch.length; j++) {
        out.push({ vector: pooled.slice(j * d, (j + 1) * d), inner: inner.slice(j * di, (j + 1) * di) });
      }
    }
    return out;
  }

  async dispose(): Promise<void> {
    this.model.dispose();
  }
}
