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
  type StoredCalibration,
  saveCalibration,
} from './agent.js';
export { type CalibrationReport, calibrateOnLabelled } from './calibrate-run.js';
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
export { DEFAULT_WEIGHTS, Ensemble, type EnsembleOptions, type EnsembleResult, poolVotes } from './ensemble.js';
export { labelingFeatures } from './features.js';
export {
  DEFAULT_THRESHOLDS,
  type GateReport,
  gate,
  gateReport,
  type ProposedThresholds,
  proposeThresholds,
} from './gating.js';
export { type ImportReport, importReviewsJsonl, MVSA_UNLABELED_SOURCE } from './import.js';
export { LexiconLabeler, lexiconProbs } from './lexicon-labeler.js';
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
export { labelStep } from './step.js';
export * from './types.js';
