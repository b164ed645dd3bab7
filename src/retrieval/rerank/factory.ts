import type { Config } from '../../core/config.js';
import { textLlmClient } from '../../llm/openai-chat.js';
import { UseLiteTextEncoder } from '../../models/use-encoder.js';
import type { Reranker } from '../types.js';
import { CrossEncoderReranker } from './cross-encoder.js';
import { EmbeddingReranker } from './embedding.js';
import { LlmReranker } from './llm.js';

/** The reranker `retrieval.rerank.kind` names, loaded; undefined for `none`. */
export async function createReranker(config: Config): Promise<Reranker | undefined> {
  const r = config.retrieval.rerank;
  switch (r.kind) {
    case 'none':
      return undefined;
    case 'embedding':
      return new EmbeddingReranker(await UseLiteTextEncoder.load(), { ownsEncoder: true });
    case 'cross-encoder':
      return CrossEncoderReranker.load({ dir: r.crossEncoderDir, threads: config.models.threads });
    case 'llm':
      // The config schema refuses rerank kind `llm` without `llm.url`, so there is a client.
      return new LlmReranker({ client: textLlmClient(config)! });
  }
}
