/**
 * Writes a tiny but complete cross-encoder directory in the Hugging Face layout (`config.json`,
 * `tokenizer.json`, `tokenizer_config.json`, `onnx/model.onnx`), so the cross-encoder reranker can be
 * tested end to end without downloading a model.
 *
 * The model is a real ONNX graph (opset 13) with BERT's inputs (`input_ids`, `attention_mask`,
 * `token_type_ids`, int64 [batch, seq]) and BERT's output (`logits`, float [batch, labels]):
 *
 *   logits[b, l] = sum over s of
 *     attention_mask[b, s] * tokenWeight(input_ids[b, s], l) * SEGMENT_FACTOR[token_type_ids[b, s]]
 *
 * so a pair's score is a known function of its tokens and segments. Every value involved is a small
 * multiple of 1/8, exact in float32. `[PAD]` weighs 1000, so a padding position that is not masked out
 * shows at once; the second segment counts 64 times the first, so wrong token types show too.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** The vocabulary, in id order: BERT's special tokens, a few dozen words, and WordPiece continuations. */
export const TINY_VOCAB: readonly string[] = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
  'the',
  'a',
  'it',
  'is',
  'was',
  'and',
  'not',
  'very',
  'after',
  'two',
  'days',
  'phone',
  'screen',
  'batter',
  '##y',
  'life',
  'died',
  'great',
  'good',
  'bad',
  'cracked',
  'works',
  'fine',
  'fast',
  'slow',
  'delivery',
  'shipping',
  'price',
  'cheap',
  'colour',
  'dress',
  'size',
  'small',
  'love',
  'hate',
  'return',
  'refund',
  'box',
  'charger',
  'cable',
  '##s',
  ',',
  '.',
  '!',
  '?',
];

/** What one position of each segment (token type 0 and 1) is multiplied by. */
export const SEGMENT_FACTOR = [1, 64] as const;

/** Weight of `[PAD]`: large, so an unmasked padding position changes the score visibly. */
const PAD_WEIGHT = 1000;

function tokenId(token: string): number {
  const id = TINY_VOCAB.indexOf(token);
  if (id < 0) throw new Error(`"${token}" is not in the tiny vocabulary`);
  return id;
}

/** The label-`label` weight of token `id` in the model's table (labels 0 and 1 differ, for 2-label models). */
export function tokenWeight(id: number, label = 0): number {
  if (id === 0) return PAD_WEIGHT;
  return label === 0 ? (id + 1) / 8 : (TINY_VOCAB.length - id) / 8;
}

/**
 * The logits the model gives the pair laid out as `[CLS] first [SEP] second [SEP]` (first segment
 * type 0, second type 1, as BERT's pair template does), from the tokens written out by hand.
 */
export function expectedLogits(first: readonly string[], second: readonly string[], labels: 1 | 2 = 1): number[] {
  const segments: Array<[readonly string[], number]> = [
    [['[CLS]', ...first, '[SEP]'], SEGMENT_FACTOR[0]],
    [[...second, '[SEP]'], SEGMENT_FACTOR[1]],
  ];
  const out = new Array<number>(labels).fill(0);
  for (const [tokens, factor] of segments) {
    for (const t of tokens) {
      for (let l = 0; l < labels; l++) out[l] = (out[l] as number) + tokenWeight(tokenId(t), l) * factor;
    }
  }
  return out;
}

const { DataType } = onnx.TensorProto;

function valueInfo(name: string, elemType: number, shape: Array<string | number>): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

function node(
  opType: string,
  input: string[],
  output: string[],
  attribute: onnxProto.onnx.IAttributeProto[] = [],
): onnxProto.onnx.INodeProto {
  return { opType, input, output, name: `${opType}_${output[0]}`, attribute };
}

function intAttr(name: string, i: number): onnxProto.onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

