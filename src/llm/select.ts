import type { Config } from '../core/config.js';
import { localLlmClient } from './local-llama.js';
import { type ChatClient, remoteTextLlmClient } from './openai-chat.js';

/**
 * The client for text tasks (selector discovery, LLM reranking, labeling): the OpenAI-compatible server when
 * `llm.url` is set, else the local model (`llm.local`, on by default) when its file is present, else undefined:
 * no LLM serves (textLlmStatus in local-llama.ts says why).
 */
export function textLlmClient(config: Config): ChatClient | undefined {
  return remoteTextLlmClient(config) ?? localLlmClient(config);
}

/** Whether `client` is the in-process local model (callers skip tasks it is too small or slow for). */
export function isLocalClient(client: ChatClient | undefined): boolean {
  return client?.baseUrl.startsWith('local:') ?? false;
}
