import { performance } from 'node:perf_hooks';
import { sha256 } from '../core/ids.js';
import type { AnalysisResult, AnalyzeInput, SimilarReview } from '../core/types.js';
import type { Cache } from '../storage/cache.js';
import type { Analysis, AnalysisVectors, SentimentAnalyzer } from './analyzer.js';

/** What the cache holds: the analysis, and the similar reviews found for it with when they were found. */
type CachedAnalysis = Analysis & { similar?: { reviews: SimilarReview[]; at: number } };

/** Finds reviews like the analyzed one (the search index); given the analyzer's vectors when it has them. */
export type SimilarFinder = (
  input: AnalyzeInput,
  vectors: AnalysisVectors | undefined,
  /** sha256 of the photo, as the cache key already has it (undefined without a photo). */
  imageSha: string | undefined,
) => Promise<SimilarReview[]>;

/**
 * Serves analyses: caches results by (sha256 of text, sha256 of photo, model version), so a cached
 * answer can never come from another model, and times every answer.
 */
export class AnalysisService {
  constructor(
    private analyzer: SentimentAnalyzer,
    private readonly cache: Cache<Analysis>,
    private readonly similar?: SimilarFinder,
    private readonly hooks: {
      cacheLookup?: (hit: boolean) => void;
      /** How long similar reviews kept with a cached analysis are reused (default 60 s; 0: always looked up). */
      similarTtlMs?: number;
      /**
       * Time budget of the similar-review search (ms; default 50; 0: no limit). Past it the analysis is
       * answered without similar reviews and with a warning; the search is not waited for.
       */
      similarTimeoutMs?: number;
      /** Told of every answer (fresh or cached) with its input: the drift monitor's feed (src/drift). */
      answered?: (input: AnalyzeInput, result: AnalysisResult) => void;
    } = {},
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
    const imageSha = input.image ? sha256(input.image) : undefined;
    const key = `analysis:${analyzer.model.name}@${analyzer.model.version}:${sha256(typeof input.text === 'string' ? input.text : '')}:${imageSha ?? '-'}`;
    const hit = await this.cache.get(key);
    this.hooks.cacheLookup?.(hit !== undefined);
    const result: CachedAnalysis = hit ?? (await analyzer.analyze(input));
    // Similar reviews are kept with the analysis for a short while only: the index changes more often than
    // the model. A failing index costs the answer its similar reviews, not the analysis: the reason is in `warnings`.
    let similar: SimilarReview[] = [];
    const warnings: string[] = [];
    const ttl = this.hooks.similarTtlMs ?? 60_000;
    const fresh = result.similar && Date.now() - result.similar.at < ttl ? result.similar.reviews : undefined;
    let store = !hit;
    if (fresh) {
      similar = fresh;
    } else if (this.similar) {
      try {
        similar = await withBudget(this.similar(input, result.vectors, imageSha), this.hooks.similarTimeoutMs ?? 50);
        if (ttl > 0) {
          result.similar = { reviews: similar, at: Date.now() };
          store = true;
        }
      } catch (e) {
        warnings.push(`similar reviews unavailable: ${(e as Error).message}`);
      }
    }
    if (store) await this.cache.set(key, result);
    const { vectors: _internal, similar: _kept, ...answer } = result;
    const out: AnalysisResult = {
      ...answer,
      similar_reviews: similar,
      ...(warnings.length > 0 ? { warnings } : {}),
      processing_time_ms: round(performance.now() - t0),
      cached: !!hit,
    };
    this.hooks.answered?.(input, out);
    return out;
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** `work`, or a rejection naming the budget once `ms` have passed (0: no limit); a late failure is swallowed. */
function withBudget<T>(work: Promise<T>, ms: number): Promise<T> {
  if (!(ms > 0)) return work;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`skipped, the search took longer than its ${ms} ms budget`)), ms);
  });
  work.catch(() => {});
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
