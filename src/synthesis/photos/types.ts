import type { Sentiment } from '../../core/types.js';
import type { ProductCondition } from '../../training/product-photos.js';

/** What a synthetic review's photo shows: a damaged product (negative reviews) or an intact one. */
export type PhotoCondition = ProductCondition;

/** What to make a photo for: the review's target sentiment, product or category, and the seed. */
export interface PhotoRequest {
  sentiment: Sentiment;
  product?: string | null | undefined;
  category?: string | null | undefined;
  /** The review the photo goes with (recorded; the generators here do not read it). */
  text?: string | undefined;
  seed: number;
}

/**
 * How a synthetic photo was made, enough to make it again: the generator, the condition asked for, the seed and,
 * per generator, the source photo (path or blob id, sha256) with every edit and its parameters (`pair`), or the
 * server, model, prompt and size (`http`).
 */
export interface PhotoRecipe {
  generator: string;
  condition: PhotoCondition;
  seed: number;
  [key: string]: unknown;
}

/** A photo made for a synthetic review: always JPEG, no metadata. */
export interface SyntheticPhoto {
  jpeg: Buffer;
  width: number;
  height: number;
  /** sha256 of `jpeg` (hex). */
  sha256: string;
  recipe: PhotoRecipe;
}

/**
 * The image-generation port: one photo per call, of the condition the sentiment calls for (conditionFor).
 * Adapters: RealPhotoPairing (the local default: a real photo, lightly edited), OpenAIImagesGenerator and
 * Automatic1111Generator (HTTP, a diffusion server elsewhere). Errors are typed (src/core/errors.ts) and say what
 * went wrong; a caller attaching photos to many reviews counts a failure and goes on (attachPhotos).
 */
export interface ImageGenerator {
  /** `pair`, `openai-images` or `automatic1111`. */
  readonly name: string;
  generate(req: PhotoRequest, signal?: AbortSignal): Promise<SyntheticPhoto>;
}

/**
 * The condition a sentiment's photo shows: negative → damaged, positive → intact, neutral → intact (a neutral
 * review is "it does the job": a photo of a damaged product would read as a complaint, and the damaged-product
 * check of the classifier would push the pair to negative).
 */
export function conditionFor(sentiment: Sentiment): PhotoCondition {
  return sentiment === 'negative' ? 'damaged' : 'intact';
}
