import { ValidationError } from '../core/errors.js';
import { SENTIMENTS, type Sentiment } from '../core/types.js';
import { type CalibrationJSON, calibrate, fitCalibration, type ReliabilityBin, reliability } from './calibration.js';
import type { Ensemble } from './ensemble.js';
import {
  decisionReport,
  type GateReport,
  gate,
  gateReport,
  type ProposedThresholds,
  proposeThresholds,
} from './gating.js';
import { stratifiedFolds } from './noise.js';
import type { Decision, LabelInput, Thresholds } from './types.js';

export interface CalibrationReport {
  n: number;
  /** The calibration fitted on all the labelled items (what is saved). */
  calibration: CalibrationJSON;
  /** Thresholds proposed on all the items, after calibration. */
  proposed: ProposedThresholds;
  /** Held-out figures (2-fold cross-fitting: each half scored by a calibration and thresholds fitted on the other). */
  heldOut: {
    eceBefore: number;
    eceAfter: number;
    before: ReliabilityBin[];
    after: ReliabilityBin[];
    /** The configured thresholds on the uncalibrated pooled confidence. */
    seedUncalibrated: GateReport;
    seed: GateReport;
    proposed: GateReport;
  };
  accuracy: number;
  /** Votes that failed, by labeler. */
  labelerErrors: Record<string, number>;
}

/**
 * Fits the ensemble's calibration on labelled reviews and proposes gating thresholds for a target
 * precision. `ensemble` must be uncalibrated (its pooled logits are what is calibrated). The figures
 * shown as held-out come from 2-fold cross-fitting, so they are not scored on the data they were fitted on.
 */
export async function calibrateOnLabelled(
  ensemble: Ensemble,
  examples: ReadonlyArray<LabelInput & { label: Sentiment }>,
  opts: {
    targetPrecision: number;
    seedThresholds: Thresholds;
    source: string;
    progress?: (done: number, total: number) => void;
    signal?: AbortSignal;
  },
): Promise<CalibrationReport> {
  const logits: Float64Array[] = [];
  const y: number[] = [];
  const labelerErrors: Record<string, number> = {};
  for (const [i, e] of examples.entries()) {
    if (opts.signal?.aborted) throw new Error('calibration cancelled');
    try {
      const r = await ensemble.label(e);
      for (const v of r.votes) if (v.error) labelerErrors[v.labeler] = (labelerErrors[v.labeler] ?? 0) + 1;
      logits.push(Float64Array.from(r.logits));
      y.push(SENTIMENTS.indexOf(e.label));
    } catch {
      labelerErrors.ensemble = (labelerErrors.ensemble ?? 0) + 1;
    }
    if ((i + 1) % 50 === 0 || i + 1 === examples.length) opts.progress?.(i + 1, examples.length);
  }
  if (logits.length < 40) {
    throw new ValidationError(
      `calibration needs at least 40 labelled reviews the labelers could answer; got ${logits.length}`,
      'data',
    );
  }
  return { ...crossFitCalibration(logits, y, opts), labelerErrors };
}

/**
 * The fit `calibrateOnLabelled` does, on pooled logits already computed: the calibration (temperature, then
 * isotonic) and the thresholds for `targetPrecision` fitted on all the items, and held-out figures from 2-fold
 * cross-fitting (stratified, seed 11: each half scored by a calibration and thresholds fitted on the other).
 * Pure and deterministic apart from `fittedOn.at` (now, unless `at` is given; `null` leaves it out).
 */
export function crossFitCalibration(
  logits: readonly Float64Array[],
  y: readonly number[],
  opts: {
    targetPrecision: number;
    seedThresholds: Thresholds;
    source: string;
    at?: string | null;
    /** How often the suggestion must be right in the queued band [review, accept) (default 0.7). */
    reviewPrecision?: number;
  },
): Omit<CalibrationReport, 'labelerErrors'> {
  const half = stratifiedFolds(y, 2, 11);
  const n = logits.length;
  const rawConf = new Array<number>(n);
  const rawRight = new Array<boolean>(n);
  const conf = new Array<number>(n);
  const right = new Array<boolean>(n);
  const propDecision = new Array<Decision>(n);
  for (let h = 0; h < 2; h++) {
    const fitIdx = y.map((_, i) => i).filter((i) => half[i] !== h);
    const cal = fitCalibration(
      fitIdx.map((i) => logits[i] as Float64Array),
      fitIdx.map((i) => y[i] as number),
      { at: null },
    );
    const onFit = fitIdx.map((i) => calibrate(cal, logits[i] as Float64Array));
    const prop = proposeThresholds(
      onFit.map((c) => c.confidence),
      onFit.map((c, j) => c.label === y[fitIdx[j] as number]),
      {
        targetPrecision: opts.targetPrecision,
        ...(opts.reviewPrecision ? { reviewPrecision: opts.reviewPrecision } : {}),
      },
    );
    for (let i = 0; i < n; i++) {
      if (half[i] !== h) continue;
      const r0 = calibrate({ method: 'none', temperature: 1 }, logits[i] as Float64Array);
      const r1 = calibrate(cal, logits[i] as Float64Array);
      rawConf[i] = r0.rawConfidence;
      rawRight[i] = r0.label === y[i];
      conf[i] = r1.confidence;
      right[i] = r1.label === y[i];
      propDecision[i] = gate(r1.confidence, prop);
    }
  }
  const relBefore = reliability(rawConf, rawRight);
  const relAfter = reliability(conf, right);
  const calibration = fitCalibration(logits, y, {
    source: opts.source,
    ...(opts.at !== undefined ? { at: opts.at } : {}),
  });
  const all = logits.map((z) => calibrate(calibration, z));
  const proposed = proposeThresholds(
    all.map((c) => c.confidence),
    all.map((c, i) => c.label === y[i]),
    {
      targetPrecision: opts.targetPrecision,
      ...(opts.reviewPrecision ? { reviewPrecision: opts.reviewPrecision } : {}),
    },
  );
  return {
    n,
    calibration,
    proposed,
    heldOut: {
      eceBefore: relBefore.ece,
      eceAfter: relAfter.ece,
      before: relBefore.bins,
      after: relAfter.bins,
      seedUncalibrated: gateReport(rawConf, rawRight, opts.seedThresholds),
      seed: gateReport(conf, right, opts.seedThresholds),
      proposed: decisionReport(propDecision, right),
    },
    accuracy: right.filter(Boolean).length / n,
  };
}
