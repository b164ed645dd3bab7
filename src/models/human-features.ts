import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Config, FaceResult, Human, ObjectResult, Result } from '@vladmandic/human';
import sharp from 'sharp';
import { ModelAssetError, PayloadTooLargeError, ValidationError } from '../core/errors.js';
import { heicToSharp, isHeicType } from '../media/index.js';
import { resolveAsset } from './assets.js';
import type { Encoder } from './encoder.js';
import { initTfWasm } from './image-encoder.js';
import { checkImageBytes, type DecodedImage, type ImageLimits } from './image-input.js';

const require = createRequire(import.meta.url);

/** Emotion classes of Human's emotion model (oarriaga, grey 64x64 input), in its output order. */
export const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;

/** The 80 COCO classes of Human's CenterNet detector, in its class-index order. */
export const COCO_CLASSES = [
  'person',
  'bicycle',
  'car',
  'motorcycle',
  'airplane',
  'bus',
  'train',
  'truck',
  'boat',
  'traffic light',
  'fire hydrant',
  'stop sign',
  'parking meter',
  'bench',
  'bird',
  'cat',
  'dog',
  'horse',
  'sheep',
  'cow',
  'elephant',
  'bear',
  'zebra',
  'giraffe',
  'backpack',
  'umbrella',
  'handbag',
  'tie',
  'suitcase',
  'frisbee',
  'skis',
  'snowboard',
  'sports ball',
  'kite',
  'baseball bat',
  'baseball glove',
  'skateboard',
  'surfboard',
  'tennis racket',
  'bottle',
  'wine glass',
  'cup',
  'fork',
  'knife',
  'spoon',
  'bowl',
  'banana',
  'apple',
  'sandwich',
  'orange',
  'broccoli',
  'carrot',
  'hot dog',
  'pizza',
  'donut',
  'cake',
  'chair',
  'couch',
  'potted plant',
  'bed',
  'dining table',
  'toilet',
  'tv',
  'laptop',
  'mouse',
  'remote',
  'keyboard',
  'cell phone',
  'microwave',
  'oven',
  'toaster',
  'sink',
  'refrigerator',
  'book',
  'clock',
  'vase',
  'scissors',
  'teddy bear',
  'hair drier',
  'toothbrush',
] as const;

/**
 * Names of the vector's components, in order. Three groups (see HUMAN_FEATURE_GROUPS):
 * - faces: number of faces, best face score, summed and largest face-box share of the image;
 * - emotion: the 7 emotion probabilities averaged over faces weighted by face-box area, then their
 *   maximum over faces (all zero when there is no face);
 * - objects: number of objects, then per COCO class the summed and the maximum detection score.
 */
export const HUMAN_FEATURE_NAMES: readonly string[] = [
  'faces',
  'face_score_max',
  'face_area_sum',
  'face_area_max',
  ...EMOTIONS.map((e) => `emotion_mean_${e}`),
  ...EMOTIONS.map((e) => `emotion_max_${e}`),
  'objects',
  ...COCO_CLASSES.map((c) => `object_sum_${c.replace(/ /g, '_')}`),
  ...COCO_CLASSES.map((c) => `object_max_${c.replace(/ /g, '_')}`),
];

/** Index ranges [start, end) of the feature groups inside the vector. */
export const HUMAN_FEATURE_GROUPS = {
  faces: [0, 4],
  emotion: [4, 4 + 2 * EMOTIONS.length],
  objects: [4 + 2 * EMOTIONS.length, HUMAN_FEATURE_NAMES.length],
} as const satisfies Record<string, readonly [number, number]>;

/** Version of the vector layout; bump it when the components change (feature caches key on it). */
export const HUMAN_FEATURE_LAYOUT = 1;

export interface HumanEncoderOptions {
  /** Verified asset directory (from `resolveAsset`) holding the blazeface, emotion and centernet models. */
  assetDir: string;
  id: string;
  threads: number;
  /** Faces and objects kept per photo (default 10 and 20). */
  maxFaces?: number;
  maxObjects?: number;
  /**
   * Run the CenterNet object detector (default true). Off, the object components are all zero, the
   * vector keeps its length, and a photo costs a fraction of the time (CenterNet is most of it).
   */
  objects?: boolean;
  /** Minimum face-detector and object-detector confidence (default 0.5 and 0.3). */
  minFaceScore?: number;
  minObjectScore?: number;
  /** Longest side the photo is decoded to by `encodeBytes` (default 512, CenterNet's input size). */
  maxSide?: number;
}

