export {
  ASPECTS,
  aspectsOf,
  loadSourceReviews,
  poolFor,
  sentenceCount,
  sentences,
  sentimentOfRating,
} from './corpus.js';
export { Deduper, jaccard, normalise, trigrams } from './dedup.js';
export { analyzerJudge, type TextAnalyzer } from './judge.js';
export { LlmGenerator, stripPromptLeaks, synthMessages } from './llm-generator.js';
export * from './photos/index.js';
export { AGAINST, isDealbreaker, isGoodPoint, pullsAgainst } from './polarity.js';
export { RecombineGenerator, SWAPS, swapWords } from './recombine.js';
export { checkRequest, type SynthRunOptions, type SynthSummary, synthesize } from './run.js';
export {
  STYLE_FEATURE_DESCRIPTIONS,
  STYLE_FEATURES,
  type StyleFeature,
  styleFeatures,
} from './style.js';
export { storeSourceReview, topUpPlan } from './top-up.js';
export {
  compareOnSet,
  DECISION_RULE,
  decide,
  loadTrainingComparison,
  type SetComparison,
  TRAINING_COMPARISON_FILE,
  TRAINING_COMPARISON_PATH,
  type TrainingComparison,
} from './training-comparison.js';
export {
  type GeneratorName,
  LENGTH_WORDS,
  type SentimentJudge,
  type SourceReview,
  type SynthCandidate,
  type SyntheticReview,
  type SynthGenerator,
  type SynthLength,
  type SynthRequest,
} from './types.js';
export {
  type GeneratorValidation,
  type Giveaway,
  loadValidatorReport,
  type Pair,
  pairWithReal,
  parseSyntheticRecord,
  rankAuc,
  readRealJsonl,
  readSyntheticJsonl,
  saveValidatorReport,
  type TextEmbedder,
  type ValidatorInput,
  type ValidatorOptions,
  type ValidatorReport,
  validateSynthetic,
  validatorReportPath,
} from './validator.js';
