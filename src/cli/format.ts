import type { AnalysisResult } from '../core/types.js';

function fmtPct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** The human-readable form of an analysis, as `reviewlens analyze` prints it. */
export function formatAnalysis(r: AnalysisResult): string {
  const bar = (p: number) => '#'.repeat(Math.round(p * 20)).padEnd(20, '.');
  const lines = [
    `sentiment   ${r.sentiment} (confidence ${fmtPct(r.confidence)}, ${r.modality})`,
    ...(['positive', 'neutral', 'negative'] as const).map(
      (s) => `  ${s.padEnd(9)} ${bar(r.scores[s])} ${fmtPct(r.scores[s])}`,
    ),
    `evidence    text: ${r.evidence.text.sentiment} ${fmtPct(r.evidence.text.scores[r.evidence.text.sentiment])}` +
      (r.evidence.image
        ? `; photo: ${r.evidence.image.sentiment} ${fmtPct(r.evidence.image.scores[r.evidence.image.sentiment])}`
        : ''),
    `model       ${r.model.name}@${r.model.version}`,
    `time        ${r.processing_time_ms} ms${r.cached ? ' (cached)' : ''}`,
  ];
  return lines.join('\n');
}

/** Rows of cells -> lines with columns padded to their widest cell. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}
