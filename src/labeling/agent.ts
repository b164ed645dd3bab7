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
import { Ensemble, type EnsembleResult } from './ensemble.js';
import { gate } from './gating.js';
import { LexiconLabeler } from './lexicon-labeler.js';
import { LlmLabeler } from './llm-labeler.js';
import { LabelQueue } from './queue.js';
import type { Decision, Labeler, LabelInput, Thresholds } from './types.js';

/** Where the ensemble's calibration is kept: `labeling.calibrationFile` or `<dataDir>/labeling/calibration.json`. */
export function calibrationPath(config: Config): string {
  const f = config.labeling.calibrationFile;
  if (f === '') return resolve(config.dataDir, 'labeling', 'calibration.json');
  return isAbsolute(f) ? f : resolve(f);
}

/** A stored calibration with the labelers it was fitted for. */
export interface StoredCalibration extends CalibrationJSON {
  labelers: string[];
  model?: string;
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

/** The labelers the configuration gives: the production classifier, the lexicon, and the LLM when `llm.url` is set. */
export async function buildLabelers(
  config: Config,
  deps: { registry: ModelRegistry; encoders(): Promise<Encoders> },
): Promise<{ labelers: Labeler[]; model: string }> {
  const artifact = await deps.registry.production();
  const analyzer = new Analyzer(artifact, await deps.encoders(), { ...config.limits }, config.models.useImage);
  const labelers: Labeler[] = [new ClassifierLabeler(analyzer), new LexiconLabeler()];
  const llm = config.labeling.useLlm ? LlmLabeler.fromConfig(config) : undefined;
  if (llm) labelers.push(llm);
  return { labelers, model: `${artifact.name}@${artifact.version}` };
}

/** The ensemble over `labelers` with the stored calibration (identity, and a warning, before `label calibrate`). */
export function buildEnsemble(config: Config, labelers: Labeler[], warn: (m: string) => void = () => {}): Ensemble {
  const { calibration, calibrated } = loadCalibration(config);
  if (!calibrated) {
    warn(
      `no labeling calibration at ${calibrationPath(config)}: confidences are uncalibrated; run \`reviewlens label calibrate\``,
    );
  } else {
    const fitted = (calibration as StoredCalibration).labelers ?? [];
    const now = labelers.map((l) => l.name);
    if (fitted.join(',') !== now.join(',')) {
      warn(
        `the calibration was fitted for labelers ${fitted.join(', ')} but ${now.join(', ')} are running; re-run \`reviewlens label calibrate\``,
      );
    }
  }
  return new Ensemble(labelers, { calibration, labelerTimeoutMs: config.labeling.labelerTimeoutMs });
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
  thresholds: Thresholds;
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
  const out: LabelRunResult = {
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
        batch.push({ id, result, decision: gate(result.confidence, opts.thresholds) });
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
        thresholds: opts.thresholds,
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
