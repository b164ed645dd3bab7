export {
  type CrawlerKind,
  type CrawlHooks,
  type CrawlOptions,
  type CrawlStart,
  crawl,
  type FetchedPage,
} from './crawl.js';
export { type CachedSelectors, type Extraction, type ExtractOptions, extractReviews } from './extract.js';
export { type GoldReview, type GoldScore, scoreAgainstGold } from './gold.js';
export {
  countsOf,
  type IngestDeps,
  type IngestRequest,
  type IngestSummary,
  type PageReport,
  runIngest,
} from './ingest.js';
export { discoverSelectorsWithLlm, llmSelectorSchema, trimHtml } from './llm-selectors.js';
export { type CrawlOutcome, crawlReward, domainOf, pickSources, type SourceStats, StrategyMemory } from './memory.js';
export { paginationLinks } from './pagination.js';
export { downloadPhoto, type PhotoLimits } from './photos.js';
export { type Proposal, proposeSources } from './proposals.js';
export { repeatedStructureReviews } from './repeated-structure.js';
export { applySelectors, selectorsMatch } from './selectors.js';
export { parseUrls, readSourcesFile, type SourceSpec } from './sources.js';
export { ingestStep } from './step.js';
export { jsonLdReviews, microdataReviews } from './structured-data.js';
export { findDate, parseRatingText } from './text.js';
export type { ExtractedReview, ExtractorName, PageExtraction, SelectorSet } from './types.js';
