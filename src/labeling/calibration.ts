import { type ReliabilityBin, reliability } from '../evaluation/bootstrap.js';
import { fitTemperature, softmaxInPlace } from '../models/index.js';

/**
 * Calibration of the ensemble's confidence, fitted on labelled data the labelers never trained on:
 * temperature scaling of the pooled logits (the class probabilities), then isotonic regression of the
 * top-class confidence against being right (pool-adjacent-violators), so "0.9" means right 9 times in 10
 * on data like the calibration set. Raw LLM and lexicon confidences are not probabilities; this is
 * what makes the gating thresholds mean what they say.
 */
export interface CalibrationJSON {
  method: 'none' | 'temperature' | 'temperature+isotonic';
  temperature: number;
  /** Isotonic step function: confidence at or below `x[i]` (and above `x[i-1]`) maps to `y[i]`. */
  isotonic?: { x: number[]; y: number[] };
  /** What it was fitted on (a description, how many items and, when known, when), for reports. */
  fittedOn?: { source: string; n: number; at?: string };
}

export const NO_CALIBRATION: CalibrationJSON = { method: 'none', temperature: 1 };

export interface Calibrated {
  /** Class probabilities after temperature scaling (negative, neutral, positive). */
  probs: Float64Array;
  /** Index of the top class. */
  label: number;
  /** Top-class probability before the isotonic map. */
  rawConfidence: number;
  /** Calibrated confidence the gate reads. */
  confidence: number;
}

export function argmax(p: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < p.length; i++) if ((p[i] as number) > (p[b] as number)) b = i;
  return b;
}

/** Applies a calibration to pooled logits. */
export function calibrate(cal: CalibrationJSON, logits: ArrayLike<number>): Calibrated {
  const probs = softmaxInPlace(Float64Array.from(logits, (v) => v / cal.temperature));
  const label = argmax(probs);
  const rawConfidence = probs[label] as number;
  return {
    probs,
    label,
    rawConfidence,
    confidence: cal.isotonic ? isotonicAt(cal.isotonic, rawConfidence) : rawConfidence,
  };
}

function isotonicAt(iso: { x: number[]; y: number[] }, c: number): number {
  // First block whose upper end reaches c; past the last block, the last value.
  let lo = 0;
  let hi = iso.x.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((iso.x[mid] as number) >= c) hi = mid;
    else lo = mid + 1;
  }
  return iso.y[lo] ?? 0;
}

/** Isotonic (non-decreasing) fit of `correct` (0/1) on `conf` by pool-adjacent-violators. */
export function fitIsotonic(
  conf: readonly number[],
  correct: readonly number[],
  prior = 2,
): { x: number[]; y: number[] } {
  const order = conf.map((_, i) => i).sort((a, b) => (conf[a] as number) - (conf[b] as number));
  const blocks: Array<{ sum: number; n: number; hi: number }> = [];
  for (const i of order) {
    blocks.push({ sum: correct[i] as number, n: 1, hi: conf[i] as number });
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1] as (typeof blocks)[number];
      const a = blocks[blocks.length - 2] as (typeof blocks)[number];
      // Equal neighbours are pooled too, so the map has as few steps as it needs.
      if (a.sum / a.n < b.sum / b.n) break;
      blocks.splice(blocks.length - 2, 2, { sum: a.sum + b.sum, n: a.n + b.n, hi: b.hi });
    }
  }
  // Each step is shrunk towards the overall rate by `prior` pseudo-observations, so a step of a handful of
  // items (at the extremes) does not map to exactly 0 or 1; a running maximum keeps the map non-decreasing.
  const total = correct.reduce((a, b) => a + b, 0) / Math.max(1, correct.length);
  const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
  const y: number[] = [];
  for (const b of blocks) y.push(Math.max(y[y.length - 1] ?? 0, (b.sum + prior * total) / (b.n + prior)));
  return { x: blocks.map((b) => r4(b.hi)), y: y.map(r4) };
}

/**
 * Fits the calibration on held-out pooled logits and their true labels: temperature scaling (Guo et al.,
 * 2017), then isotonic regression of the top-class confidence (Zadrozny & Elkan, 2002). `at` is recorded in
 * `fittedOn` (default: now; `null` leaves it out, for a result that depends on the data only).
 */
export function fitCalibration(
  logits: readonly Float64Array[],
  y: readonly number[],
  opts: { isotonic?: boolean; source?: string; at?: string | null } = {},
): CalibrationJSON {
  if (logits.length === 0) throw new Error('calibration needs labelled examples');
  const temperature = fitTemperature(logits, y);
  const base: CalibrationJSON = {
    method: 'temperature',
    temperature,
    fittedOn: {
      source: opts.source ?? 'labelled data',
      n: logits.length,
      ...(opts.at === null ? {} : { at: opts.at ?? new Date().toISOString() }),
    },
  };
  if (opts.isotonic === false) return base;
  const t = logits.map((z) => calibrate(base, z));
  const iso = fitIsotonic(
    t.map((c) => c.rawConfidence),
    t.map((c, i) => (c.label === y[i] ? 1 : 0)),
  );
  return { ...base, method: 'temperature+isotonic', isotonic: iso };
}

export { type ReliabilityBin, reliability };

/** A reliability diagram as an SVG: accuracy per confidence bin for each series, and the diagonal. */
export function reliabilitySvg(series: Array<{ name: string; bins: ReliabilityBin[]; color: string }>): string {
  const W = 420;
  const P = 40;
  const S = W - 2 * P;
  const px = (v: number) => P + v * S;
  const py = (v: number) => W - P - v * S;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${W + 20}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="#999" stroke-dasharray="4"/>`,
    `<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(0)}" stroke="black"/>`,
    `<line x1="${px(0)}" y1="${py(0)}" x2="${px(0)}" y2="${py(1)}" stroke="black"/>`,
    `<text x="${W / 2}" y="${W - 8}" text-anchor="middle">confidence</text>`,
    `<text x="12" y="${W / 2}" transform="rotate(-90 12 ${W / 2})" text-anchor="middle">accuracy</text>`,
  ];
  for (let t = 0; t <= 10; t += 2) {
    parts.push(`<text x="${px(t / 10)}" y="${py(0) + 14}" text-anchor="middle">${t / 10}</text>`);
    parts.push(`<text x="${px(0) - 6}" y="${py(t / 10) + 4}" text-anchor="end">${t / 10}</text>`);
  }
  series.forEach((s, k) => {
    const pts = s.bins
      .filter((b) => b.count > 0)
      .map((b) => `${px(b.confidence).toFixed(1)},${py(b.accuracy).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of pts) {
      const [x, y] = p.split(',');
      parts.push(`<circle cx="${x}" cy="${y}" r="3" fill="${s.color}"/>`);
    }
    parts.push(`<text x="${P + 8}" y="${P + 14 * (k + 1)}" fill="${s.color}">${s.name}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
