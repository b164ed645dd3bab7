import { z } from 'zod';
import { bootstrapMacroF1, type Interval, pairedBootstrapDiff } from '../evaluation/bootstrap.js';

/**
 * What a model artifact records about its held-out evaluation so the registry's gate can compare it
 * with production: the evaluation set's identity, the example ids, gold labels and the model's predictions.
 */
export const evalRecordSchema = z.object({
  set: z.string(),
  ids: z.array(z.string()),
  labels: z.array(z.number().int().min(0).max(2)),
  predictions: z.array(z.number().int().min(0).max(2)),
});
export type EvalRecord = z.infer<typeof evalRecordSchema>;

export interface GateConfig {
  /** A candidate below this macro-F1 is never registered. */
  minMacroF1: number;
}

export interface GateDecision {
  passed: boolean;
  reasons: string[];
  candidate: Interval;
  production?: Interval & { version: string };
  /** Candidate minus production macro-F1 on the same examples (paired bootstrap), when comparable. */
  difference?: Interval;
}

/** Reads the evaluation record out of an artifact's metrics (`metrics.gate_eval`), or undefined. */
export function evalRecordOf(metrics: Record<string, unknown>): EvalRecord | undefined {
  const r = evalRecordSchema.safeParse(metrics.gate_eval);
  return r.success ? r.data : undefined;
}

/**
 * The registration gate: the candidate's macro-F1 must reach the floor, and must not be worse than
 * production's beyond a bootstrap interval. On the same evaluation examples the test is a paired
 * bootstrap of the difference (refused when its whole 95% interval is below 0); on different data,
 * the candidate is refused when even its interval's upper end is below production's estimate.
 */
export function gateDecision(
  candidate: EvalRecord,
  production: { version: string; record: EvalRecord } | undefined,
  cfg: GateConfig,
): GateDecision {
  const reasons: string[] = [];
  const cand = bootstrapMacroF1(candidate.labels, candidate.predictions, 3);
  let passed = true;
  if (cand.estimate < cfg.minMacroF1) {
    passed = false;
    reasons.push(`macro-F1 ${cand.estimate.toFixed(3)} is below the floor ${cfg.minMacroF1}`);
  }
  if (!production) {
    reasons.push('no production model to compare with');
    return { passed, reasons, candidate: cand };
  }
  const prod = bootstrapMacroF1(production.record.labels, production.record.predictions, 3);
  const same =
    production.record.set === candidate.set &&
    production.record.ids.length === candidate.ids.length &&
    production.record.ids.every((id, i) => id === candidate.ids[i]);
  const out: GateDecision = { passed, reasons, candidate: cand, production: { ...prod, version: production.version } };
  if (same) {
    const diff = pairedBootstrapDiff(candidate.labels, candidate.predictions, production.record.predictions, 3);
    out.difference = diff;
    if (diff.high < 0) {
      out.passed = false;
      reasons.push(
        `worse than production ${production.version} beyond the bootstrap interval (difference ${diff.estimate.toFixed(3)}, 95% [${diff.low.toFixed(3)}, ${diff.high.toFixed(3)}])`,
      );
    } else {
      reasons.push(
        `versus production ${production.version} on the same examples: difference ${diff.estimate.toFixed(3)}, 95% [${diff.low.toFixed(3)}, ${diff.high.toFixed(3)}]`,
      );
    }
  } else if (cand.high < prod.estimate) {
    out.passed = false;
    reasons.push(
      `evaluated on other data than production (${candidate.set} vs ${production.record.set}); even the upper end of its interval (${cand.high.toFixed(3)}) is below production's macro-F1 ${prod.estimate.toFixed(3)}`,
    );
  } else {
    reasons.push(
      `evaluated on other data than production (${candidate.set} vs ${production.record.set}); intervals overlap`,
    );
  }
  return out;
}
