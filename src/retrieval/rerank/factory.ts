import type { Config } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import { textLlmStatus } from '../../llm/local-llama.js';
import { textLlmClient } from '../../llm/select.js';
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
    case 'llm': {
      // `llm.url`, else the local model (the config schema refuses kind `llm` when both are off).
      const client = textLlmClient(config);
      if (!client)
        throw new ConfigError(`retrieval.rerank.kind is 'llm' but no LLM serves: ${textLlmStatus(config).reason}`);
      return new LlmReranker({ client });
    }
  }
}
