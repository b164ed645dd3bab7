export { BENCH_DOC, machineLine, writeSection } from './bench-report.js';
export { type ClassMetrics, classificationMetrics, logLoss, percentile } from './metrics.js';
