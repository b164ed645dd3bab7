/**
 * Sentiment-conditioned photos for synthetic reviews: the image-generation port (ImageGenerator), its local
 * default RealPhotoPairing (a real photo of the matching condition, lightly edited with sharp) and the HTTP
 * adapters for a diffusion server (OpenAI-compatible images API, AUTOMATIC1111), which were tested against a local
 * server speaking the protocol only, never against a real diffusion model.
 */
export { attachPhotos, type PhotoSummary } from './attach.js';
export { applyEdits, drawEdits, EDIT_RANGES, type PhotoEdit, uprightSize } from './edits.js';
export {
  Automatic1111Generator,
  type HttpImageOptions,
  httpImageGenerator,
  ImageServerError,
  OpenAIImagesGenerator,
  parseImageSize,
} from './http-generator.js';
export { PHOTO_JPEG_QUALITY, toJpeg } from './jpeg.js';
export { type PairablePhoto, type PairingOptions, productPhotoPool, RealPhotoPairing } from './pairing.js';
export { photoPrompt } from './prompt.js';
export {
  conditionFor,
  type ImageGenerator,
  type PhotoCondition,
  type PhotoRecipe,
  type PhotoRequest,
  type SyntheticPhoto,
} from './types.js';
