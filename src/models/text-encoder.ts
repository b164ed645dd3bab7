import { dirname } from 'node:path';
import { env, type FeatureExtractionPipeline, pipeline } from '@huggingface/transformers';
import { ModelAssetError } from '../core/errors.js';
import type { Encoder } from './encoder.js';

/** Words per encoder window. MiniLM was trained on 256 word pieces; 160 words stay under that. */
export const WORDS_PER_CHUNK = 160;

/** Splits a long text into windows of at most WORDS_PER_CHUNK words, so nothing is cut off. */
export function chunkText(text: string, wordsPerChunk = WORDS_PER_CHUNK): string[] {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length <= wordsPerChunk) return [text.trim()];
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += wordsPerChunk) chunks.push(words.slice(i, i + wordsPerChunk).join(' '));
  return chunks;
}

/**
 * Texts per ONNX run. Small batches are faster here than large ones: on 2 cores, real product reviews
 * (`npm run bench:index-throughput`, "encoder alone by batch size") encode about 1.6x faster in batches of 4 than
 * of 32, with identical vectors; padding to the longest text of a batch and the q4 kernels on many rows cost more
 * than the per-run overhead saved.
 */
export const TEXT_BATCH_SIZE = 4;

export interface TextEncoding {
  vector: Float32Array;
  chunks: number;
}

/**
 * Sentence embeddings with all-MiniLM-L6-v2 (ONNX, q4) through @huggingface/transformers, loaded
 * from a local directory only. Texts are sorted by length and run in batches of `batchSize` (default
 * TEXT_BATCH_SIZE; a batch pads to its longest text);
 * long texts are split into windows whose embeddings are averaged, weighted by window length.
 */
export class MiniLmTextEncoder implements Encoder<string> {
  readonly dim = 384;
  private constructor(
    readonly id: string,
    private readonly extractor: FeatureExtractionPipeline,
    private readonly batchSize: number,
  ) {}

  static async load(opts: {
    assetDir: string;
    id: string;
    threads: number;
    batchSize?: number;
  }): Promise<MiniLmTextEncoder> {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = `${dirname(opts.assetDir)}/`;
    try {
      const extractor = await pipeline('feature-extraction', opts.id, {
        dtype: 'q4',
        device: 'cpu',
        local_files_only: true,
        session_options: { intraOpNumThreads: opts.threads, interOpNumThreads: 1 },
      });
      return new MiniLmTextEncoder(opts.id, extractor as FeatureExtractionPipeline, opts.batchSize ?? TEXT_BATCH_SIZE);
    } catch (e) {
      throw new ModelAssetError(
        `text encoder ${opts.id} failed to load from ${opts.assetDir}: ${(e as Error).message}`,
        e,
      );
    }
  }

  /** Embeds whole chunks; inputs must be non-empty and at most one window long. */
  private async embedChunks(chunks: readonly string[]): Promise<Float32Array[]> {
    const order = chunks.map((_, i) => i).sort((a, b) => (chunks[a] as string).length - (chunks[b] as string).length);
    const out: Float32Array[] = new Array(chunks.length);
    for (let s = 0; s < order.length; s += this.batchSize) {
      const idx = order.slice(s, s + this.batchSize);
      const t = await this.extractor(
        idx.map((i) => chunks[i] as string),
        { pooling: 'mean', normalize: true },
      );
      const data = t.data as Float32Array;
      idx.forEach((orig, j) => {
        out[orig] = data.slice(j * this.dim, (j + 1) * this.dim);
      });
      t.dispose();
    }
    return out;
  }

  async encodeWithInfo(texts: readonly string[]): Promise<TextEncoding[]> {
    const pieces: string[] = [];
    const owner: number[] = [];
    texts.forEach((text, i) => {
      const cs = text.trim() ? chunkText(text) : ['[empty]'];
      for (const c of cs) {
        pieces.push(c);
        owner.push(i);
      }
    });
    const vecs = await this.embedChunks(pieces);
    const result: TextEncoding[] = texts.map(() => ({ vector: new Float32Array(this.dim), chunks: 0 }));
    vecs.forEach((v, k) => {
      const r = result[owner[k] as number] as TextEncoding;
      const w = (pieces[k] as string).length;
      for (let d = 0; d < this.dim; d++) (r.vector[d] as number) += (v[d] as number) * w;
      r.chunks++;
    });
    for (const r of result) {
      let n = 0;
      for (const x of r.vector) n += x * x;
      n = Math.sqrt(n) || 1;
      for (let d = 0; d < this.dim; d++) r.vector[d] = (r.vector[d] as number) / n;
    }
    return result;
  }

  async encode(texts: readonly string[]): Promise<Float32Array[]> {
    return (await this.encodeWithInfo(texts)).map((r) => r.vector);
  }

  async dispose(): Promise<void> {
    await this.extractor.dispose();
  }
}
