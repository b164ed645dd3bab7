import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { Encoders } from '../models/index.js';
import { Analyzer } from '../sentiment/index.js';
import type { BlobStore, MetadataStore } from '../storage/index.js';
import type { ModelRegistry } from '../training/index.js';
import { queuePriorities } from './active.js';
import { type CalibrationJSON, NO_CALIBRATION } from './calibration.js';
import { ClassifierLabeler } from './classifier-labeler.js';
import { type CalibrationSource, Ensemble, type EnsembleResult } from './ensemble.js';
import { DEFAULT_THRESHOLDS, gate } from './gating.js';
import { LexiconLabeler } from './lexicon-labeler.js';
import { LlmLabeler } from './llm-labeler.js';
import { LabelQueue } from './queue.js';
import type { ShippedLabeling } from './shipped.js';
import type { Decision, Labeler, LabelInput, Thresholds } from './types.js';

/** Where the ensemble's calibration is kept: `labeling.calibrationFile` or `<dataDir>/labeling/calibration.json`. */
export function calibrationPath(config: Config): string {
  const f = config.labeling.calibrationFile;
  if (f === '') return resolve(config.dataDir, 'labeling', 'calibration.json');
  return isAbsolute(f) ? f : resolve(f);
}

/** A stored calibration with the labelers it was fitted for (and, optionally, the thresholds proposed with it). */
export interface StoredCalibration extends CalibrationJSON {
  labelers: string[];
  model?: string;
  /** Used for the thresholds left at `auto` when present (`label calibrate` does not write them today). */
  thresholds?: Thresholds;
}

