import { argmaxSentiment, scoresFromArray } from '../core/types.js';
import type { ArtifactLabeling } from '../models/artifact.js';
import { crossFitCalibration } from './calibrate-run.js';
import { poolVotes, voteOf } from './ensemble.js';
import { DEFAULT_THRESHOLDS } from './gating.js';
import { lexiconLabel } from './lexicon-labeler.js';

/**
 * The labeling block a model artifact ships (`artifact.labeling`, schema in src/models/artifact.ts):
 * `{ calibration: { method, temperature, isotonic?: { x, y }, fittedOn?: { source, n, at? } },
 *    labelers: string[], thresholds: { accept, review },
 *    report?: { n, precision, coverage, ece_before, ece_after } }`.
 */
export type ShippedLabeling = ArtifactLabeling;

/** The labelers a shipped calibration is fitted for: the runtime ensemble without an LLM, in its order. */
export const SHIPPED_LABELERS = ['classifier', 'lexicon'] as const;

/** Precision of auto-accepted labels the shipped thresholds aim at. */
export const SHIPPED_TARGET_PRECISION = 0.9;
/**
 * How often the suggestion must be right in the band sent to the human queue. Lower than `label calibrate`'s
 * 0.7: with calibrated confidences the items just below the accept threshold are right about 60-70% of the
 * time, and at 0.7 the band is empty, so nothing would reach a human and every uncertain item would be discarded.
 */
export const SHIPPED_REVIEW_PRECISION = 0.5;

/** One held-out item for `fitShippedCalibration`. */
export interface ShippedCalibrationItem {
  /** The review text, as the runtime labelers see it (the lexicon's vote is computed from it). */
  text: string;
  /**
   * The classifier's class probabilities [negative, neutral, positive] for this item, as the shipped analyzer
   * gives them (after the artifact's own temperature), from a model that never trained on the item
   * (out-of-fold, or a split held out from the classifier).
   */
  classifierProbs: readonly number[];
  /** Gold label: 0 negative, 1 neutral, 2 positive. */
  label: 0 | 1 | 2;
}

/**
 * The pooled logits the runtime ensemble computes for a text when the classifier says `classifierProbs`:
 * the classifier's vote and the lexicon's (`LexiconLabeler`, VADER), rounded as the ensemble records votes,
 * pooled by `poolVotes` with the default weights (classifier 1, lexicon 0.05).
 */
export function shippedPooledLogits(text: string, classifierProbs: ArrayLike<number>): Float64Array {
  const probs = scoresFromArray(classifierProbs);
  const label = argmaxSentiment(probs);
  const z = poolVotes([
    voteOf('classifier', { label, confidence: probs[label], probs }),
    voteOf('lexicon', lexiconLabel(text)),
  ]);
  if (!z) throw new Error('no vote could be pooled');
  return z;
}

const r4 = (v: number) => Math.round(v * 1e4) / 1e4;

/**
 * Fits the calibration and gating thresholds a model artifact ships (`artifact.labeling`), at train time, so
 * that a fresh install gates on calibrated confidence without `reviewlens label calibrate`.
 *
 * Input: held-out items `{ text, classifierProbs: [neg, neu, pos], label: 0 | 1 | 2 }[]` (at least 40) whose
 * classifier probabilities come from a model that never trained on them (out-of-fold, or a split the classifier
 * did not see): in-sample probabilities are over-confident and would make the shipped thresholds accept wrong
 * labels. For each item the lexicon's vote is computed from `text` and pooled with the classifier's exactly as
 * the runtime `Ensemble` pools them (`shippedPooledLogits`); the calibration is fitted on the pooled logits as
 * `label calibrate` does: temperature scaling (Guo et al., 2017), then isotonic regression of the top-class
 * confidence against being right (pool-adjacent-violators; Zadrozny & Elkan, 2002), with held-out figures from
 * 2-fold cross-fitting (`crossFitCalibration`). Thresholds come from `proposeThresholds` on all the items for
 * `targetPrecision` (default 0.9; review band: right at least SHIPPED_REVIEW_PRECISION = 50% of the time); when no
 * threshold reaches the target, accept is 1 (nothing auto-accepted) and review the seed's 0.7.
 *
 * Output: `{ calibration: { method, temperature, isotonic, fittedOn: { source, n, at? } }, labelers:
 * ['classifier', 'lexicon'], thresholds: { accept, review }, report: { n, precision, coverage, ece_before,
 * ece_after } }`, where the report's precision and coverage are those of the thresholds on held-out halves
 * (cross-fitted), not on the items they were chosen on. Deterministic: the same items give the same block
 * (`fittedOn.at` only when `at` is given, e.g. the artifact's `created_at`).
 */
export function fitShippedCalibration(
  items: readonly ShippedCalibrationItem[],
  opts: { targetPrecision?: number; source?: string; at?: string } = {},
): ShippedLabeling {
  if (items.length < 40) {
    throw new Error(`the shipped calibration needs at least 40 held-out items; got ${items.length}`);
  }
  const logits: Float64Array[] = [];
  const y: number[] = [];
  for (const [i, it] of items.entries()) {
    if (it.classifierProbs.length !== 3 || it.classifierProbs.some((p) => !Number.isFinite(p) || p < 0)) {
      throw new Error(`item ${i}: classifierProbs must be 3 probabilities [negative, neutral, positive]`);
    }
    if (it.label !== 0 && it.label !== 1 && it.label !== 2) throw new Error(`item ${i}: label must be 0, 1 or 2`);
    logits.push(shippedPooledLogits(it.text, it.classifierProbs));
    y.push(it.label);
  }
  const targetPrecision = opts.targetPrecision ?? SHIPPED_TARGET_PRECISION;
  const r = crossFitCalibration(logits, y, {
    targetPrecision,
    seedThresholds: DEFAULT_THRESHOLDS,
    reviewPrecision: SHIPPED_REVIEW_PRECISION,
    source: opts.source ?? 'held-out items (classifier probabilities out of fold) at train time',
    at: opts.at ?? null,
  });
  const thresholds = r.proposed.reached
    ? { accept: r.proposed.accept, review: r.proposed.review }
    : { accept: 1, review: DEFAULT_THRESHOLDS.review };
  const held = r.heldOut.proposed;
  return {
    calibration: r.calibration,
    labelers: [...SHIPPED_LABELERS],
    thresholds,
    report: {
      n: r.n,
      precision: held.precision === null ? null : r4(held.precision),
      coverage: r4(held.coverage),
      ece_before: r4(r.heldOut.eceBefore),
      ece_after: r4(r.heldOut.eceAfter),
    },
  };
}
