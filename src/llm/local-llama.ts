import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type {
  ChatHistoryItem,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
} from 'node-llama-cpp';
import type { Config } from '../core/config.js';
import { UnavailableError } from '../core/errors.js';
import { assetSpec, LOCAL_LLM_ASSET } from '../models/asset-manifest.js';
import { toGbnfJsonSchema, UnsupportedSchemaError } from './gbnf-schema.js';
import { type ChatClient, type ChatCompletion, type ChatRequest, LlmResponseError } from './openai-chat.js';

/**
 * The local LLM: a GGUF chat model (by default the pinned TinyLlama-1.1B-Chat IQ2_XXS asset) run in-process on the
 * CPU by node-llama-cpp 3.21.1 (llama.cpp's prebuilt CPU binaries from its npm optional dependencies; `gpu: false`,
 * `build: 'never'`, so nothing is compiled or downloaded at run time). Same `ChatClient` interface as the HTTP client.
 *
 * - Loaded lazily on the first `complete()`; one model per process (a module-level cache keyed by the file), one
 *   context per thread count, one sequence: calls are answered one at a time in arrival order.
 * - Structured output: `ChatRequest.jsonSchema` becomes a GBNF grammar (node-llama-cpp's JSON-schema grammar, via
 *   gbnf-schema.ts) and `json` alone the generic JSON grammar, so the answer is JSON by construction unless cut by
 *   `maxTokens`; completeStructured's zod validation and retries apply on top.
 * - `timeoutMs` covers waiting in line and answering; at it the call fails with UnavailableError (a labeler,
 *   ingest or pipeline step records it and goes on). A model file that does not load fails every call the same
 *   way, with llama.cpp's reason, without trying to load again.
 * - Text only: a message with an image part is refused (LlmResponseError), never silently dropped.
 */

export interface LocalLlamaOptions {
  /** Path of the GGUF file. */
  modelPath: string;
  /** llama.cpp threads for this client's context (explicit: node-llama-cpp's default of 4 thrashes 2 cores). */
  threads: number;
  /** Context window in tokens (default 2048). */
  contextSize?: number;
  /** Time allowed for one call, waiting included (default 60 s). */
  timeoutMs?: number;
  /** Name reported as `model` (default: the file name without `.gguf`). */
  modelName?: string;
}

interface Slot {
  context: LlamaContext;
  sequence: LlamaContextSequence;
  /** Tail of the call queue on this sequence. */
  tail: Promise<unknown>;
}

interface Runtime {
  llama: Llama;
  model: LlamaModel;
  slots: Map<string, Promise<Slot>>;
  grammars: Map<string, Promise<LlamaGrammar>>;
}

/** Process-wide: one loaded model per file (a failed load is remembered, not retried). */
const runtimes = new Map<string, Promise<Runtime>>();

async function loadRuntime(modelPath: string): Promise<Runtime> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({
    gpu: false,
    build: 'never',
    skipDownload: true,
    usePrebuiltBinaries: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
    // No thread pool larger than the machine; each context still sets its own count.
    maxThreads: 0,
  });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0, useMmap: true });
  return { llama, model, slots: new Map(), grammars: new Map() };
}

function runtimeFor(modelPath: string): Promise<Runtime> {
  let rt = runtimes.get(modelPath);
  if (!rt) {
    rt = loadRuntime(modelPath);
    runtimes.set(modelPath, rt);
  }
  return rt;
}

/** Whether this process has loaded (or is loading) the model at `modelPath`. */
export function localModelLoaded(modelPath: string): boolean {
  return runtimes.has(modelPath);
}

/** Unloads every local model of this process (tests, benches, shutdown). */
export async function disposeLocalModels(): Promise<void> {
  const all = [...runtimes.values()];
  runtimes.clear();
  for (const p of all) {
    try {
      const rt = await p;
      await rt.model.dispose();
      await rt.llama.dispose();
    } catch {
      // A model that never loaded has nothing to free.
    }
  }
}