/** Reads the calibration; none yet gives the identity (and `calibrated: false`). */
export function loadCalibration(config: Config): {
  calibration: StoredCalibration | CalibrationJSON;
  calibrated: boolean;
} {
  const file = calibrationPath(config);
  if (!existsSync(file)) return { calibration: NO_CALIBRATION, calibrated: false };
  try {
    return { calibration: JSON.parse(readFileSync(file, 'utf8')) as StoredCalibration, calibrated: true };
  } catch (e) {
    throw new ConfigError(`the labeling calibration ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Writes the calibration atomically (a temp file renamed over the old one). */
export function saveCalibration(config: Config, cal: StoredCalibration): string {
  const file = calibrationPath(config);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(cal, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}

/**
 * The labelers the configuration gives: the production classifier, the lexicon, and the LLM when `llm.url` is
 * set. The classifier labeler carries the production artifact's `labeling` block (its shipped calibration and
 * thresholds), which `buildEnsemble` uses when there is no calibration file; it is also returned as `shipped`.
 */
export async function buildLabelers(
  config: Config,
  deps: { registry: ModelRegistry; encoders(): Promise<Encoders> },
): Promise<{ labelers: Labeler[]; model: string; shipped: ShippedLabeling | undefined }> {
  const artifact = await deps.registry.production();
  const analyzer = new Analyzer(artifact, await deps.encoders(), { ...config.limits }, config.models.useImage);
  const labelers: Labeler[] = [new ClassifierLabeler(analyzer, artifact.labeling), new LexiconLabeler()];
  const llm = config.labeling.useLlm ? LlmLabeler.fromConfig(config) : undefined;
  if (llm) labelers.push(llm);
  return { labelers, model: `${artifact.name}@${artifact.version}`, shipped: artifact.labeling };
}

type ThresholdOrigin = 'config' | 'calibration' | 'default';

/** The calibration and thresholds an ensemble gates with, where they came from, and what to warn about. */
export interface ResolvedLabeling {
  calibration: CalibrationJSON;
  source: Exclude<CalibrationSource, 'given'>;
  thresholds: Thresholds;
  /** Per threshold: set in the configuration, from the calibration in use (file or artifact), or the seed's. */
  thresholdsFrom: { accept: ThresholdOrigin; review: ThresholdOrigin };
  warnings: string[];
}

/**
 * Which calibration and thresholds gate the labels of `labelers` (names, in ensemble order):
 *
 * 1. Calibration: the file `label calibrate` wrote (`calibrationPath`) when it exists (with a warning when it
 *    was fitted for other labelers); else the production model's shipped `labeling.calibration` when its
 *    labelers are exactly the running ones (classifier, lexicon; with the LLM labeler configured they are not);
 *    else none (identity) and a warning.
 * 2. Thresholds, each on its own: `labeling.acceptThreshold` / `reviewThreshold` when set to a number; when left
 *    at `auto` (the default), the ones that came with the calibration in use (the artifact's proposed
 *    thresholds, or a calibration file's `thresholds` when it has them), else the seed's 0.9 / 0.7. The review
 *    threshold is capped at the accept threshold.
 */
export function resolveLabeling(
  config: Config,
  labelers: readonly string[],
  shipped?: ShippedLabeling,
): ResolvedLabeling {
  const warnings: string[] = [];
  const now = labelers.join(', ');
  const { calibration: fromFile, calibrated } = loadCalibration(config);
  let calibration: CalibrationJSON = NO_CALIBRATION;
  let source: ResolvedLabeling['source'] = 'none';
  let carried: Thresholds | undefined;
  if (calibrated) {
    const stored = fromFile as StoredCalibration;
    calibration = stored;
    source = 'file';
    carried = stored.thresholds;
    const fitted = stored.labelers ?? [];
    if (fitted.join(', ') !== now) {
      warnings.push(
        `the calibration was fitted for labelers ${fitted.join(', ')} but ${now} are running; re-run \`reviewlens label calibrate\``,
      );
    }
  } else if (shipped && shipped.labelers.join(', ') === now) {
    calibration = shipped.calibration;
    source = 'artifact';
    carried = shipped.thresholds;
  } else if (shipped) {
    warnings.push(
      `no labeling calibration for labelers ${now}: the production model's shipped calibration was fitted for ` +
        `${shipped.labelers.join(', ')} and there is no ${calibrationPath(config)}; confidences are uncalibrated; ` +
        'run `reviewlens label calibrate`',
    );
  } else {
    warnings.push(
      `no labeling calibration at ${calibrationPath(config)} and none shipped with the production model: ` +
        'confidences are uncalibrated; run `reviewlens label calibrate`',
    );
  }
  const set = config.labeling.thresholdsSet;
  const pick = (k: keyof Thresholds): [number, ThresholdOrigin] => {
    if (set[k]) return [k === 'accept' ? config.labeling.acceptThreshold : config.labeling.reviewThreshold, 'config'];
    if (carried) return [carried[k], 'calibration'];
    return [DEFAULT_THRESHOLDS[k], 'default'];
  };
  const [accept, acceptFrom] = pick('accept');
  const [review, reviewFrom] = pick('review');
  return {
    calibration,
    source,
    thresholds: { accept, review: Math.min(review, accept) },
    thresholdsFrom: { accept: acceptFrom, review: reviewFrom },
    warnings,
  };
}

/**
 * The ensemble over `labelers` with the calibration and thresholds `resolveLabeling` picks (the calibration
 * file, else the production model's shipped calibration, else identity and a warning). `shipped` defaults to
 * the `labeling` block the classifier labeler carries (`buildLabelers` gives it the production artifact's).
 * The ensemble's `thresholds` are what `labelUnlabelled` gates with.
 */
export function buildEnsemble(
  config: Config,
  labelers: Labeler[],
  warn: (m: string) => void = () => {},
  shipped?: ShippedLabeling,
): Ensemble {
  const carried = labelers.find((l): l is ClassifierLabeler => l instanceof ClassifierLabeler)?.shipped;
  const r = resolveLabeling(
    config,
    labelers.map((l) => l.name),
    shipped ?? carried,
  );
  for (const w of r.warnings) warn(w);
  return new Ensemble(labelers, {
    calibration: r.calibration,
    calibrationSource: r.source,
    thresholds: r.thresholds,
    labelerTimeoutMs: config.labeling.labelerTimeoutMs,
  });
}

/** Review text and first photo (if any, and readable) as a labeler's input. */
export async function labelInputOf(
  meta: MetadataStore,
  blobs: BlobStore,
  reviewId: string,
): Promise<LabelInput | undefined> {
  const r = await meta.reviews.get(reviewId);
  if (!r) return undefined;
  const blob = r.photoBlobs[0];
  let photo: Uint8Array | undefined;
  if (blob) photo = await blobs.get(blob).catch(() => undefined);
  return { id: r.id, text: r.text, ...(photo ? { photo } : {}) };
}