/** The serialized ONNX model (IR version 8, opset 13) computing `expectedLogits`. */
export function tinyCrossEncoderOnnx(labels: 1 | 2 = 1): Uint8Array {
  const table: number[] = [];
  for (let id = 0; id < TINY_VOCAB.length; id++) for (let l = 0; l < labels; l++) table.push(tokenWeight(id, l));
  const graph: onnxProto.onnx.IGraphProto = {
    name: 'tiny_cross_encoder',
    initializer: [
      { name: 'token_table', dataType: DataType.FLOAT, dims: [TINY_VOCAB.length, labels], floatData: table },
      { name: 'segment_table', dataType: DataType.FLOAT, dims: [2, 1], floatData: [...SEGMENT_FACTOR] },
      { name: 'axis_hidden', dataType: DataType.INT64, dims: [1], int64Data: [2] },
      { name: 'axis_seq', dataType: DataType.INT64, dims: [1], int64Data: [1] },
    ],
    node: [
      node('Gather', ['token_table', 'input_ids'], ['token_w']), // [B, S, labels]
      node('Gather', ['segment_table', 'token_type_ids'], ['segment_w']), // [B, S, 1]
      node('Cast', ['attention_mask'], ['mask_f'], [intAttr('to', DataType.FLOAT)]), // [B, S]
      node('Unsqueeze', ['mask_f', 'axis_hidden'], ['mask_3d']), // [B, S, 1]
      node('Mul', ['token_w', 'segment_w'], ['typed']),
      node('Mul', ['typed', 'mask_3d'], ['masked']),
      node('ReduceSum', ['masked', 'axis_seq'], ['logits'], [intAttr('keepdims', 0)]), // [B, labels]
    ],
    input: [
      valueInfo('input_ids', DataType.INT64, ['batch_size', 'sequence_length']),
      valueInfo('attention_mask', DataType.INT64, ['batch_size', 'sequence_length']),
      valueInfo('token_type_ids', DataType.INT64, ['batch_size', 'sequence_length']),
    ],
    output: [valueInfo('logits', DataType.FLOAT, ['batch_size', labels])],
  };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'reviewlens-tests',
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

const special = (content: string, id: number) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

/** A BERT-style (uncased WordPiece) `tokenizer.json` over TINY_VOCAB. */
export function tinyTokenizerJson(): object {
  const cls = { SpecialToken: { id: '[CLS]', type_id: 0 } };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => special(t, tokenId(t))),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [cls, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        cls,
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [tokenId(t)], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(TINY_VOCAB.map((t, i) => [t, i])),
    },
  };
}

export interface TinyCrossEncoderOptions {
  /** 1 (a relevance logit, like ms-marco cross-encoders) or 2 (not relevant / relevant logits). */
  labels?: 1 | 2;
  /** The ONNX file name under `onnx/`; `model_quantized.onnx` is what an int8 export is called. */
  modelFile?: 'model.onnx' | 'model_quantized.onnx';
  /** `model_max_length` in tokenizer_config.json. */
  modelMaxLength?: number;
}

/** Writes the tiny cross-encoder into `dir` (created if needed) and returns `dir`. */
export function writeTinyCrossEncoder(dir: string, opts: TinyCrossEncoderOptions = {}): string {
  const labels = opts.labels ?? 1;
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const id2label = Object.fromEntries(Array.from({ length: labels }, (_, i) => [String(i), `LABEL_${i}`]));
  const config = {
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    num_labels: labels,
    id2label,
    label2id: Object.fromEntries(Object.entries(id2label).map(([k, v]) => [v, Number(k)])),
    vocab_size: TINY_VOCAB.length,
    hidden_size: 1,
    num_hidden_layers: 0,
    num_attention_heads: 1,
    intermediate_size: 1,
    max_position_embeddings: 512,
    type_vocab_size: 2,
    pad_token_id: 0,
  };
  const tokenizerConfig = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: opts.modelMaxLength ?? 512,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson(), null, 2));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2));
  writeFileSync(join(dir, 'onnx', opts.modelFile ?? 'model.onnx'), tinyCrossEncoderOnnx(labels));
  return dir;
}
