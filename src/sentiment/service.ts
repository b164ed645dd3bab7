import { performance } from 'node:perf_hooks';
import { sha256 } from '../core/ids.js';
import type { AnalysisResult, AnalyzeInput } from '../core/types.js';
import type { Cache } from '../storage/cache.js';
import type { Analysis, SentimentAnalyzer } from './analyzer.js';

/**
 * Serves analyses: caches results by (sha256 of text, sha256 of photo, model version), so a cached
 * answer can never come from another model, and times every answer.
 */
export class AnalysisService {
  constructor(
    private analyzer: SentimentAnalyzer,
    private readonly cache: Cache<Analysis>,
  ) {}

  get model() {
    return this.analyzer.model;
  }

  /** Swaps in another analyzer (a newly promoted model); answers cached for the old one no longer match. */
  swap(analyzer: SentimentAnalyzer): void {
    this.analyzer = analyzer;
  }

  async analyze(input: AnalyzeInput): Promise<AnalysisResult> {
    const t0 = performance.now();
    const analyzer = this.analyzer;
    const key = `analysis:${analyzer.model.name}@${analyzer.model.version}:${sha256(typeof input.text === 'string' ? input.text : '')}:${input.image ? sha256(input.image) : '-'}`;
    const hit = await this.cache.get(key);
    if (hit) return { ...hit, similar_reviews: [], processing_time_ms: round(performance.now() - t0), cached: true };
    const result = await analyzer.analyze(input);
    await this.cache.set(key, result);
    return { ...result, similar_reviews: [], processing_time_ms: round(performance.now() - t0), cached: false };
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
