import type { Decision, Thresholds } from './types.js';

/** The seed's thresholds: >= 0.9 accepted, 0.7-0.9 to the human queue, < 0.7 discarded. */
export const DEFAULT_THRESHOLDS: Thresholds = { accept: 0.9, review: 0.7 };

/** The gate: what happens to a label of this (calibrated) confidence. */
export function gate(confidence: number, t: Thresholds): Decision {
  if (confidence >= t.accept) return 'accepted';
  if (confidence >= t.review) return 'queued';
  return 'discarded';
}

export interface GateReport {
  n: number;
  /** Share auto-accepted. */
  coverage: number;
  accepted: number;
  /** Precision of the auto-accepted labels (null when none). */
  precision: number | null;
  queued: number;
  /** How often the suggestion shown to the human is right, on queued items. */
  queuedAccuracy: number | null;
  discarded: number;
}

/** How a gate does on labelled data: coverage and precision of what it accepts, what it queues. */
export function gateReport(conf: readonly number[], correct: readonly boolean[], t: Thresholds): GateReport {
  return decisionReport(
    conf.map((c) => gate(c, t)),
    correct,
  );
}

/**
 * The same report from decisions already made (e.g. each item at its own fold's thresholds): coverage and
 * precision of the accepted items, accuracy of the suggestions on the queued ones, how many were discarded.
 */
export function decisionReport(decisions: readonly Decision[], correct: readonly boolean[]): GateReport {
  let acc = 0;
  let accRight = 0;
  let q = 0;
  let qRight = 0;
  let d = 0;
  decisions.forEach((g, i) => {
    if (g === 'accepted') {
      acc++;
      if (correct[i]) accRight++;
    } else if (g === 'queued') {
      q++;
      if (correct[i]) qRight++;
    } else d++;
  });
  const n = decisions.length;
  return {
    n,
    coverage: n ? acc / n : 0,
    accepted: acc,
    precision: acc ? accRight / acc : null,
    queued: q,
    queuedAccuracy: q ? qRight / q : null,
    discarded: d,
  };
}

export interface ProposedThresholds extends Thresholds {
  /** Precision and coverage of the proposed accept threshold on the data it was chosen on. */
  precision: number | null;
  coverage: number;
  /** False when no threshold reached the target with enough support (then accept is 1: nothing auto-accepted). */
  reached: boolean;
}

/**
 * Thresholds for a target precision of auto-accepted labels: `accept` is the lowest confidence at which
 * the labels at or above it are right at least `targetPrecision` of the time (with at least `minSupport`
 * of them), so coverage is as high as the target allows. `review` is the lowest confidence at which the
 * band [review, accept) is still right at least `reviewPrecision` (default 0.7) of the time: below it the suggestion is
 * more often wrong than a human would want to start from, and the item is discarded.
 */
export function proposeThresholds(
  conf: readonly number[],
  correct: readonly boolean[],
  opts: { targetPrecision: number; minSupport?: number; reviewPrecision?: number },
): ProposedThresholds {
  const minSupport = opts.minSupport ?? 20;
  const order = conf.map((_, i) => i).sort((a, b) => (conf[b] as number) - (conf[a] as number));
  const n = conf.length;
  let right = 0;
  let accept = 1;
  let precision: number | null = null;
  let covered = 0;
  // Walk down from the most confident; a threshold sits between distinct confidence values.
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    if (correct[i]) right++;
    const next = order[k + 1];
    if (next !== undefined && conf[next] === conf[i]) continue;
    const m = k + 1;
    if (m >= minSupport && right / m >= opts.targetPrecision) {
      accept = conf[i] as number;
      precision = right / m;
      covered = m;
    }
  }
  const reached = precision !== null;
  let review = accept;
  if (reached) {
    const band = order.slice(covered);
    let bRight = 0;
    for (let k = 0; k < band.length; k++) {
      const i = band[k] as number;
      if (correct[i]) bRight++;
      const next = band[k + 1];
      if (next !== undefined && conf[next] === conf[i]) continue;
      if (bRight / (k + 1) >= (opts.reviewPrecision ?? 0.7)) review = conf[i] as number;
    }
  }
  return { accept, review: Math.min(review, accept), precision, coverage: n ? covered / n : 0, reached };
}
