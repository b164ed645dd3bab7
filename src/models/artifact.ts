import { z } from 'zod';
import { ModelAssetError } from '../core/errors.js';
import { type FusionComponents, fusionComponentsSchema } from './fusion.js';

/**
 * A trained model: which encoders it reads, its components (src/models/fusion.ts), its thresholds,
 * and the metrics, parameters and data hash of the run that made it. Stored as JSON in the blob
 * store and recorded in the registry.
 */
export const artifactSchema = z.object({
  format: z.literal('reviewlens.model/2'),
  name: z.string().min(1),
  version: z.string().min(1),
  created_at: z.string(),
  classes: z.tuple([z.literal('negative'), z.literal('neutral'), z.literal('positive')]),
  encoders: z.object({ text: z.string(), image: z.string() }),
  components: fusionComponentsSchema,
  /** Probability above which text and photo count as pointing opposite ways; sarcasm flag threshold. */
  thresholds: z.object({ mismatch: z.number().min(0).max(1), sarcasm: z.number().min(0).max(1) }),
  metrics: z.record(z.string(), z.unknown()),
  params: z.record(z.string(), z.unknown()),
  data_hash: z.string(),
});

export type FusionArtifact = Omit<z.infer<typeof artifactSchema>, 'components'> & { components: FusionComponents };
export type ModelArtifact = FusionArtifact;

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
