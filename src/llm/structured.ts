import { z } from 'zod';
import { AppError } from '../core/errors.js';
import type { ChatClient, ChatMessage } from './openai-chat.js';

/**
 * Structured output from a chat model: ask for JSON, parse it, validate it against a zod schema, and
 * when the answer is not valid JSON or does not match, ask again with a follow-up that quotes what was
 * wrong. Generic (schema in, typed value out), so every LLM caller (the VLM analyzer, labelers, ...)
 * shares one retry policy and one error.
 */

export interface StructuredOptions<T> {
  client: ChatClient;
  /** The conversation so far; the last message is the request for JSON. Not modified. */
  messages: ChatMessage[];
  schema: z.ZodType<T>;
  /** Answers asked for in all, the first included (default 3). */
  maxAttempts?: number;
  /** What is asked for, in a few words, for error messages (default `a JSON answer`). */
  what?: string;
  temperature?: number;
  maxTokens?: number;
  /** Ask the server for JSON mode (`response_format: json_object`); default true. */
  json?: boolean;
  /** Sampling seed (each retry uses seed + attempt - 1), where the client supports one. */
  seed?: number;
}

export interface StructuredResult<T> {
  value: T;
  /** Answers it took (1 when the first was valid). */
  attempts: number;
  /** The raw text of the valid answer. */
  raw: string;
}

/** The model gave no valid answer in the attempts allowed. */
export class StructuredOutputError extends AppError {
  constructor(
    message: string,
    readonly attempts: number,
    /** What was wrong with each answer, in order. */
    readonly problems: string[],
    /** The text of the last answer. */
    readonly lastOutput: string,
  ) {
    super(message, { statusCode: 502, code: 'invalid_model_output' });
  }
}

/** A model's text read as JSON: the value, or what is wrong with it. */
export type Parsed = { ok: true; value: unknown } | { ok: false; problem: string };

/**
 * Parses a model's answer as JSON, tolerating what chat models add around it: a Markdown code fence,
 * or prose before and after one object.
 */
export function parseJsonAnswer(text: string): Parsed {
  const t = text.trim();
  if (t === '') return { ok: false, problem: 'the answer was empty, not JSON' };
  const candidates = [t];
  const fence = /```(?:json)?\s*([\s\S]*?)```/i.exec(t);
  if (fence?.[1]) candidates.push(fence[1].trim());
  const first = t.indexOf('{');
  const last = t.lastIndexOf('}');
  if (first >= 0 && last > first) candidates.push(t.slice(first, last + 1));
  let firstError = '';
  for (const c of candidates) {
    try {
      return { ok: true, value: JSON.parse(c) };
    } catch (e) {
      if (!firstError) firstError = (e as Error).message;
    }
  }
  return { ok: false, problem: `the answer is not valid JSON (${firstError})` };
}

/** Zod issues as one line: `path: message; path: message`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`).join('; ');
}

function quote(s: string, n = 400): string {
  return s.length > n ? `${s.slice(0, n)}...` : s;
}

/**
 * The zod schema as JSON Schema (draft 2020-12, `z.toJSONSchema`), for clients that constrain decoding with it
 * (the local LLM's grammar); undefined when the schema cannot be written as one (transforms and the like).
 */
export function answerJsonSchema(schema: z.ZodType): Record<string, unknown> | undefined {
  try {
    return z.toJSONSchema(schema, { unrepresentable: 'throw' }) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The follow-up sent after an invalid answer: it quotes the problem and asks for JSON only. */
export function followUp(problem: string): string {
  return (
    `Your previous answer was not valid: ${problem}. ` +
    'Answer again with only the JSON object in the requested format, and no other text.'
  );
}

/**
 * Asks `client` until it answers JSON that `schema` accepts, at most `maxAttempts` times; each retry
 * adds the invalid answer and a follow-up quoting the problem to the conversation. Transport errors
 * (the server down, timeouts) are the client's to retry and are thrown as they are.
 */
export async function completeStructured<T>(opts: StructuredOptions<T>): Promise<StructuredResult<T>> {
  const maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? 3));
  const what = opts.what ?? 'a JSON answer';
  const messages: ChatMessage[] = [...opts.messages];
  const problems: string[] = [];
  let lastOutput = '';
  const jsonSchema = (opts.json ?? true) ? answerJsonSchema(opts.schema) : undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const res = await opts.client.complete({
      messages,
      json: opts.json ?? true,
      ...(jsonSchema ? { jsonSchema } : {}),
      ...(opts.seed === undefined ? {} : { seed: opts.seed + attempt - 1 }),
      ...(opts.temperature === undefined ? {} : { temperature: opts.temperature }),
      ...(opts.maxTokens === undefined ? {} : { maxTokens: opts.maxTokens }),
    });
    lastOutput = res.content;
    const parsed = parseJsonAnswer(res.content);
    let problem: string;
    if (parsed.ok) {
      const checked = opts.schema.safeParse(parsed.value);
      if (checked.success) return { value: checked.data, attempts: attempt, raw: res.content };
      problem = `it does not match the required format (${describeIssues(checked.error)})`;
    } else {
      problem = parsed.problem;
    }
    problems.push(problem);
    messages.push({ role: 'assistant', content: res.content }, { role: 'user', content: followUp(problem) });
  }
  throw new StructuredOutputError(
    `model ${opts.client.model} at ${opts.client.baseUrl} gave no valid ${what} in ${maxAttempts} attempt${maxAttempts === 1 ? '' : 's'}; ` +
      `last problem: ${problems[problems.length - 1]}; last answer: ${JSON.stringify(quote(lastOutput))}`,
    maxAttempts,
    problems,
    lastOutput,
  );
}