export interface LabelRunOptions {
  /**
   * Used only when the ensemble carries no thresholds (one from `buildEnsemble` always does: they are resolved
   * there from the configuration and the calibration); default 0.9 / 0.7.
   */
  thresholds?: Thresholds;
  /** At most this many reviews (default: all unlabelled). */
  limit?: number;
  batchSize?: number;
  source?: string;
  runId?: number;
  uncertaintyWeight?: number;
  uncertainty?: 'margin' | 'entropy';
  signal?: AbortSignal;
  progress?: (done: number, total: number) => Promise<void> | void;
  log?: (m: string) => void;
}

export interface LabelRunResult {
  /** The thresholds the run gated with (always set by `labelUnlabelled`). */
  thresholds?: Thresholds;
  considered: number;
  accepted: number;
  queued: number;
  discarded: number;
  failed: number;
  /** Votes that failed (a labeler down or timing out), by labeler. */
  labelerErrors: Record<string, number>;
}

/**
 * Labels the unlabelled reviews that have no decision yet: asks the ensemble, gates, and records each
 * decision (accepted labels go to the review, the rest to the queue, prioritised by uncertainty and
 * diversity within each batch). Each review is recorded in its own transaction, so a run that stops
 * half-way resumes where it was.
 */
export async function labelUnlabelled(
  meta: MetadataStore,
  blobs: BlobStore,
  ensemble: Ensemble,
  opts: LabelRunOptions,
): Promise<LabelRunResult> {
  const queue = new LabelQueue(meta);
  const log = opts.log ?? (() => {});
  const ids = await queue.unlabelledReviewIds(opts.limit ?? 1_000_000_000, opts.source);
  const thresholds = ensemble.thresholds ?? opts.thresholds ?? DEFAULT_THRESHOLDS;
  const out: LabelRunResult = {
    thresholds,
    considered: ids.length,
    accepted: 0,
    queued: 0,
    discarded: 0,
    failed: 0,
    labelerErrors: {},
  };
  const batchSize = opts.batchSize ?? 1000;
  const calName = ensemble.calibration.method;
  for (let s = 0; s < ids.length; s += batchSize) {
    const batch: Array<{ id: string; result: EnsembleResult; decision: Decision }> = [];
    const slice = ids.slice(s, s + batchSize);
    for (const [k, id] of slice.entries()) {
      if (opts.signal?.aborted) throw new Error('labeling cancelled');
      if (k > 0 && k % 50 === 0) await opts.progress?.(s + k, ids.length);
      const input = await labelInputOf(meta, blobs, id);
      if (!input) continue;
      try {
        const result = await ensemble.label(input);
        for (const v of result.votes)
          if (v.error) out.labelerErrors[v.labeler] = (out.labelerErrors[v.labeler] ?? 0) + 1;
        batch.push({ id, result, decision: gate(result.confidence, thresholds) });
      } catch (e) {
        out.failed++;
        log(`review ${id} not labelled: ${(e as Error).message}`);
      }
    }
    const queued = batch.filter((b) => b.decision === 'queued');
    const pr = queuePriorities(
      queued.map((b) => [b.result.probs.negative, b.result.probs.neutral, b.result.probs.positive]),
      queued.map((b) => b.result.embedding),
      { alpha: opts.uncertaintyWeight ?? 0.5, kind: opts.uncertainty ?? 'margin' },
    );
    const priority = new Map(queued.map((b, i) => [b.id, pr[i] as number]));
    for (const b of batch) {
      await queue.record(b.id, b.result, b.decision, {
        thresholds,
        calibration: calName,
        priority: priority.get(b.id) ?? 0,
        ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
      });
      out[b.decision]++;
    }
    const done = Math.min(ids.length, s + batchSize);
    await opts.progress?.(done, ids.length);
    log(`labelled ${done}/${ids.length}: ${out.accepted} accepted, ${out.queued} queued, ${out.discarded} discarded`);
  }
  return out;
}

/** Joins a data path given relative to a file's folder. */
export const besides = (file: string, rel: string) => (isAbsolute(rel) ? rel : join(dirname(file), rel));
