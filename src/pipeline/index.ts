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
export { indexStep } from './steps/index-step.js';
export { promoteStep } from './steps/promote-step.js';
export { MIN_LABELLED_FOR_TRAINING, trainStep } from './steps/train-step.js';
export { type LogLine, PipelineStore, type RunStatus, type RunView, type StepStatus, type StepView } from './store.js';
export type { LogLevel, PipelineServices, PipelineStep, StepContext } from './types.js';

import { ingestStep as ingest } from '../ingest/index.js';
import { labelStep as label } from '../labeling/index.js';
import { indexStep as index } from './steps/index-step.js';
import { promoteStep as promote } from './steps/promote-step.js';
import { trainStep as train } from './steps/train-step.js';

/**
 * Every step this build can run, in the flow's order: a run with no step list runs them all. There is no
 * separate synthesize or evaluate step: `train` evaluates its candidate and registers it through the gate.
 */
export const PIPELINE_STEPS = [ingest, label, index, train, promote] as const;
export { demoPoolFile, seedDemoPool } from './demo.js';
export { openPipelineServices } from './services.js';
