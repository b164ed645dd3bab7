export { generalTextCorpus, productPolaritySets } from './corpora.js';
export * from './datasets.js';
export {
  detokenize,
  ECOMMERCE_SPLIT_FILE,
  type EcommerceData,
  loadEcommerce,
  loadUnlabelledProductReviews,
  type ReviewExample,
} from './ecommerce.js';
export { type EvaluationReport, evaluateAnalyzer } from './evaluate.js';
export { FeatureCache } from './feature-cache.js';
export {
  IMAGE_ENCODER,
  imageFeatures,
  MVSA_SPLIT_FILE,
  MVSA_SPLIT_PATH,
  mvsaSplit,
  TEXT_ENCODER,
  textFeatures,
} from './features.js';
export {
  type EvalRecord,
  evalRecordOf,
  type GateConfig,
  type GateDecision,
  gateDecision,
  type ReportGateConfig,
  reportGateDecision,
} from './gate.js';
export { type MultimodalOptions, trainMultimodal } from './multimodal.js';
export { loadProductPhotos, type ProductPhoto } from './product-photos.js';
export {
  MIN_LABELLED_FOR_ACCURACY,
  type PromotionOutcome,
  type PromotionPolicy,
  promotionDecision,
  type ShadowPair,
  type ShadowResult,
  type ShadowRule,
  shadowComparison,
} from './promotion.js';
export { ModelRegistry, PRODUCTION, type PromotionRecord, STAGING, type StoredReport } from './registry.js';
export { NEGATION_BACKOFF, trainReviewText } from './review-model.js';
export { runTraining, type TrainingRunResult } from './run.js';
export { trainSarcasm } from './sarcasm.js';
export { type Split, stratifiedSplit } from './split.js';
export {
  type ClassCounts,
  classCounts,
  loadSyntheticTraining,
  SYNTHETIC_SOURCE,
  type SyntheticTrainingData,
} from './synthetic-data.js';
export {
  IMAGE_COLS,
  imageRef,
  loadUserData,
  mapLabel,
  pickCol,
  readRows,
  TEXT_COLS,
  type UserDataReport,
} from './user-data.js';
