import type { EvalReport, ReportSummary } from './types.js';

/**
 * The figures of a report that the registry keeps beside it and the promotion gate may read
 * (`training.gate.useReport`): the candidate's overall accuracy and macro-F1 (fused answers over every item of
 * every set, bootstrap 95% intervals), and per data set its macro-F1 and, when the report compared it with
 * production, the paired-bootstrap difference (candidate minus production). Pure: same report, same summary.
 */
export function summarizeReport(report: EvalReport): ReportSummary {
  const cand = report.models[0];
  if (!cand) throw new Error('summarizeReport: the report has no model figures');
  return {
    format: 'reviewlens.report-summary/1',
    model: report.model,
    against: report.against ?? null,
    created_at: report.created_at,
    n: cand.overall.n,
    accuracy: cand.overall.accuracy,
    macro_f1: cand.overall.macro_f1,
    sets: cand.sets.map((s) => {
      const d = report.comparison?.find((c) => c.what === `${s.set}: macro-F1`);
      return {
        set: s.set,
        n: s.classification.n,
        macro_f1: s.classification.macro_f1,
        difference: d ? d.diff : null,
        ...(d ? { production_macro_f1: d.production } : {}),
      };
    }),
    data: report.data.map((d) => ({ name: d.name, sha256: d.sha256, n: d.n })),
  };
}
