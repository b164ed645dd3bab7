/**
 * The cross-encoder reranker end to end, on a tiny generated model (test/helpers/tiny-cross-encoder.ts):
 * a real ONNX graph run by ONNX Runtime and a real WordPiece tokenizer, whose score is a known function
 * of the pair's tokens, token types and attention mask. No download; no real cross-encoder's quality is
 * measured here.
 */
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelAssetError } from '../../src/core/errors.js';
import { CrossEncoderReranker, truncateLongestFirst } from '../../src/retrieval/rerank/index.js';
import { tempDir } from '../helpers/paths.js';
import { expectedLogits, writeTinyCrossEncoder } from '../helpers/tiny-cross-encoder.js';

const dirs: string[] = [];
function modelDir(opts: Parameters<typeof writeTinyCrossEncoder>[1] = {}): string {
  const dir = tempDir('reviewlens-ce-');
  dirs.push(dir);
  return writeTinyCrossEncoder(join(dir, 'tiny-ce'), opts);
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const score1 = (q: string[], d: string[]) => expectedLogits(q, d, 1)[0]!;

describe('CrossEncoderReranker on a tiny BERT-style model', () => {
  let ce: CrossEncoderReranker;
  beforeAll(async () => {
    ce = await CrossEncoderReranker.load({ dir: modelDir(), threads: 1 });
  });
  afterAll(async () => {
    await ce?.dispose();
  });

  it('is named after its directory and takes the tokenizer’s limit', () => {
    expect(ce.name).toBe('cross-encoder:tiny-ce');
    expect(ce.maxLength).toBe(512);
  });

  it('scores [CLS] query [SEP] document [SEP] with WordPiece, lower-casing, [UNK] and token types', async () => {
    const scores = await ce.score('Battery died!', [
      'The battery died after two days.',
      'Love the dress, great colour',
      'Shipping was slow and the box arrived crushed',
      '',
    ]);
    expect(scores).toEqual([
      score1(['batter', '##y', 'died', '!'], ['the', 'batter', '##y', 'died', 'after', 'two', 'days', '.']),
      score1(['batter', '##y', 'died', '!'], ['love', 'the', 'dress', ',', 'great', 'colour']),
      score1(['batter', '##y', 'died', '!'], ['shipping', 'was', 'slow', 'and', 'the', 'box', '[UNK]', '[UNK]']),
      score1(['batter', '##y', 'died', '!'], []),
    ]);
    // The same two words swapped between query and document score differently: the token types reach the model.
    const [a] = await ce.score('screen', ['phone']);
    const [b] = await ce.score('phone', ['screen']);
    expect([a, b]).toEqual([score1(['screen'], ['phone']), score1(['phone'], ['screen'])]);
    expect(a).not.toBe(b);
  });

  it('pads batches of mixed lengths without the padding counting, across several batches', async () => {
    const words = ['great', 'phone', 'screen', 'cracked', 'refund', 'cheap', 'charger', 'cable'];
    // 37 documents of 1 to 8 words: three batches of 16, 16 and 5, each padded to its longest pair.
    const docs = Array.from({ length: 37 }, (_, i) => words.slice(0, (i % 8) + 1).join(' '));
    const scores = await ce.score('phone', docs);
    expect(scores).toEqual(docs.map((d) => score1(['phone'], d.split(' '))));
    // The same document scores the same whatever it is batched with.
    expect(await ce.score('phone', [docs[36]!])).toEqual([scores[36]]);
    expect(await ce.score('phone', [])).toEqual([]);
  });

  it('truncates longest first to maxLength and keeps the closing [SEP]', async () => {
    const short = await CrossEncoderReranker.load({ dir: modelDir(), threads: 1, maxLength: 10 });
    try {
      // 10 tokens - 3 special = 7 for the texts: the query's 4 stay, the 9 of the document are cut to 3.
      const [long] = await short.score('battery died fast', ['it was very very very slow and not good']);
      expect(long).toBe(score1(['batter', '##y', 'died', 'fast'], ['it', 'was', 'very']));
      // 7 and 7 tokens: cut in turns, the document first on a tie, down to 4 + 3.
      const [both] = await short.score('the screen cracked and the phone died', ['it works fine , very fine !']);
      expect(both).toBe(score1(['the', 'screen', 'cracked', 'and'], ['it', 'works', 'fine']));
    } finally {
      await short.dispose();
    }
  });

  it('reads a 2-label model as logit[1] - logit[0], from model_quantized.onnx', async () => {
    const two = await CrossEncoderReranker.load({
      dir: modelDir({ labels: 2, modelFile: 'model_quantized.onnx' }),
      threads: 1,
    });
    try {
      const scores = await two.score('cheap charger', ['the cable works', 'bad price']);
      const expected = [
        expectedLogits(['cheap', 'charger'], ['the', 'cable', 'works'], 2),
        expectedLogits(['cheap', 'charger'], ['bad', 'price'], 2),
      ].map(([l0, l1]) => l1! - l0!);
      expect(scores).toEqual(expected);
    } finally {
      await two.dispose();
    }
  });
});

describe('CrossEncoderReranker.load errors', () => {
  it('names a missing directory and the files expected', async () => {
    const dir = join(tempDir('reviewlens-ce-'), 'nope');
    dirs.push(dir);
    const err = await CrossEncoderReranker.load({ dir, threads: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(ModelAssetError);
    expect(err.statusCode).toBe(503);
    expect(err.message).toContain(dir);
    expect(err.message).toMatch(/does not exist/);
    expect(err.message).toContain('config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx');
  });

  it('names each missing file', async () => {
    const dir = modelDir();
    unlinkSync(join(dir, 'tokenizer.json'));
    unlinkSync(join(dir, 'onnx', 'model.onnx'));
    const err = await CrossEncoderReranker.load({ dir, threads: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(ModelAssetError);
    expect(err.message).toContain(
      `missing ${join(dir, 'tokenizer.json')}, ${join(dir, 'onnx/model.onnx or onnx/model_quantized.onnx')}`,
    );
  });

  it('wraps a corrupt model file in ModelAssetError naming the directory', async () => {
    const dir = modelDir();
    writeFileSync(join(dir, 'onnx', 'model.onnx'), 'not an onnx model');
    const err = await CrossEncoderReranker.load({ dir, threads: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(ModelAssetError);
    expect(err.message).toContain(`cross-encoder failed to load from ${dir} (onnx/model.onnx)`);
  });

  it('refuses a maxLength with no room for the texts', async () => {
    const err = await CrossEncoderReranker.load({ dir: modelDir(), threads: 1, maxLength: 4 }).catch((e) => e);
    expect(err).toBeInstanceOf(ModelAssetError);
    expect(err.message).toMatch(/maxLength 4 leaves no room/);
  });
});

describe('truncateLongestFirst', () => {
  it('cuts the longer list one token at a time, the second on a tie', () => {
    const a = [1, 2, 3, 4, 5, 6];
    const b = [7, 8];
    expect(truncateLongestFirst(a, b, 10)).toEqual([a, b]);
    expect(truncateLongestFirst(a, b, 5)).toEqual([
      [1, 2, 3],
      [7, 8],
    ]);
    expect(truncateLongestFirst(a, b, 3)).toEqual([[1, 2], [7]]);
    expect(truncateLongestFirst([1, 2], [3, 4], 3)).toEqual([[1, 2], [3]]);
  });
});