/** Asset name of the Human models in the manifest. */
export const HUMAN_ASSET = 'human-face-emotion-object';
const HUMAN_MODEL_FILES = [
  'blazeface.json',
  'blazeface.bin',
  'emotion.json',
  'emotion.bin',
  'centernet.json',
  'centernet.bin',
];
const SCHEME = 'reviewlens-asset://';

/** Verified directories that Human may load models from, by the token used in its model URLs. */
const allowedDirs = new Map<string, string>();
let routerRegistered = false;

/**
 * A TF.js load router for `reviewlens-asset://<token>/<file>.json`: reads a graph model's JSON and
 * its weight shards from a registered (verified) asset directory, so Human loads from disk without
 * tfjs-node and never fetches. Human's model URLs are always of this scheme; other URLs are declined.
 */
function registerAssetRouter(): void {
  if (routerRegistered) return;
  routerRegistered = true;
  // TF.js types a router as always returning a handler; returning null is how a router declines a URL.
  const router = (url: string | string[]): tf.io.IOHandler | null => {
    if (typeof url !== 'string' || !url.startsWith(SCHEME)) return null;
    const rest = url.slice(SCHEME.length);
    const slash = rest.indexOf('/');
    const dir = allowedDirs.get(rest.slice(0, slash));
    const file = rest.slice(slash + 1);
    if (slash < 0 || !dir || file !== basename(file)) return null;
    return {
      load: async () => {
        const json = JSON.parse(await readFile(join(dir, file), 'utf8')) as tf.io.ModelJSON;
        return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
          const specs: tf.io.WeightsManifestEntry[] = [];
          const buffers: Buffer[] = [];
          for (const group of manifest) {
            specs.push(...group.weights);
            for (const p of group.paths) {
              if (p !== basename(p)) throw new Error(`weight path ${p} in ${file} leaves the asset directory`);
              buffers.push(await readFile(join(dir, p)));
            }
          }
          const all = Buffer.concat(buffers);
          return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
        });
      },
    };
  };
  tf.io.registerLoadRouter(router as Parameters<typeof tf.io.registerLoadRouter>[0]);
}

/** Loads Human's Node wasm build by its path (the package's export map does not expose it). */
function loadHumanModule(): { Human: new (config?: Partial<Config>) => Human } {
  const main = require.resolve('@vladmandic/human'); // dist/human.node.js; only its folder is used
  return require(join(dirname(main), 'human.node-wasm.js')) as { Human: new (config?: Partial<Config>) => Human };
}

/** Human keeps its models in module-level state: one loaded instance per process, shared by reference count. */
let shared: { dir: string; settings: string; human: Human; refs: number; token: string } | null = null;
let loading: Promise<unknown> = Promise.resolve();

function humanConfig(o: Required<Omit<HumanEncoderOptions, 'assetDir' | 'id' | 'threads'>>, base: string) {
  const wasmDir = join(require.resolve('@tensorflow/tfjs-backend-wasm'), '..', '..', 'dist');
  return {
    backend: 'wasm',
    wasmPath: `${wasmDir}/`,
    modelBasePath: base,
    cacheModels: false,
    validateModels: false,
    debug: false,
    async: false,
    warmup: 'none',
    cacheSensitivity: 0, // every photo is a new scene: never reuse the last result
    skipAllowed: false,
    filter: { enabled: false },
    gesture: { enabled: false },
    face: {
      enabled: true,
      detector: {
        modelPath: 'blazeface.json',
        rotation: false,
        maxDetected: o.maxFaces,
        minConfidence: o.minFaceScore,
        skipFrames: 0,
        skipTime: 0,
        return: false,
      },
      mesh: { enabled: false },
      iris: { enabled: false },
      attention: { enabled: false },
      description: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
      emotion: { enabled: true, modelPath: 'emotion.json', minConfidence: 0, skipFrames: 0, skipTime: 0 },
    },
    body: { enabled: false },
    hand: { enabled: false },
    segmentation: { enabled: false },
    object: {
      enabled: o.objects,
      modelPath: 'centernet.json',
      minConfidence: o.minObjectScore,
      maxDetected: o.maxObjects,
      iouThreshold: 0.4,
      skipFrames: 0,
      skipTime: 0,
    },
  } as Partial<Config>;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0));
/** Share of the image covered by a normalised [x, y, w, h] box, the part outside the image cut off. */
const boxShare = (b: readonly number[]) => {
  const [x = 0, y = 0, w = 0, h = 0] = b;
  return (clamp01(x + w) - clamp01(x)) * (clamp01(y + h) - clamp01(y));
};

