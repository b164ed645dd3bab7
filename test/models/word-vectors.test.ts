import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelAssetError } from '../../src/core/index.js';
import { FusionModel, withWordMean } from '../../src/models/fusion.js';
import { SoftmaxHead } from '../../src/models/heads/softmax.js';
import { loadWordVectorAsset } from '../../src/models/index.js';
import { LEXICON_FEATURES } from '../../src/models/lexicon.js';
import {
  convertWinkJson,
  gloveTokens,
  loadWordVectors,
  meanWordVector,
  toHalf,
} from '../../src/models/word-vectors.js';
import { MODELS_DIR, tempDir } from '../helpers/paths.js';

/** A tiny file in the package's own shape: vectors[word] = [dims..., l2 norm, word index]. */
function winkJson(dir: string): string {
  const f = join(dir, 'tiny.json');
  writeFileSync(
    f,
    JSON.stringify({
      precision: 8,
      dimensions: 3,
      words: ['good', 'bad', 'do', 'not', 'line\nbreak', 'absent'],
      vectors: {
        good: [1, 0.5, -0.25, 1.15, 0],
        bad: [-1, 0.125, 0.75, 1.26, 1],
        do: [0.1, 0.2, 0.3, 0.37, 2],
        not: [0, -2, 0, 2, 3],
        'line\nbreak': [9, 9, 9, 15.6, 4],
      },
    }),
  );
  return f;
}

describe('word vectors (GloVe mean)', () => {
  it('half floats round-trip within half precision, with infinities and signed zero', () => {
    const wv = { name: 't', index: new Map([['x', 0]]), dim: 1, size: 1, halves: new Uint16Array(1) };
    for (const v of [0, 1, -1, 0.1, -0.333, 2.5, 1e-5, 65504, -1234.5]) {
      wv.halves[0] = toHalf(v);
      const back = meanWordVector(wv, 'x')[0] as number;
      expect(Math.abs(back - v)).toBeLessThanOrEqual(Math.max(Math.abs(v) * 2 ** -11, 2 ** -24));
    }
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(-1e6)).toBe(0xfc00);
    expect(toHalf(-0)).toBe(0x8000);
  });

  it('converts the package JSON once, then loads the binary and averages known tokens', async () => {
    const dir = tempDir();
    const out = join(dir, 'tiny.wgv');
    expect(await convertWinkJson(winkJson(dir), out)).toEqual({ words: 4, dim: 3 });
    const wv = loadWordVectors(out, 'tiny');
    expect(wv.name).toBe('tiny');
    expect([...wv.index.keys()]).toEqual(['good', 'bad', 'do', 'not']); // no vector or a newline: left out
    expect(Array.from(meanWordVector(wv, 'Good!'))).toEqual([1, 0.5, -0.25]);
    // Contractions are spelled out (this vocabulary has no clitic tokens); "zzz" is unknown and ignored.
    expect(gloveTokens("Don't, zzz")).toEqual(['do', 'not', ',', 'zzz']);
    expect(gloveTokens("Won't fit; I can't say it's great, we'll see, I’m sure")).toEqual([
      'will',
      'not',
      'fit',
      ';',
      'i',
      'can',
      'not',
      'say',
      'it',
      'great',
      ',',
      'we',
      'will',
      'see',
      ',',
      'i',
      'am',
      'sure',
    ]);
    const m = Array.from(meanWordVector(wv, "Don't zzz"));
    expect(m[0]).toBeCloseTo(0.05, 3);
    expect(m[1]).toBeCloseTo(-0.9, 3);
    expect(m[2]).toBeCloseTo(0.15, 3);
    expect(Array.from(meanWordVector(wv, 'nothing known here'))).toEqual([0, 0, 0]);
  });

  it('a truncated or foreign file is a clear ModelAssetError; a bad JSON leaves no output', async () => {
    const dir = tempDir();
    const out = join(dir, 'tiny.wgv');
    await convertWinkJson(winkJson(dir), out);
    truncateSync(out, readFileSync(out).length - 2);
    expect(() => loadWordVectors(out)).toThrow(ModelAssetError);
    expect(() => loadWordVectors(out)).toThrow(/truncated/);
    writeFileSync(out, 'not a vector file at all');
    expect(() => loadWordVectors(out)).toThrow(/not a WGV2/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ words: ['a'] }));
    await expect(convertWinkJson(bad, join(dir, 'bad.wgv'))).rejects.toThrow(ModelAssetError);
    expect(() => readFileSync(join(dir, 'bad.wgv'))).toThrow(/ENOENT/);
  });

  it('the fetched GloVe asset knows product-review words and tells good from bad', async () => {
    const wv = await loadWordVectorAsset(MODELS_DIR, 'glove-6b-100d');
    expect(wv.size).toBe(341479);
    expect(wv.dim).toBe(100);
    for (const w of ['battery', 'refund', 'zipper', 'broke', 'not']) expect(wv.index.has(w), w).toBe(true);
    const cos = (a: Float32Array, b: Float32Array) => {
      let d = 0;
      let na = 0;
      let nb = 0;
      for (let i = 0; i < a.length; i++) {
        d += (a[i] as number) * (b[i] as number);
        na += (a[i] as number) ** 2;
        nb += (b[i] as number) ** 2;
      }
      return d / Math.sqrt(na * nb);
    };
    const v = (t: string) => meanWordVector(wv, t);
    expect(cos(v('excellent'), v('great'))).toBeGreaterThan(cos(v('excellent'), v('zipper')));
  });

  it('a model that reads word vectors refuses to load without them and uses them when given', async () => {
    const wv = await loadWordVectorAsset(MODELS_DIR, 'glove-6b-100d');
    const head = (dim: number, seed: number) =>
      SoftmaxHead.train(
        [new Float32Array(dim).fill(0.1), new Float32Array(dim).fill(-0.1), new Float32Array(dim).fill(0.3)],
        [0, 1, 2],
        3,
        { seed, epochs: 2 },
      ).toJSON();
    const ngram = {
      kind: 'ngram-logreg' as const,
      classes: 3,
      vocab: ['good'],
      weights: [0, 0, 1],
      bias: [0, 0, 0],
      temperature: 1,
    };
    const components = {
      general_text: head(484, 1),
      general_text_words: 'glove-6b-100d',
      ngram,
      lexicon: head(LEXICON_FEATURES.length, 2),
      domain_text: head(384, 3),
      image: head(1280, 4),
      fused_meta: head(9, 5),
      text_temperature: 1,
    };
    expect(() => new FusionModel(components as never)).toThrow(/reads the word vectors glove-6b-100d/);
    const m = new FusionModel(components as never, { words: wv });
    const emb = new Float32Array(384).fill(0.01);
    expect(m.generalInput('It broke.', emb)).toEqual(withWordMean(wv, 'It broke.', emb));
    expect(m.generalInput('It broke.', emb).length).toBe(484);
  });
});
