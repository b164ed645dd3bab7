import { z } from 'zod';
import { ModelAssetError } from '../core/errors.js';
import { type FusionComponents, fusionComponentsSchema } from './fusion.js';

/**
 * What the labeling agent (src/labeling) needs to gate this model's labels out of the box, fitted at train time
 * on held-out items the classifier never trained on (`fitShippedCalibration` in src/labeling/shipped.ts writes
 * it): the calibration of the pooled ensemble confidence (temperature scaling, Guo et al. 2017, then isotonic
 * regression, Zadrozny & Elkan 2002), the labelers whose pooled votes it was fitted on, the gating thresholds
 * proposed for a target precision, and the held-out figures of that fit. The same shape as the labeling
 * module's `CalibrationJSON`, repeated here so that models do not import labeling.
 */
export const artifactLabelingSchema = z.object({
  calibration: z.object({
    method: z.enum(['none', 'temperature', 'temperature+isotonic']),
    temperature: z.number().positive(),
    /** Isotonic step function: confidence at or below `x[i]` (and above `x[i-1]`) maps to `y[i]`. */
    isotonic: z.object({ x: z.array(z.number()), y: z.array(z.number()) }).optional(),
    fittedOn: z.object({ source: z.string(), n: z.number().int().nonnegative(), at: z.string().optional() }).optional(),
  }),
  /** Labeler names, in the order the runtime ensemble asks them (e.g. `['classifier', 'lexicon']`). */
  labelers: z.array(z.string().min(1)).min(1),
  /** Gate on the calibrated confidence: at or above `accept` auto-accepted, at or above `review` queued. */
  thresholds: z
    .object({ accept: z.number().min(0).max(1), review: z.number().min(0).max(1) })
    .refine((t) => t.review <= t.accept, { message: 'review must not be above accept', path: ['review'] }),
  /** Held-out (cross-fitted) figures: precision and coverage of the proposed thresholds, ECE before and after. */
  report: z
    .object({
      n: z.number().int().nonnegative(),
      precision: z.number().min(0).max(1).nullable(),
      coverage: z.number().min(0).max(1),
      ece_before: z.number().min(0),
      ece_after: z.number().min(0),
    })
    .optional(),
});
export type ArtifactLabeling = z.infer<typeof artifactLabelingSchema>;

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
  /** `words`: the word-vector asset the model reads (src/models/word-vectors.ts), when it reads one. */
  encoders: z.object({ text: z.string(), image: z.string(), words: z.string().min(1).optional() }),
  components: fusionComponentsSchema,
  /** Probability above which text and photo count as pointing opposite ways; sarcasm flag threshold. */
  thresholds: z.object({ mismatch: z.number().min(0).max(1), sarcasm: z.number().min(0).max(1) }),
  metrics: z.record(z.string(), z.unknown()),
  params: z.record(z.string(), z.unknown()),
  data_hash: z.string(),
  /** Calibration and thresholds for the labeling agent (optional: artifacts made before it have none). */
  labeling: artifactLabelingSchema.optional(),
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
