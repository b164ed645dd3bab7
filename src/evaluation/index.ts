export {
  BEHAVIOUR_SUITE,
  type BehaviourCase,
  type BehaviourResult,
  CAPABILITIES,
  type Capability,
  type CapabilityResult,
  loadBehaviourSuite,
  runBehaviourSuite,
} from './behaviour.js';
export { BENCH_DOC, machineLine, stopServer, waitForServer, writeSection } from './bench-report.js';
export {
  bootstrapMacroF1,
  bootstrapMean,
  expectedCalibrationError,
  type Interval,
  pairedBootstrapDiff,
  pairedMeanDiff,
} from './bootstrap.js';
export { type ClassMetrics, classificationMetrics, logLoss, percentile } from './metrics.js';
