import { lexiconFeatures, MiniLmTextEncoder, resolveAsset } from '../models/index.js';
import { FeatureCache, TEXT_ENCODER, textFeatures } from '../training/index.js';

/**
 * Text features for the labeling agent's own models (active learning, label noise, benchmarks): the
 * MiniLM sentence embedding (through the training module's disk cache, so a text is encoded once)
 * followed by the lexicon features. The same encoder the production model reads.
 */
export async function labelingFeatures(
  texts: string[],
  opts: { modelsDir: string; cacheDir: string; threads: number; log?: (m: string) => void },
): Promise<{ embeddings: Float32Array[]; features: Float32Array[] }> {
  const log = opts.log ?? (() => {});
  const dir = await resolveAsset(opts.modelsDir, TEXT_ENCODER);
  // The cache file is read before the encoder loads: a warm cache needs no model at all.
  let enc: MiniLmTextEncoder | undefined;
  const lazy = {
    async encode(batch: string[]) {
      enc ??= await MiniLmTextEncoder.load({ assetDir: dir, id: TEXT_ENCODER, threads: opts.threads });
      return enc.encode(batch);
    },
  };
  try {
    const cache = new FeatureCache(opts.cacheDir, TEXT_ENCODER, 384);
    const embeddings = await textFeatures(lazy, cache, texts, log);
    const features = embeddings.map((e, i) => concat(e, lexiconFeatures(texts[i] as string)));
    return { embeddings, features };
  } finally {
    await enc?.dispose();
  }
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