/** Turns one Human result (faces with emotions, objects) into the fixed-length vector of HUMAN_FEATURE_NAMES. */
export function humanFeatureVector(faces: readonly FaceResult[], objects: readonly ObjectResult[]): Float32Array {
  const v = new Float32Array(HUMAN_FEATURE_NAMES.length);
  const k = EMOTIONS.length;
  const [emo0] = HUMAN_FEATURE_GROUPS.emotion;
  const [obj0] = HUMAN_FEATURE_GROUPS.objects;
  v[0] = faces.length;
  let areaSum = 0;
  let scoreMax = 0;
  let areaMax = 0;
  const areas = faces.map((f) => Math.max(boxShare(f.boxRaw), 1e-6));
  const totalArea = areas.reduce((a, b) => a + b, 0);
  faces.forEach((f, i) => {
    const area = areas[i] as number;
    areaSum += area;
    areaMax = Math.max(areaMax, area);
    scoreMax = Math.max(scoreMax, f.score);
    // Human truncates each probability to two decimals; renormalise so every face's row sums to 1.
    const p = new Float64Array(k);
    for (const e of f.emotion ?? []) {
      const j = EMOTIONS.indexOf(e.emotion as (typeof EMOTIONS)[number]);
      if (j >= 0) p[j] = Math.max(0, e.score);
    }
    const s = p.reduce((a, b) => a + b, 0);
    if (s <= 0) return;
    const w = area / totalArea;
    for (let j = 0; j < k; j++) {
      const pj = (p[j] as number) / s;
      v[emo0 + j] = (v[emo0 + j] as number) + w * pj;
      v[emo0 + k + j] = Math.max(v[emo0 + k + j] as number, pj);
    }
  });
  v[1] = scoreMax;
  v[2] = Math.min(1, areaSum);
  v[3] = areaMax;
  v[obj0] = objects.length;
  const n = COCO_CLASSES.length;
  for (const o of objects) {
    const c = COCO_CLASSES.indexOf(o.label as (typeof COCO_CLASSES)[number]);
    if (c < 0) continue;
    v[obj0 + 1 + c] = (v[obj0 + 1 + c] as number) + o.score;
    v[obj0 + 1 + n + c] = Math.max(v[obj0 + 1 + n + c] as number, o.score);
  }
  return v;
}

/**
 * Face, emotion and object features of a photo from the Human library's TF.js models (BlazeFace face
 * detector, a 7-class emotion classifier on each face crop, MobileNetV3-CenterNet COCO object detector),
 * on the wasm backend, loaded only from the verified asset directory. The output is the
 * HUMAN_FEATURE_NAMES vector: how many faces and how much of the photo they fill, what they express,
 * and which of the 80 COCO objects appear.
 *
 * `encode` takes the analyzer's decoded square images (any size; at 224 px faces are small and
 * squashed); `encodeBytes` decodes the original bytes at up to `maxSide` pixels with the aspect ratio
 * kept, as the benchmark (bench/image-features.ts) does.
 */
