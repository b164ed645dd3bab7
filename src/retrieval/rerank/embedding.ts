import type { Encoder } from '../../models/encoder.js';
import type { Reranker } from '../types.js';

/** Cosine similarity of two vectors of the same length; 0 when either is all zeros. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`cannot compare vectors of length ${a.length} and ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export interface EmbeddingRerankerOptions {
  /** Dispose the encoder with the reranker (when it was loaded for the reranker alone). Default false. */
  ownsEncoder?: boolean;
}

/**
 * Reranks by the cosine similarity between the query's embedding and each document's, with any text
 * encoder (USE-Lite, MiniLM, ...). The query and the documents are embedded in one encode call.
 * The encoder stays the caller's unless `ownsEncoder` is set.
 */
export class EmbeddingReranker implements Reranker {
  readonly name: string;
  private readonly ownsEncoder: boolean;

  constructor(
    private readonly encoder: Encoder<string>,
    opts: EmbeddingRerankerOptions = {},
  ) {
    this.name = `embedding:${encoder.id}`;
    this.ownsEncoder = opts.ownsEncoder ?? false;
  }

  async score(query: string, documents: readonly string[]): Promise<number[]> {
    if (documents.length === 0) return [];
    const [q, ...docs] = await this.encoder.encode([query, ...documents]);
    if (!q || docs.length !== documents.length) {
      throw new Error(
        `encoder ${this.encoder.id} returned ${docs.length + (q ? 1 : 0)} vectors for ${documents.length + 1} texts`,
      );
    }
    return docs.map((d) => cosine(q, d));
  }

  async dispose(): Promise<void> {
    if (this.ownsEncoder) await this.encoder.dispose();
  }
}
