import { z } from 'zod';
import { bootstrapMacroF1, type Interval, pairedBootstrapDiff } from '../evaluation/bootstrap.js';
import type { ReportSummary } from '../evaluation/report/types.js';

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

export interface ReportGateConfig {
  /** Least lower end of the report's overall macro-F1 95% interval (`training.gate.reportMinMacroF1`). */
  reportMinMacroF1: number;
}

/**
 * The gate's reading of a candidate's stored evaluation report (`training.gate.useReport`; the report is the
 * pipeline's `evaluate` step's, summarised by `summarizeReport`). It passes when (1) there is a report, (2) the
 * lower end of its overall macro-F1 bootstrap 95% interval is at least `reportMinMacroF1`, and (3) when the report
 * compared the candidate with a production model: that model is production now, and on no data set is the
 * candidate worse beyond the paired-bootstrap interval (the difference's upper end below 0) — the rule of
 * `gateDecision`, on the report's data. A report without a comparison is judged on (2) alone, and says so.
 */
export function reportGateDecision(
  summary: ReportSummary | undefined,
  production: { name: string; version: string } | undefined,
  cfg: ReportGateConfig,
): { passed: boolean; reasons: string[] } {
  if (!summary) {
    return {
      passed: false,
      reasons: ['no evaluation report is stored for it (training.gate.useReport): run the pipeline step `evaluate`'],
    };
  }
  const reasons: string[] = [];
  let passed = true;
  const f = (x: number) => x.toFixed(3);
  const m = summary.macro_f1;
  if (m.low < cfg.reportMinMacroF1) {
    passed = false;
    reasons.push(
      `report: macro-F1 ${f(m.estimate)}, 95% [${f(m.low)}, ${f(m.high)}] on ${summary.n} reviews; the lower end is below ${cfg.reportMinMacroF1}`,
    );
  } else {
    reasons.push(
      `report: macro-F1 ${f(m.estimate)}, 95% [${f(m.low)}, ${f(m.high)}] on ${summary.n} reviews (lower end at least ${cfg.reportMinMacroF1})`,
    );
  }
  const ref = (r: { name: string; version: string }) => `${r.name}@${r.version}`;
  if (!summary.against) {
    reasons.push('report: not compared with production; the difference is not judged');
  } else if (!production || ref(production) !== ref(summary.against)) {
    passed = false;
    reasons.push(
      `report: compared with ${ref(summary.against)}, but production is ${production ? ref(production) : 'none'} now: evaluate again (run parameter reevaluate: true)`,
    );
  } else {
    for (const s of summary.sets) {
      if (!s.difference) continue;
      const d = s.difference;
      const line = `${s.set}: difference ${f(d.estimate)}, 95% [${f(d.low)}, ${f(d.high)}]`;
      if (d.high < 0) {
        passed = false;
        reasons.push(`report: worse than production ${ref(summary.against)} beyond the bootstrap interval on ${line}`);
      } else {
        reasons.push(`report: versus production ${ref(summary.against)} on ${line}`);
      }
    }
  }
  return { passed, reasons };
}
