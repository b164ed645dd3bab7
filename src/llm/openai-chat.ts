import type { Config } from '../core/config.js';
import { AppError, UnavailableError } from '../core/errors.js';
import { heicToJpeg, isHeicType } from '../media/index.js';
import { checkImageBytes, type ImageLimits } from '../models/image-input.js';

/**
 * A small client for OpenAI-compatible chat completions (`POST {baseUrl}/chat/completions`), as vLLM,
 * Ollama (`/v1`), llama.cpp's server and hosted APIs speak it, with image input as `image_url` parts
 * holding `data:` URLs. Global fetch, a timeout per call, bounded retries with backoff, typed errors.
 */

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImageUrlPart {
  type: 'image_url';
  image_url: { url: string };
}

export type ContentPart = TextPart | ImageUrlPart;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

export interface ChatRequest {
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  /** Ask the server for a JSON object (`response_format: { type: 'json_object' }`). */
  json?: boolean;
  /**
   * The JSON Schema the answer must match, when the caller has one (completeStructured sends its zod schema's).
   * The local LLM turns it into a grammar that constrains decoding; the HTTP client keeps `json_object` mode.
   */
  jsonSchema?: Record<string, unknown>;
  /** Sampling seed, for reproducible sampling where the backend supports it (the local LLM does). */
  seed?: number;
}

export interface ChatCompletion {
  /** The first choice's message text. */
  content: string;
  /** The model the server says answered. */
  model: string;
  finishReason: string | null;
  /** HTTP attempts this call took (1 when the first one succeeded). */
  attempts: number;
}

/** Anything that completes a chat: the HTTP client below, the local LLM (local-llama.ts), or a stand-in. */
export interface ChatClient {
  /** Where it runs: the server's base URL, or `local:` for the in-process model. */
  readonly baseUrl: string;
  readonly model: string;
  complete(req: ChatRequest): Promise<ChatCompletion>;
}

export interface OpenAIChatClientOptions {
  /** Base URL up to and including the API version, e.g. `http://127.0.0.1:8000/v1`. */
  baseUrl: string;
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>` when not empty. */
  apiKey?: string;
  /** Time allowed for one HTTP attempt, the answer's body included (default 60 s). */
  timeoutMs?: number;
  /** Attempts per call; network errors, timeouts, 429 and 5xx answers are retried (default 3). */
  maxAttempts?: number;
  /** First backoff delay; it doubles on each retry, with jitter, up to 8 s (default 500 ms). */
  retryBaseMs?: number;
}

/** The server answered, but not with something usable: a 4xx, or a body that is not a chat completion. */
export class LlmResponseError extends AppError {
  /** The HTTP status the LLM server answered, when it answered. */
  readonly upstreamStatus: number | undefined;

  constructor(message: string, upstreamStatus?: number, cause?: unknown) {
    super(message, { statusCode: 502, code: 'bad_upstream_response', cause });
    this.upstreamStatus = upstreamStatus;
  }
}

/** A retryable failure of one attempt: the message says what happened. */
class TransientFailure extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Why fetch failed, as specifically as Node says (`ECONNREFUSED`, `ENOTFOUND`, ...). */
function networkReason(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code)
    return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` (${cause.message})` : ''}`;
  if (cause?.message) return cause.message;
  return (e as Error).message ?? String(e);
}

