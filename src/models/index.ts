export { type FusionArtifact, type ModelArtifact, parseArtifact } from './artifact.js';
export { ASSETS, type AssetSpec, assetSpec } from './asset-manifest.js';
export { type AssetStatus, assetStatus, fetchAssets, listAssets, resolveAsset } from './assets.js';
export type { Encoder } from './encoder.js';
export { FusionModel, type FusionOutput, generalMean } from './fusion.js';
export { fitTemperature, softmaxInPlace } from './heads/calibration.js';
export { NgramLogReg, type TokenContribution } from './heads/ngram-logreg.js';
export { SoftmaxHead, type SoftmaxHeadJSON, type TrainOptions } from './heads/softmax.js';
export {
  COCO_CLASSES,
  EMOTIONS,
  HUMAN_ASSET,
  HUMAN_FEATURE_GROUPS,
  HUMAN_FEATURE_LAYOUT,
  HUMAN_FEATURE_NAMES,
  type HumanEncoderOptions,
  HumanImageEncoder,
  humanFeatureVector,
} from './human-features.js';
export {
  type ImageEncoding,
  INNER_DIM,
  INNER_LAYER,
  initTfWasm,
  loadMobileNetV2Graph,
  MobileNetImageEncoder,
  POOLED_DIM,
} from './image-encoder.js';
export {
  ACCEPTED_IMAGE_TYPES,
  checkImageBytes,
  type DecodedImage,
  decodeImage,
  type ImageLimits,
} from './image-input.js';
export { LEXICON_FEATURES, lexiconFeatures, vaderCompound } from './lexicon.js';
export { chunkText, MiniLmTextEncoder, TEXT_BATCH_SIZE, type TextEncoding } from './text-encoder.js';
export {
  convertWinkJson,
  gloveTokens,
  loadWordVectors,
  meanWordVector,
  type WordVectors,
} from './word-vectors.js';

import { join } from 'node:path';
import { assetSpec } from './asset-manifest.js';
import { resolveAsset } from './assets.js';
import { MobileNetImageEncoder } from './image-encoder.js';
import { MiniLmTextEncoder } from './text-encoder.js';
import { loadWordVectors, type WordVectors } from './word-vectors.js';

export interface Encoders {
  text: MiniLmTextEncoder;
  image: MobileNetImageEncoder;
  /** Word vectors, when the artifact reads them (its `encoders.words`). */
  words?: WordVectors;
}

/**
 * Resolves (verifies) a word-vector asset and reads its one file (about 0.8 s and 70 MB for GloVe 100-d).
 * @throws ModelAssetError when the asset is missing or corrupt (with the fix: `reviewlens models fetch`).
 */
export async function loadWordVectorAsset(modelsDir: string, name: string): Promise<WordVectors> {
  const dir = await resolveAsset(modelsDir, name);
  const file = assetSpec(name).files[0];
  if (!file) throw new Error(`word-vector asset ${name} names no file`);
  return loadWordVectors(join(dir, file.path), name);
}

/** Resolves (verifies) the assets an artifact names and loads both encoders (and its word vectors, if any). */
export async function loadEncoders(opts: {
  modelsDir: string;
  threads: number;
  text: string;
  image: string;
  words?: string | undefined;
}): Promise<Encoders> {
  const [textDir, imageDir] = await Promise.all([
    resolveAsset(opts.modelsDir, opts.text),
    resolveAsset(opts.modelsDir, opts.image),
  ]);
  const text = await MiniLmTextEncoder.load({ assetDir: textDir, id: opts.text, threads: opts.threads });
  const image = await MobileNetImageEncoder.load({ assetDir: imageDir, id: opts.image, threads: opts.threads });
  // One call each, so the first real request does not pay for kernel compilation and allocation.
  await text.encode(['warm up']);
  const s = image.inputSize;
  await image.encode([{ mime: 'image/raw', width: s, height: s, size: s, pixels: new Float32Array(s * s * 3) }]);
  const words = opts.words ? await loadWordVectorAsset(opts.modelsDir, opts.words) : undefined;
  return { text, image, ...(words ? { words } : {}) };
}

/**
 * The encoders a model artifact names (`artifact.encoders`: text, image and word vectors, if any), from the
 * configured models directory with the configured inference threads (`config.models`).
 */
export function loadArtifactEncoders(
  models: { dir: string; threads: number },
  artifact: { encoders: { text: string; image: string; words?: string | undefined } },
): Promise<Encoders> {
  return loadEncoders({ modelsDir: models.dir, threads: models.threads, ...artifact.encoders });
}
