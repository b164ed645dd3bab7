export { type Analysis, Analyzer, type AnalyzerLimits, checkText, type SentimentAnalyzer } from './analyzer.js';
export { AnalysisService } from './service.js';
