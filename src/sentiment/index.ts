export { type Analysis, Analyzer, type AnalyzerLimits, checkText } from './analyzer.js';
export { AnalysisService } from './service.js';
