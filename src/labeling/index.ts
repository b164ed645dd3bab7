export { queuePriorities, type SelectOptions, selectBatch, type UncertaintyKind, uncertainty } from './active.js';
export {
  besides,
  buildEnsemble,
  buildLabelers,
  calibrationPath,
  type LabelRunOptions,
  type LabelRunResult,
  labelInputOf,
  labelUnlabelled,
  loadCalibration,
  type ResolvedLabeling,
  resolveLabeling,
  type StoredCalibration,
  saveCalibration,
} from './agent.js';
export { type CalibrationReport, calibrateOnLabelled, crossFitCalibration } from './calibrate-run.js';
export {
  argmax,
  type Calibrated,
  type CalibrationJSON,
  calibrate,
  fitCalibration,
  fitIsotonic,
  NO_CALIBRATION,
  type ReliabilityBin,
  reliability,
  reliabilitySvg,
} from './calibration.js';
export { ClassifierLabeler } from './classifier-labeler.js';
export {
  type CalibrationSource,
  DEFAULT_WEIGHTS,
  Ensemble,
  type EnsembleOptions,
  type EnsembleResult,
  poolVotes,
  voteOf,
} from './ensemble.js';
export { labelingFeatures } from './features.js';
export {
  DEFAULT_THRESHOLDS,
  decisionReport,
  type GateReport,
  gate,
  gateReport,
  type ProposedThresholds,
  proposeThresholds,
} from './gating.js';
export { type ImportReport, importReviewRows, importReviewsJsonl, MVSA_UNLABELED_SOURCE } from './import.js';
export { LexiconLabeler, lexiconLabel, lexiconProbs } from './lexicon-labeler.js';
export { type FewShot, LLM_LABEL_SYSTEM, LlmLabeler, llmLabelMessages, llmLabelSchema } from './llm-labeler.js';
export {
  findLabelIssues,
  HEAD_OPTIONS,
  type LabelIssue,
  outOfFoldProbs,
  stratifiedFolds,
} from './noise.js';
export {
  LabelQueue,
  photoThumbnailUrl,
  photoUrl,
  type QueueCounts,
  type QueueItem,
  type QueueStats,
  type SubmitAction,
} from './queue.js';
export {
  fitShippedCalibration,
  SHIPPED_LABELERS,
  SHIPPED_TARGET_PRECISION,
  type ShippedCalibrationItem,
  type ShippedLabeling,
  shippedPooledLogits,
} from './shipped.js';
export { labelStep } from './step.js';
export * from './types.js';
