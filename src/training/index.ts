export {
  type BaselineData,
  type BaselineOptions,
  evaluateBaseline,
  IMAGE_ENCODER,
  MVSA_SPLIT_FILE,
  mvsaSplit,
  prepareBaselineData,
  TEXT_ENCODER,
  trainBaseline,
} from './baseline.js';
export * from './datasets.js';
export { FeatureCache } from './feature-cache.js';
export { ModelRegistry, PRODUCTION, STAGING } from './registry.js';
export { type Split, stratifiedSplit } from './split.js';
