import { z } from 'zod';
import { ModelAssetError } from '../core/errors.js';
import { type FusionComponents, fusionComponentsSchema } from './fusion.js';
import { SoftmaxHead } from './heads/softmax.js';

/**
 * A trained model: which encoders it reads, its classifier heads, and the metrics and parameters
 * of the run that made it. Stored as JSON in the blob store and recorded in the registry.
 */
const headSchema = z.object({
  kind: z.literal('softmax'),
  inputDim: z.number().int().positive(),
  classes: z.number().int().positive(),
  mean: z.array(z.number()),
  std: z.array(z.number()),
  weights: z.array(z.number()),
  bias: z.array(z.number()),
  temperature: z.number().positive(),
});

const common = {
  name: z.string().min(1),
  version: z.string().min(1),
  created_at: z.string(),
  classes: z.tuple([z.literal('negative'), z.literal('neutral'), z.literal('positive')]),
  encoders: z.object({ text: z.string(), image: z.string() }),
  metrics: z.record(z.string(), z.unknown()),
  params: z.record(z.string(), z.unknown()),
  data_hash: z.string(),
};

/** Format 1: the baseline — softmax heads over text, photo, and both concatenated. */
export const baselineArtifactSchema = z.object({
  format: z.literal('reviewlens.model/1'),
  ...common,
  heads: z.object({ text: headSchema, image: headSchema, fused: headSchema }),
});

/** Format 2: the stacked multimodal model (src/models/fusion.ts). */
export const fusionArtifactSchema = z.object({
  format: z.literal('reviewlens.model/2'),
  ...common,
  components: fusionComponentsSchema,
  thresholds: z.object({ mismatch: z.number().min(0).max(1), sarcasm: z.number().min(0).max(1) }),
});

export const artifactSchema = z.discriminatedUnion('format', [baselineArtifactSchema, fusionArtifactSchema]);

export type BaselineArtifact = z.infer<typeof baselineArtifactSchema>;
export type FusionArtifact = Omit<z.infer<typeof fusionArtifactSchema>, 'components'> & {
  components: FusionComponents;
};
export type ModelArtifact = BaselineArtifact | FusionArtifact;

export interface LoadedHeads {
  text: SoftmaxHead;
  image: SoftmaxHead;
  fused: SoftmaxHead;
}

export function parseArtifact(bytes: Uint8Array | string, origin: string): ModelArtifact {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new ModelAssetError(`model artifact ${origin} is not JSON: ${(e as Error).message}`, e);
  }
  const r = artifactSchema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new ModelAssetError(`model artifact ${origin} is invalid at ${first?.path.join('.')}: ${first?.message}`);
  }
  return r.data as ModelArtifact;
}

export function loadHeads(a: BaselineArtifact): LoadedHeads {
  return {
    text: new SoftmaxHead(a.heads.text),
    image: new SoftmaxHead(a.heads.image),
    fused: new SoftmaxHead(a.heads.fused),
  };
}
