export { executeStep, runLog, type StepOutcome } from './execute.js';
export {
  IN_PROCESS,
  type PipelineControl,
  PipelineRunner,
  type RunnerOptions,
  resolveSteps,
  type StartRequest,
} from './runner.js';
export { claimFire, type FireOutcome, nextFire, PipelineScheduler, type Schedule } from './scheduler.js';
export { EVALUATE_RESAMPLES, EVALUATE_SEED, evaluateStep, reportPath } from './steps/evaluate-step.js';
export { indexStep } from './steps/index-step.js';
export { promoteStep } from './steps/promote-step.js';
export {
  MIN_STORE_POOL,
  SYNTHETIC_LABEL_SOURCE,
  SYNTHETIC_SOURCE,
  synthesizeStep,
} from './steps/synthesize-step.js';
export { MIN_LABELLED_FOR_TRAINING, trainStep } from './steps/train-step.js';
export { type LogLine, PipelineStore, type RunStatus, type RunView, type StepStatus, type StepView } from './store.js';
export type { LogLevel, PipelineServices, PipelineStep, StepContext } from './types.js';

import { ingestStep as ingest } from '../ingest/index.js';
import { labelStep as label } from '../labeling/index.js';
import { evaluateStep as evaluate } from './steps/evaluate-step.js';
import { indexStep as index } from './steps/index-step.js';
import { promoteStep as promote } from './steps/promote-step.js';
import { synthesizeStep as synthesize } from './steps/synthesize-step.js';
import { trainStep as train } from './steps/train-step.js';

/**
 * Every step this build can run, in the flow's order: a run with no step list runs them all. `synthesize` tops
 * up the thinnest sentiment classes with synthetic reviews (source `synthetic`, which train, index and the
 * shadow comparison leave out). `train` scores its candidate on its held-out split and registers it through the
 * gate; `evaluate` then writes the candidate's full evaluation report (HTML + JSON) and stores it with the
 * model version, where `promote` can read it (`training.gate.useReport`).
 */
export const PIPELINE_STEPS = [ingest, synthesize, label, index, train, evaluate, promote] as const;
export { demoPoolFile, seedDemoPool } from './demo.js';
export { openPipelineServices } from './services.js';
