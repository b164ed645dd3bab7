export { toGbnfJsonSchema, UnsupportedSchemaError } from './gbnf-schema.js';
export {
  disposeLocalModels,
  LocalLlamaClient,
  type LocalLlamaOptions,
  localLlmClient,
  localModelPath,
  type TextLlmStatus,
  textLlmStatus,
} from './local-llama.js';
export {
  type ChatClient,
  type ChatCompletion,
  type ChatMessage,
  type ChatRequest,
  type ContentPart,
  type ImageUrlPart,
  imageDataUrl,
  imagePart,
  LlmResponseError,
  OpenAIChatClient,
  type OpenAIChatClientOptions,
  remoteTextLlmClient,
  type TextPart,
  textPart,
} from './openai-chat.js';
export { isLocalClient, textLlmClient } from './select.js';
export {
  answerJsonSchema,
  completeStructured,
  describeIssues,
  followUp,
  type Parsed,
  parseJsonAnswer,
  type StructuredOptions,
  StructuredOutputError,
  type StructuredResult,
} from './structured.js';
export {
  buildVlmMessages,
  scoresFromAnswer,
  VLM_SYSTEM_PROMPT,
  VlmAnalyzer,
  type VlmAnalyzerOptions,
  type VlmAnswer,
  type VlmExplanation,
  vlmAnswerSchema,
} from './vlm-analyzer.js';
