export {
  DriftMonitor,
  type DriftMonitorOptions,
  type DriftReport,
  DriftTrigger,
  type DriftTriggerOptions,
  type FeatureDrift,
} from './monitor.js';
export { binOf, histogram, PSI_EPSILON, PSI_MODERATE, PSI_SIGNIFICANT, psi, quantileEdges, shares } from './psi.js';
export {
  buildReference,
  DRIFT_FEATURES,
  type DriftFeature,
  type DriftObservation,
  type DriftReference,
  loadReferenceFor,
  parseReference,
  REFERENCE_DIR,
  referenceFileFor,
  writeReference,
} from './reference.js';
