import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { binOf, histogram, quantileEdges, shares } from './psi.js';

/** One analysis as drift sees it. */
export interface DriftObservation {
  sentiment: 'negative' | 'neutral' | 'positive';
  /** The calibrated confidence of the answer, 0..1. */
  confidence: number;
  /** Length of the review text in characters (UTF-16 code units, as JavaScript counts them). */
  textChars: number;
  hasPhoto: boolean;
  /** The answer's text/photo mismatch flag. */
  mismatch: boolean;
}

/** The features drift is tracked on, in the order they are reported. */
export const DRIFT_FEATURES = ['predicted_class', 'confidence', 'text_length', 'photo_share', 'mismatch_rate'] as const;
export type DriftFeature = (typeof DRIFT_FEATURES)[number];

const CLASSES = ['negative', 'neutral', 'positive'] as const;

const featureSchema = z.object({
  /** Bin labels (categorical features) or, for numeric ones, the split points (`edges`, see psi.ts `binOf`). */
  bins: z.array(z.string()).min(2),
  edges: z.array(z.number()).optional(),
  /** Share of the reference in each bin (sums to 1). */
  proportions: z.array(z.number().min(0).max(1)).min(2),
});
export type FeatureReference = z.infer<typeof featureSchema>;

const referenceSchema = z
  .object({
    format: z.literal('reviewlens.drift-reference/1'),
    model: z.object({ name: z.string().min(1), version: z.string().min(1) }),
    /** Where the reference distribution comes from, in words (e.g. "e-commerce val split, 1500 reviews"). */
    source: z.string(),
    n: z.number().int().positive(),
    created_at: z.string(),
    features: z.object({
      predicted_class: featureSchema,
      confidence: featureSchema,
      text_length: featureSchema,
      photo_share: featureSchema,
      mismatch_rate: featureSchema,
    }),
  })
  .superRefine((r, ctx) => {
    for (const [name, f] of Object.entries(r.features)) {
      if (f.bins.length !== f.proportions.length) {
        ctx.addIssue({ code: 'custom', path: ['features', name], message: 'bins and proportions differ in length' });
      }
      if (f.edges && f.edges.length + 1 !== f.bins.length) {
        ctx.addIssue({ code: 'custom', path: ['features', name], message: 'a numeric feature needs edges + 1 bins' });
      }
    }
  });

/** The reference distributions of one model version: what its training (validation) data looked like. */
export type DriftReference = z.infer<typeof referenceSchema>;

/** Where the references kept in the repository live: `data/drift/<name>@<version>.json`. */
export const REFERENCE_DIR = fileURLToPath(new URL('../../data/drift/', import.meta.url));

/** The repository's reference file for a model version. */
export function referenceFileFor(model: { name: string; version: string }, dir = REFERENCE_DIR): string {
  return join(dir, `${model.name}@${model.version}.json`);
}

/** Bin of each feature for one observation, given a reference's numeric edges. */
export function binsOf(o: DriftObservation, ref: DriftReference['features']): Record<DriftFeature, number> {
  const numeric = (v: number, edges: readonly number[] | undefined) => binOf(v, edges ?? []);
  return {
    predicted_class: CLASSES.indexOf(o.sentiment),
    confidence: numeric(o.confidence, ref.confidence.edges),
    text_length: numeric(o.textChars, ref.text_length.edges),
    photo_share: o.hasPhoto ? 1 : 0,
    mismatch_rate: o.mismatch ? 1 : 0,
  };
}

const edgeLabels = (edges: number[], fmt: (v: number) => string) =>
  edges.length === 0
    ? ['all']
    : [
        `<=${fmt(edges[0] as number)}`,
        ...edges.slice(1).map((e, i) => `(${fmt(edges[i] as number)},${fmt(e)}]`),
        `>${fmt(edges[edges.length - 1] as number)}`,
      ];

/**
 * The reference of `model` from its analyses of a reference data set (`observations`, e.g. the production
 * model's answers on the e-commerce val split). Numeric features are binned at the reference's deciles
 * (`quantileEdges`, 10 bins, fewer where values repeat); the class, photo and mismatch features by value.
 * Throws on an empty set.
 */
export function buildReference(
  model: { name: string; version: string },
  observations: readonly DriftObservation[],
  source: string,
): DriftReference {
  if (observations.length === 0) throw new Error('a drift reference needs at least one observation');
  const confEdges = quantileEdges(
    observations.map((o) => o.confidence),
    10,
  ).map((v) => Math.round(v * 1e4) / 1e4);
  const lenEdges = quantileEdges(
    observations.map((o) => o.textChars),
    10,
  );
  const classCounts = CLASSES.map((c) => observations.filter((o) => o.sentiment === c).length);
  const photo = observations.filter((o) => o.hasPhoto).length;
  const mismatch = observations.filter((o) => o.mismatch).length;
  const round = (xs: number[]) => xs.map((x) => Math.round(x * 1e6) / 1e6);
  return {
    format: 'reviewlens.drift-reference/1',
    model: { name: model.name, version: model.version },
    source,
    n: observations.length,
    created_at: new Date().toISOString(),
    features: {
      predicted_class: { bins: [...CLASSES], proportions: round(shares(classCounts)) },
      confidence: {
        bins: edgeLabels(confEdges, (v) => v.toFixed(4)),
        edges: confEdges,
        proportions: round(
          shares(
            histogram(
              observations.map((o) => o.confidence),
              confEdges,
            ),
          ),
        ),
      },
      text_length: {
        bins: edgeLabels(lenEdges, (v) => String(v)),
        edges: lenEdges,
        proportions: round(
          shares(
            histogram(
              observations.map((o) => o.textChars),
              lenEdges,
            ),
          ),
        ),
      },
      photo_share: {
        bins: ['text_only', 'with_photo'],
        proportions: round(shares([observations.length - photo, photo])),
      },
      mismatch_rate: {
        bins: ['agree', 'mismatch'],
        proportions: round(shares([observations.length - mismatch, mismatch])),
      },
    },
  };
}

/** Parses and checks a reference file; a ConfigError names the file and what is wrong. */
export function parseReference(text: string, origin: string): DriftReference {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`drift reference ${origin} is not JSON: ${(e as Error).message}`);
  }
  const r = referenceSchema.safeParse(raw);
  if (!r.success) {
    throw new ConfigError(
      `drift reference ${origin} is not valid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return r.data;
}

/**
 * The reference for `model`: `file` when given (config `drift.referenceFile`), else the repository's
 * `data/drift/<name>@<version>.json`. Answers `{ reference }`, or `{ error }` saying why there is none (no file
 * for this model version: drift is then not measured, and `reviewlens drift reference` makes one). A reference
 * made for another model version is refused: its class and confidence distributions belong to that model.
 */
export function loadReferenceFor(
  model: { name: string; version: string },
  file?: string,
): { reference: DriftReference; file: string } | { error: string } {
  const path = file || referenceFileFor(model);
  if (!existsSync(path)) {
    return {
      error: `no drift reference for ${model.name}@${model.version} (looked for ${path}); make one with \`reviewlens drift reference\``,
    };
  }
  try {
    const reference = parseReference(readFileSync(path, 'utf8'), path);
    if (reference.model.name !== model.name || reference.model.version !== model.version) {
      return {
        error: `the drift reference ${path} is for ${reference.model.name}@${reference.model.version}, not the model served (${model.name}@${model.version})`,
      };
    }
    return { reference, file: path };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Writes a reference to `file` (temp file + rename: never half-written). */
export async function writeReference(reference: DriftReference, file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(reference, null, 2)}\n`);
  await rename(tmp, file);
}
