import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import {
  AutoModelForSequenceClassification,
  AutoTokenizer,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  Tensor,
} from '@huggingface/transformers';
import { ModelAssetError } from '../../core/errors.js';
import type { Reranker } from '../types.js';

/** Files every cross-encoder directory must hold (the Hugging Face layout). */
export const CROSS_ENCODER_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;
/** The ONNX weights, in order of preference: full precision, then an int8 export. */
export const CROSS_ENCODER_MODEL_FILES = ['onnx/model.onnx', 'onnx/model_quantized.onnx'] as const;

const EXPECTED =
  `${CROSS_ENCODER_FILES.join(', ')} and ${CROSS_ENCODER_MODEL_FILES[0]} (or ${CROSS_ENCODER_MODEL_FILES[1]}), ` +
  'as in a Hugging Face cross-encoder exported to ONNX (e.g. cross-encoder/ms-marco-MiniLM-L-6-v2)';

/** Longest input used when neither the caller nor the tokenizer sets a lower one. */
const DEFAULT_MAX_LENGTH = 512;

export interface CrossEncoderOptions {
  /** The model directory (Hugging Face layout, see CROSS_ENCODER_FILES). Read locally, never downloaded. */
  dir: string;
  /** ONNX Runtime intra-op threads. */
  threads: number;
  /** Tokens per (query, document) pair, special tokens included; default min(512, the tokenizer's limit). */
  maxLength?: number;
  /** Pairs per forward pass (default 16). */
  batchSize?: number;
}

/** One tokenized pair, before padding. */
interface EncodedPair {
  ids: number[];
  typeIds: number[];
}

/** Checks the directory and picks the ONNX file; throws ModelAssetError naming what is missing. */
function checkModelDir(dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ModelAssetError(
      `cross-encoder directory ${dir} does not exist or is not a directory; expected ${EXPECTED}`,
    );
  }
  const missing: string[] = CROSS_ENCODER_FILES.filter((f) => !existsSync(join(dir, f)));
  const modelFile = CROSS_ENCODER_MODEL_FILES.find((f) => existsSync(join(dir, f)));
  if (!modelFile) missing.push(CROSS_ENCODER_MODEL_FILES.join(' or '));
  if (missing.length > 0 || !modelFile) {
    throw new ModelAssetError(
      `cross-encoder directory ${dir} is missing ${missing.map((f) => join(dir, f)).join(', ')}; expected ${EXPECTED}`,
    );
  }
  return modelFile;
}

/**
 * Truncates two token lists to `budget` tokens together, one token at a time from the longer one
 * (the second on a tie), as Hugging Face's `longest_first` strategy does.
 */
export function truncateLongestFirst<T>(first: readonly T[], second: readonly T[], budget: number): [T[], T[]] {
  let n1 = first.length;
  let n2 = second.length;
  while (n1 + n2 > budget) {
    if (n1 > n2) n1--;
    else n2--;
  }
  return [first.slice(0, n1), second.slice(0, n2)];
}

/** `[batch, seq]` int64 tensor from rows padded to the same length. */
function int64Tensor(rows: readonly number[][], width: number, pad: number): Tensor {
  const data = new BigInt64Array(rows.length * width).fill(BigInt(pad));
  rows.forEach((row, r) => {
    row.forEach((v, c) => {
      data[r * width + c] = BigInt(v);
    });
  });
  return new Tensor('int64', data, [rows.length, width]);
}

/** One relevance score per row: the logit (1 label) or relevant minus not relevant (2 labels). */
function scoresFromLogits(logits: Tensor, rows: number): number[] {
  const labels = logits.dims[1] ?? 1;
  const data = logits.data as Float32Array;
  if (logits.dims.length !== 2 || logits.dims[0] !== rows || (labels !== 1 && labels !== 2)) {
    throw new Error(`expected logits of shape [${rows}, 1] or [${rows}, 2], got [${logits.dims.join(', ')}]`);
  }
  return Array.from({ length: rows }, (_, i) =>
    labels === 1 ? (data[i] as number) : (data[2 * i + 1] as number) - (data[2 * i] as number),
  );
}

/**
 * Reranks with a cross-encoder (a BERT-style sequence classifier reading the query and a document
 * together, e.g. cross-encoder/ms-marco-MiniLM-L-6-v2) run by ONNX Runtime through
 * @huggingface/transformers, from a local directory only. Pairs are tokenized as `[CLS] query [SEP]
 * document [SEP]` (whatever the tokenizer's pair template says), truncated longest-first to `maxLength`
 * with the closing special tokens kept, and scored in batches.
 */
export class CrossEncoderReranker implements Reranker {
  readonly name: string;
  /** Tokens left for the query and the document once the pair's special tokens are counted. */
  private readonly textBudget: number;

