export {
  type Analysis,
  type AnalysisVectors,
  Analyzer,
  type AnalyzerLimits,
  checkText,
  type SentimentAnalyzer,
} from './analyzer.js';
export { AnalysisService, type SimilarFinder } from './service.js';
