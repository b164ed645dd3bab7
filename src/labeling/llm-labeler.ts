import { z } from 'zod';
import type { Config } from '../core/config.js';
import { SENTIMENTS } from '../core/types.js';
import {
  type ChatClient,
  type ChatMessage,
  completeStructured,
  localLlmClient,
  remoteTextLlmClient,
} from '../llm/index.js';
import type { Labeler, LabelerOutput, LabelInput } from './types.js';

/** The answer the LLM must give, validated before it counts. */
export const llmLabelSchema = z.object({
  label: z.enum(SENTIMENTS),
  confidence: z.number().min(0).max(1),
});

export const LLM_LABEL_SYSTEM =
  'You label the sentiment of customer reviews and short social-media posts. ' +
  'Answer with one JSON object only: {"label": "positive" | "negative" | "neutral", "confidence": number from 0 to 1}, ' +
  'where confidence is how likely your label is the one a careful human annotator would give.';

/** A few labelled examples shown before the review (few-shot); none gives a zero-shot prompt. */
export interface FewShot {
  text: string;
  label: (typeof SENTIMENTS)[number];
}

/** The messages sent for one review. */
export function llmLabelMessages(text: string, shots: readonly FewShot[] = []): ChatMessage[] {
  const msgs: ChatMessage[] = [{ role: 'system', content: LLM_LABEL_SYSTEM }];
  for (const s of shots) {
    msgs.push({ role: 'user', content: `Review: ${s.text}` });
    msgs.push({ role: 'assistant', content: JSON.stringify({ label: s.label, confidence: 0.9 }) });
  }
  msgs.push({ role: 'user', content: `Review: ${text}` });
  return msgs;
}

/**
 * An LLM as a labeler, through any OpenAI-compatible server (`llm.url`): zero- or few-shot, the answer
 * validated against `llmLabelSchema` (an invalid answer is asked again, see llm/structured.ts). Its
 * confidence is the model's own statement, not a probability: the ensemble's calibration maps it.
 */
export class LlmLabeler implements Labeler {
  readonly name = 'llm';

  constructor(
    private readonly client: ChatClient,
    private readonly opts: { shots?: FewShot[]; maxAttempts?: number } = {},
  ) {}

  /**
   * The LLM labeler for `config.llm`: the server at `llm.url`; else the local model only when
   * `labeling.useLocalLlm` (off by default, see there); else undefined.
   */
  static fromConfig(config: Config, shots: FewShot[] = []): LlmLabeler | undefined {
    const client = remoteTextLlmClient(config) ?? (config.labeling.useLocalLlm ? localLlmClient(config) : undefined);
    return client && new LlmLabeler(client, { shots, maxAttempts: config.llm.maxAttempts });
  }

  async label(input: LabelInput): Promise<LabelerOutput> {
    const { value } = await completeStructured({
      client: this.client,
      messages: llmLabelMessages(input.text, this.opts.shots),
      schema: llmLabelSchema,
      what: 'sentiment label',
      temperature: 0,
      maxTokens: 60,
      ...(this.opts.maxAttempts ? { maxAttempts: this.opts.maxAttempts } : {}),
    });
    // A stated confidence c for the label; the rest shared by the other two classes.
    const rest = (1 - value.confidence) / 2;
    const probs = { negative: rest, neutral: rest, positive: rest };
    probs[value.label] = value.confidence;
    return { label: value.label, confidence: value.confidence, probs };
  }
}