  private constructor(
    /** The absolute model directory. */
    readonly dir: string,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    /** Tokens per pair, special tokens included. */
    readonly maxLength: number,
    private readonly batchSize: number,
  ) {
    this.name = `cross-encoder:${basename(dir)}`;
    this.textBudget = maxLength - this.withSpecials([], []).tokens.length;
    if (!(this.textBudget >= 2)) {
      throw new Error(`maxLength ${maxLength} leaves no room for the query and the document`);
    }
  }

  /** Loads the tokenizer and the ONNX model from `opts.dir`; throws ModelAssetError when it cannot. */
  static async load(opts: CrossEncoderOptions): Promise<CrossEncoderReranker> {
    const dir = resolve(opts.dir);
    const modelFile = checkModelDir(dir);
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    let model: PreTrainedModel | undefined;
    try {
      // An absolute path is never taken for a Hub model id: files are read from `dir` as they are.
      const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
      model = await AutoModelForSequenceClassification.from_pretrained(dir, {
        local_files_only: true,
        device: 'cpu',
        dtype: modelFile.endsWith('_quantized.onnx') ? 'q8' : 'fp32',
        use_external_data_format: existsSync(join(dir, `${modelFile}_data`)),
        session_options: { intraOpNumThreads: opts.threads, interOpNumThreads: 1 },
      });
      const limit = Math.min(DEFAULT_MAX_LENGTH, tokenizer.model_max_length);
      const reranker = new CrossEncoderReranker(dir, tokenizer, model, opts.maxLength ?? limit, opts.batchSize ?? 16);
      // One pair, so a model with the wrong outputs fails here rather than on the first query.
      await reranker.score('warm up', ['warm up']);
      return reranker;
    } catch (e) {
      await model?.dispose().catch(() => {});
      throw new ModelAssetError(`cross-encoder failed to load from ${dir} (${modelFile}): ${(e as Error).message}`, e);
    }
  }

  async score(query: string, documents: readonly string[]): Promise<number[]> {
    const queryTokens = this.tokenizer.tokenize(query);
    const pairs = documents.map((d) => this.encodePair(queryTokens, this.tokenizer.tokenize(d)));
    const scores: number[] = [];
    for (let s = 0; s < pairs.length; s += this.batchSize) {
      scores.push(...(await this.runBatch(pairs.slice(s, s + this.batchSize))));
    }
    return scores;
  }

  /**
   * The pair as the tokenizer's post-processor lays it out (e.g. `[CLS] a [SEP] b [SEP]`, types 0 and 1).
   * Truncation is done before this, on the texts' tokens: transformers.js's own truncation cuts the joined
   * pair's tail, closing `[SEP]` included, where Hugging Face's `longest_first` keeps it.
   */
  private withSpecials(a: string[], b: string[]): { tokens: string[]; token_type_ids?: number[] | undefined } {
    const post = this.tokenizer._tokenizer.post_processor;
    return post ? post.post_process(a, b, true) : { tokens: [...a, ...b] };
  }

  /** Truncation, special tokens and ids for one pair, with the token types the pair template gives. */
  private encodePair(query: string[], doc: string[]): EncodedPair {
    const [q, d] = truncateLongestFirst(query, doc, this.textBudget);
    const { tokens, token_type_ids } = this.withSpecials(q, d);
    const unk = this.tokenizer.unk_token_id;
    // A token missing from the vocabulary comes back undefined; it reads as the unknown token.
    const found = this.tokenizer.convert_tokens_to_ids(tokens) as Array<number | undefined>;
    const ids = found.map((id, i) => {
      const known = id ?? unk;
      if (known === undefined || known === null) throw new Error(`token "${tokens[i]}" has no id in the vocabulary`);
      return known;
    });
    return { ids, typeIds: token_type_ids ?? new Array<number>(ids.length).fill(0) };
  }

  /** Pads a batch, runs the model, and reads one score per pair. */
  private async runBatch(pairs: readonly EncodedPair[]): Promise<number[]> {
    const width = Math.max(...pairs.map((p) => p.ids.length));
    const inputs: Record<string, Tensor> = {
      input_ids: int64Tensor(
        pairs.map((p) => p.ids),
        width,
        this.tokenizer.pad_token_id ?? 0,
      ),
      attention_mask: int64Tensor(
        pairs.map((p) => p.ids.map(() => 1)),
        width,
        0,
      ),
    };
    // Tokenizers of models trained with segment ids (BERT) say so; RoBERTa-style models take none.
    if (this.tokenizer.return_token_type_ids) {
      inputs.token_type_ids = int64Tensor(
        pairs.map((p) => p.typeIds),
        width,
        0,
      );
    }
    const out = (await this.model(inputs)) as { logits?: Tensor };
    try {
      if (!(out.logits instanceof Tensor)) throw new Error('the model gave no `logits` output');
      return scoresFromLogits(out.logits, pairs.length);
    } finally {
      out.logits?.dispose();
      for (const t of Object.values(inputs)) t.dispose();
    }
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
