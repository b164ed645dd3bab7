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
export { generalTextCorpus, productPolaritySets } from './corpora.js';
export * from './datasets.js';
export { FeatureCache } from './feature-cache.js';
export {
  type EvalRecord,
  evalRecordOf,
  type GateConfig,
  type GateDecision,
  gateDecision,
} from './gate.js';
export { type MultimodalOptions, trainMultimodal } from './multimodal.js';
export { ModelRegistry, PRODUCTION, STAGING } from './registry.js';
export { runTraining, type TrainingRunResult } from './run.js';
export { type Split, stratifiedSplit } from './split.js';