export class HumanImageEncoder implements Encoder<DecodedImage> {
  readonly dim = HUMAN_FEATURE_NAMES.length;
  private disposed = false;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly id: string,
    private readonly human: Human,
    readonly maxSide: number,
  ) {}

  /** Verifies the asset in the models directory (size and sha256, see `resolveAsset`) and loads it. */
  static async fromModelsDir(
    modelsDir: string,
    opts: Omit<HumanEncoderOptions, 'assetDir' | 'id'> & { id?: string },
  ): Promise<HumanImageEncoder> {
    const id = opts.id ?? HUMAN_ASSET;
    return HumanImageEncoder.load({ ...opts, id, assetDir: await resolveAsset(modelsDir, id) });
  }

  /** Loads from an asset directory already verified by `resolveAsset`; never touches the network. */
  static async load(opts: HumanEncoderOptions): Promise<HumanImageEncoder> {
    const o = {
      maxFaces: opts.maxFaces ?? 10,
      maxObjects: opts.maxObjects ?? 20,
      objects: opts.objects ?? true,
      minFaceScore: opts.minFaceScore ?? 0.5,
      minObjectScore: opts.minObjectScore ?? 0.3,
      maxSide: opts.maxSide ?? 512,
    };
    const run = loading.then(async () => {
      const absent: string[] = [];
      for (const f of HUMAN_MODEL_FILES) {
        const p = join(opts.assetDir, f);
        if (!(await stat(p).catch(() => null))?.isFile()) absent.push(p);
      }
      if (absent.length > 0) {
        throw new ModelAssetError(
          `image encoder ${opts.id} cannot load: missing ${absent.join(', ')}; run \`npx reviewlens models fetch\``,
        );
      }
      const settings = JSON.stringify(o);
      if (shared) {
        if (shared.dir !== opts.assetDir || shared.settings !== settings) {
          throw new ModelAssetError(
            `Human models are already loaded from ${shared.dir} with ${shared.settings}; one process holds one ` +
              `set (asked for ${opts.assetDir} with ${settings})`,
          );
        }
        shared.refs++;
        return new HumanImageEncoder(opts.id, shared.human, o.maxSide);
      }
      await initTfWasm(opts.threads);
      registerAssetRouter();
      const token = `human-${allowedDirs.size + 1}-${Date.now().toString(36)}`;
      allowedDirs.set(token, opts.assetDir);
      try {
        const { Human: HumanClass } = loadHumanModule();
        const human = new HumanClass(humanConfig(o, `${SCHEME}${token}/`));
        // After a full dispose the library's modules still point at the disposed models: force a reload.
        human.env.initial = true;
        await human.load();
        const models = human.models.models as Record<string, { executor?: unknown } | null>;
        const wanted = o.objects ? ['blazeface', 'emotion', 'centernet'] : ['blazeface', 'emotion'];
        const notLoaded = wanted.filter((m) => !models[m]?.executor);
        if (notLoaded.length > 0) throw new Error(`Human did not load ${notLoaded.join(', ')}`);
        const enc = new HumanImageEncoder(opts.id, human, o.maxSide);
        // One call, so the first real photo does not pay for kernel set-up.
        await enc.encode([
          { mime: 'image/raw', width: 64, height: 64, size: 64, pixels: new Float32Array(64 * 64 * 3) },
        ]);
        shared = { dir: opts.assetDir, settings, human, refs: 1, token };
        return enc;
      } catch (e) {
        allowedDirs.delete(token);
        throw new ModelAssetError(
          `image encoder ${opts.id} failed to load from ${opts.assetDir}: ${(e as Error).message}`,
          e,
        );
      }
    });
    loading = run.catch(() => {});
    return run;
  }

  /** Runs Human on one RGB tensor in 0..255 ([h, w, 3]); calls are serialised (Human is not reentrant). */
  private detect(make: () => tf.Tensor3D): Promise<Float32Array> {
    const run = this.queue.then(async () => {
      if (this.disposed) throw new Error(`image encoder ${this.id} was disposed`);
      const x = make();
      try {
        const r = (await this.human.detect(x as unknown as Parameters<Human['detect']>[0])) as Result;
        if (r.error) throw new Error(`Human failed on the photo: ${r.error}`);
        return humanFeatureVector(r.face, r.object);
      } finally {
        x.dispose();
      }
    });
    this.queue = run.catch(() => {});
    return run;
  }

  async encode(images: readonly DecodedImage[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const img of images) {
      out.push(
        await this.detect(() => {
          const px = new Float32Array(img.pixels.length);
          for (let i = 0; i < px.length; i++) px[i] = (img.pixels[i] as number) * 255;
          return tf.tensor3d(px, [img.size, img.size, 3]);
        }),
      );
    }
    return out;
  }

  /**
   * Validates and decodes the original photo (type by magic bytes, full decode, EXIF rotation) at up to
   * `maxSide` pixels on its longest side, aspect ratio kept, and encodes it.
   */
  async encodeBytes(
    bytes: Uint8Array,
    limits: ImageLimits = { maxImageBytes: 50e6, maxImagePixels: 1e8 },
    field = 'image',
  ): Promise<Float32Array> {
    const mime = await checkImageBytes(bytes, limits, field);
    let decoded: { data: Buffer; info: { width: number; height: number; channels: number } };
    try {
      const input = isHeicType(mime)
        ? await heicToSharp(bytes, { maxPixels: limits.maxImagePixels, field })
        : sharp(bytes, { failOn: 'error', limitInputPixels: limits.maxImagePixels });
      decoded = await input
        .rotate()
        .resize(this.maxSide, this.maxSide, { fit: 'inside', withoutEnlargement: true })
        .removeAlpha()
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true });
    } catch (e) {
      if (e instanceof PayloadTooLargeError || e instanceof ValidationError) throw e;
      const msg = (e as Error).message;
      if (/pixel limit/i.test(msg)) {
        throw new PayloadTooLargeError(`${field} has more pixels than the limit of ${limits.maxImagePixels}`, field);
      }
      throw new ValidationError(`${field} could not be decoded as ${mime}: ${msg}`, field, e);
    }
    const { data, info } = decoded;
    return this.detect(() => tf.tensor3d(Float32Array.from(data), [info.height, info.width, 3]));
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue;
    const s = shared;
    if (!s || s.human !== this.human || --s.refs > 0) return;
    shared = null;
    allowedDirs.delete(s.token);
    for (const m of Object.values(s.human.models.models as Record<string, { dispose?: () => void } | null>)) {
      m?.dispose?.();
    }
    s.human.models.reset();
  }
}