function excerpt(s: string, n = 300): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n)}...` : t;
}

function retryAfter(res: Response): number | undefined {
  const v = res.headers.get('retry-after');
  if (!v) return undefined;
  const s = Number(v);
  return Number.isFinite(s) && s >= 0 ? Math.min(s * 1000, 30_000) : undefined;
}

/** Reads a chat-completions body: `choices[0].message.content` as a string (or text parts, joined). */
function readCompletion(body: unknown, url: string): Omit<ChatCompletion, 'attempts'> {
  const b = body as {
    model?: unknown;
    choices?: Array<{ message?: { content?: unknown }; finish_reason?: unknown }>;
  };
  const choice = Array.isArray(b?.choices) ? b.choices[0] : undefined;
  const raw = choice?.message?.content;
  let content: string | undefined;
  if (typeof raw === 'string') content = raw;
  else if (Array.isArray(raw)) {
    content = raw
      .map((p) => (p && typeof p === 'object' && typeof (p as TextPart).text === 'string' ? (p as TextPart).text : ''))
      .join('');
  }
  if (content === undefined) {
    throw new LlmResponseError(
      `the LLM server at ${url} answered 200 without choices[0].message.content: ${excerpt(JSON.stringify(body))}`,
      200,
    );
  }
  return {
    content,
    model: typeof b.model === 'string' ? b.model : '',
    finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : null,
  };
}

export class OpenAIChatClient implements ChatClient {
  readonly baseUrl: string;
  readonly model: string;
  /** The full endpoint URL, named in every error. */
  readonly url: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;

  constructor(opts: OpenAIChatClientOptions) {
    let base: URL;
    try {
      base = new URL(opts.baseUrl);
    } catch {
      throw new TypeError(`not a URL: "${opts.baseUrl}"`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError(`not an http(s) URL: "${opts.baseUrl}"`);
    }
    if (base.username || base.password) {
      throw new TypeError(`the LLM server URL must not hold user:password (give a key as apiKey): ${base.host}`);
    }
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.url = `${this.baseUrl}/chat/completions`;
    this.model = opts.model;
    this.apiKey = opts.apiKey ?? '';
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? 3));
    this.retryBaseMs = opts.retryBaseMs ?? 500;
  }

  async complete(req: ChatRequest): Promise<ChatCompletion> {
    const body = JSON.stringify({
      model: this.model,
      messages: req.messages,
      ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
      ...(req.maxTokens === undefined ? {} : { max_tokens: req.maxTokens }),
      ...(req.json ? { response_format: { type: 'json_object' } } : {}),
      stream: false,
    });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;

    let last: TransientFailure | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) {
        const backoff = Math.min(this.retryBaseMs * 2 ** (attempt - 2), 8_000);
        await sleep(Math.max(last?.retryAfterMs ?? 0, backoff * (0.75 + Math.random() * 0.5)));
      }
      try {
        return { ...(await this.attempt(body, headers)), attempts: attempt };
      } catch (e) {
        if (!(e instanceof TransientFailure)) throw e;
        last = e;
      }
    }
    const tries = this.maxAttempts === 1 ? '1 attempt' : `${this.maxAttempts} attempts`;
    throw new UnavailableError(`the LLM server at ${this.url} is unavailable: ${last?.message} (${tries})`, last);
  }

  /** One HTTP call; throws TransientFailure for what is worth retrying, LlmResponseError for the rest. */
  private async attempt(body: string, headers: Record<string, string>): Promise<Omit<ChatCompletion, 'attempts'>> {
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort();
    }, this.timeoutMs);
    try {
      let res: Response;
      let text: string;
      try {
        res = await fetch(this.url, { method: 'POST', headers, body, signal: ctrl.signal });
        text = await res.text();
      } catch (e) {
        if (timedOut) throw new TransientFailure(`no complete answer within ${this.timeoutMs} ms (timed out)`);
        throw new TransientFailure(`connection failed: ${networkReason(e)}`, undefined, e);
      }
      if (res.status === 429 || res.status >= 500) {
        throw new TransientFailure(`HTTP ${res.status} ${excerpt(text, 200)}`.trim(), retryAfter(res));
      }
      if (!res.ok) {
        const hint =
          res.status === 401 || res.status === 403
            ? ' (check vlm.apiKey)'
            : res.status === 404
              ? ' (check vlm.url, which should end with the API version such as /v1, and vlm.model)'
              : '';
        throw new LlmResponseError(
          `the LLM server at ${this.url} refused the request with HTTP ${res.status}${hint}: ${excerpt(text)}`,
          res.status,
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        throw new LlmResponseError(
          `the LLM server at ${this.url} answered HTTP ${res.status} with a body that is not JSON: ${excerpt(text)}`,
          res.status,
          e,
        );
      }
      return readCompletion(parsed, this.url);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A text part of a message. */
export function textPart(text: string): TextPart {
  return { type: 'text', text };
}

/** An image part holding a `data:` URL. */
export function imagePart(dataUrl: string): ImageUrlPart {
  return { type: 'image_url', image_url: { url: dataUrl } };
}

/**
 * The photo's bytes as a `data:<mime>;base64,...` URL, the mime judged from the magic bytes (with the
 * same size and type checks as every photo the analyzer accepts). A HEIC/HEIF photo is sent as a JPEG
 * (vision servers rarely read HEIC).
 */
export async function imageDataUrl(bytes: Uint8Array, limits: ImageLimits, field = 'image'): Promise<string> {
  const mime = await checkImageBytes(bytes, limits, field);
  if (isHeicType(mime)) {
    const jpeg = await heicToJpeg(bytes, { maxPixels: limits.maxImagePixels, field });
    return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
  }
  return `data:${mime};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}

/**
 * The OpenAI-compatible client `llm.*` describes, or undefined when `llm.url` is empty. Most callers want
 * `textLlmClient` (src/llm/select.ts), which falls back to the local model.
 */
export function remoteTextLlmClient(config: Config): OpenAIChatClient | undefined {
  if (config.llm.url === '') return undefined;
  return new OpenAIChatClient({
    baseUrl: config.llm.url,
    model: config.llm.model,
    apiKey: config.llm.apiKey,
    timeoutMs: config.llm.timeoutMs,
    maxAttempts: config.llm.maxAttempts,
  });
}
