export { PipelineRunner, type RunnerOptions, type StartRequest } from './runner.js';
export { indexStep } from './steps/index-step.js';
export { MIN_LABELLED_FOR_TRAINING, trainStep } from './steps/train-step.js';
export { type LogLine, PipelineStore, type RunStatus, type RunView, type StepStatus, type StepView } from './store.js';
export type { LogLevel, PipelineServices, PipelineStep, StepContext } from './types.js';

import { ingestStep as ingest } from '../ingest/index.js';
import { labelStep as label } from '../labeling/index.js';
import { indexStep as index } from './steps/index-step.js';
import { trainStep as train } from './steps/train-step.js';

/** Every step this build can run, in the flow's order: a run with no step list runs them all. */
export const PIPELINE_STEPS = [ingest, label, index, train] as const;
export { demoPoolFile, seedDemoPool } from './demo.js';
export { openPipelineServices } from './services.js';
