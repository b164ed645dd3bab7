export {
  advance,
  openQueue,
  type QueueSettings,
  queueSettings,
  type StepJob,
  stepJobId,
} from './jobs.js';
export { QueuedPipelineRunner } from './queue-runner.js';
export { PipelineWorker, type PipelineWorkerOptions, workerId } from './worker.js';
