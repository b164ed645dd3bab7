export { ASPECTS, aspectsOf, loadSourceReviews, poolFor, sentences, sentimentOfRating } from './corpus.js';
export { Deduper, jaccard, normalise, trigrams } from './dedup.js';
export { LlmGenerator, synthMessages } from './llm-generator.js';
export { RecombineGenerator, SWAPS, swapWords } from './recombine.js';
export { checkRequest, type SynthRunOptions, type SynthSummary, synthesize } from './run.js';
export {
  type GeneratorName,
  LENGTH_WORDS,
  type SentimentJudge,
  type SourceReview,
  type SynthCandidate,
  type SyntheticReview,
  type SynthGenerator,
  type SynthLength,
  type SynthRequest,
} from './types.js';
