export {
  CROSS_ENCODER_FILES,
  CROSS_ENCODER_MODEL_FILES,
  type CrossEncoderOptions,
  CrossEncoderReranker,
  truncateLongestFirst,
} from './cross-encoder.js';
export { cosine, EmbeddingReranker, type EmbeddingRerankerOptions } from './embedding.js';
export {
  buildRerankMessages,
  DEFAULT_LLM_DOC_CHARS,
  LLM_RERANK_SYSTEM_PROMPT,
  LlmReranker,
  type LlmRerankerOptions,
  MAX_RELEVANCE,
  type RelevanceAnswer,
  relevanceSchema,
  trimDocument,
} from './llm.js';