function textOf(content: ChatRequest['messages'][number]['content']): string {
  if (typeof content === 'string') return content;
  if (content.some((p) => p.type !== 'text')) {
    throw new LlmResponseError('the local LLM reads text only; this request holds an image part (configure vlm.url)');
  }
  return content.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

/** The conversation as node-llama-cpp chat history plus the final user prompt. */
export function toChatHistory(messages: ChatRequest['messages']): { history: ChatHistoryItem[]; prompt: string } {
  const last = messages[messages.length - 1];
  if (last?.role !== 'user') {
    throw new LlmResponseError('the local LLM needs a conversation that ends with a user message');
  }
  const system = messages
    .filter((m) => m.role === 'system')
    .map((m) => textOf(m.content))
    .join('\n\n');
  const history: ChatHistoryItem[] = system ? [{ type: 'system', text: system }] : [];
  for (const m of messages.slice(0, -1)) {
    if (m.role === 'user') history.push({ type: 'user', text: textOf(m.content) });
    else if (m.role === 'assistant') history.push({ type: 'model', response: [textOf(m.content)] });
  }
  return { history, prompt: textOf(last.content) };
}

export class LocalLlamaClient implements ChatClient {
  readonly baseUrl = 'local:node-llama-cpp';
  readonly model: string;
  readonly modelPath: string;
  readonly threads: number;
  readonly contextSize: number;
  private readonly timeoutMs: number;

  constructor(opts: LocalLlamaOptions) {
    if (!Number.isInteger(opts.threads) || opts.threads < 1) throw new TypeError('threads must be a whole number >= 1');
    this.modelPath = opts.modelPath;
    this.threads = opts.threads;
    this.contextSize = opts.contextSize ?? 2048;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.model = opts.modelName ?? basename(opts.modelPath).replace(/\.gguf$/i, '');
  }

  /** Loads the model and creates this client's context now instead of on the first call. */
  async warmUp(): Promise<void> {
    await this.slot();
  }

  /** Number of tokens of `text` in the model's vocabulary (benches count generated tokens with it). */
  async countTokens(text: string): Promise<number> {
    const rt = await this.runtime();
    return rt.model.tokenize(text).length;
  }

  private async runtime(): Promise<Runtime> {
    try {
      return await runtimeFor(this.modelPath);
    } catch (e) {
      throw new UnavailableError(
        `the local LLM could not load ${this.modelPath}: ${(e as Error).message} ` +
          '(check `reviewlens models assets`; set llm.local.enabled=false to turn it off)',
        e,
      );
    }
  }

  private async slot(): Promise<Slot> {
    const rt = await this.runtime();
    const key = `${this.threads}/${this.contextSize}`;
    let s = rt.slots.get(key);
    if (!s) {
      s = (async () => {
        const context = await rt.model.createContext({
          contextSize: this.contextSize,
          threads: this.threads,
          batchSize: 512,
          sequences: 1,
        });
        return { context, sequence: context.getSequence(), tail: Promise.resolve() };
      })();
      rt.slots.set(key, s);
    }
    return s;
  }

  private async grammar(rt: Runtime, req: ChatRequest): Promise<LlamaGrammar | undefined> {
    if (!req.json && !req.jsonSchema) return undefined;
    let gbnf: Record<string, unknown> | undefined;
    if (req.jsonSchema) {
      try {
        gbnf = toGbnfJsonSchema(req.jsonSchema);
      } catch (e) {
        if (!(e instanceof UnsupportedSchemaError)) throw e;
      }
    }
    const key = gbnf ? JSON.stringify(gbnf) : 'json';
    let g = rt.grammars.get(key);
    if (!g) {
      // biome-ignore lint/suspicious/noExplicitAny: the converted schema is checked at run time by node-llama-cpp.
      g = gbnf ? rt.llama.createGrammarForJsonSchema(gbnf as any) : rt.llama.getGrammarFor('json');
      rt.grammars.set(key, g);
    }
    return g;
  }

  async complete(req: ChatRequest): Promise<ChatCompletion> {
    const { history, prompt } = toChatHistory(req.messages);
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort();
    }, this.timeoutMs);
    const timeout = () =>
      new UnavailableError(`the local LLM (${this.model}) gave no answer within ${this.timeoutMs} ms (timed out)`);
    try {
      const slot = await this.slot();
      const rt = await this.runtime();
      const grammar = await this.grammar(rt, req);
      const run = slot.tail.then(async () => {
        if (timedOut) throw timeout();
        const { LlamaChatSession } = await import('node-llama-cpp');
        const session = new LlamaChatSession({ contextSequence: slot.sequence, autoDisposeSequence: false });
        try {
          session.setChatHistory(history);
          return await session.promptWithMeta(prompt, {
            ...(grammar ? { grammar } : {}),
            maxTokens: req.maxTokens ?? 256,
            temperature: req.temperature ?? 0,
            ...(req.seed === undefined ? {} : { seed: req.seed }),
            signal: ctrl.signal,
            stopOnAbortSignal: false,
          });
        } finally {
          session.dispose({ disposeSequence: false });
        }
      });
      slot.tail = run.catch(() => {});
      // The caller hears of the timeout at once, even while llama.cpp finishes a batch it cannot interrupt (the
      // queue still waits for it).
      const deadline = new Promise<never>((_, reject) => {
        ctrl.signal.addEventListener('abort', () => reject(timeout()), { once: true });
      });
      deadline.catch(() => {});
      if (ctrl.signal.aborted) throw timeout();
      let res: Awaited<typeof run>;
      try {
        res = await Promise.race([run, deadline]);
      } catch (e) {
        if (timedOut) throw timeout();
        throw e;
      }
      return {
        content: res.responseText,
        model: this.model,
        finishReason: res.stopReason === 'maxTokens' ? 'length' : 'stop',
        attempts: 1,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The GGUF file the configuration names: `llm.local.modelFile`, else the pinned TinyLlama asset. */
export function localModelPath(config: Config): string {
  if (config.llm.local.modelFile) return config.llm.local.modelFile;
  const spec = assetSpec(LOCAL_LLM_ASSET);
  return join(config.models.dir, spec.name, spec.files[0]?.path ?? '');
}

/** What serves text tasks, as `/api/health` and the CLI report it. */
export interface TextLlmStatus {
  provider: 'openai-compatible' | 'local' | 'none';
  model: string;
  /** Base URL, or the local model file. */
  where: string;
  /** Local only: whether this process has loaded the model yet (it loads on first use). */
  loaded?: boolean;
  threads?: number;
  /** Why there is none, when provider is `none`. */
  reason?: string;
}

/**
 * Which LLM the configuration gives for text tasks: the OpenAI-compatible server when `llm.url` is set; else the
 * local model when `llm.local.enabled` and its file is there (checked by existence and, for the pinned asset,
 * size; the sha256 is checked by `reviewlens models assets`); else none, with the reason.
 */
export function textLlmStatus(config: Config): TextLlmStatus {
  if (config.llm.url !== '') return { provider: 'openai-compatible', model: config.llm.model, where: config.llm.url };
  if (!config.llm.local.enabled) {
    return { provider: 'none', model: '', where: '', reason: 'llm.url is empty and the local LLM is off' };
  }
  const path = localModelPath(config);
  const pinned = config.llm.local.modelFile === '' ? assetSpec(LOCAL_LLM_ASSET).files[0]?.bytes : undefined;
  let ok = false;
  try {
    ok = existsSync(path) && (pinned === undefined || statSync(path).size === pinned);
  } catch {
    ok = false;
  }
  if (!ok) {
    return {
      provider: 'none',
      model: '',
      where: path,
      reason: "the local LLM's model file is missing or incomplete; run `reviewlens models fetch`",
    };
  }
  return {
    provider: 'local',
    model: basename(path).replace(/\.gguf$/i, ''),
    where: path,
    loaded: localModelLoaded(path),
    threads: config.llm.local.threads,
  };
}

/** The local LLM client for `config`, or undefined when textLlmStatus says the local model does not serve. */
export function localLlmClient(config: Config): LocalLlamaClient | undefined {
  const st = textLlmStatus(config);
  if (st.provider !== 'local') return undefined;
  return new LocalLlamaClient({
    modelPath: st.where,
    threads: config.llm.local.threads,
    contextSize: config.llm.local.contextSize,
    timeoutMs: config.llm.timeoutMs,
  });
}
