import { seededRandom } from '../core/random.js';
import { classificationMetrics } from './metrics.js';

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round((s.length - 1) * q)))] as number;
};

/** Percentile interval of `stat` over resamples of n examples drawn with replacement (fixed seed). */
function resampled(n: number, opts: { resamples?: number; seed?: number }, stat: (idx: number[]) => number) {
  const rand = seededRandom(opts.seed ?? 7);
  const stats: number[] = [];
  for (let r = 0; r < (opts.resamples ?? 1000); r++) {
    stats.push(stat(Array.from({ length: n }, () => Math.floor(rand() * n))));
  }
  return { low: pct(stats, 0.025), high: pct(stats, 0.975) };
}

const macroF1Of = (yTrue: readonly number[], yPred: readonly number[], k: number, idx: number[]) =>
  classificationMetrics(
    idx.map((j) => yTrue[j] as number),
    idx.map((j) => yPred[j] as number),
    k,
  ).macro_f1;

/** Bootstrap (percentile) 95% interval of macro-F1, resampling examples with a fixed seed. */
export function bootstrapMacroF1(
  yTrue: readonly number[],
  yPred: readonly number[],
  k: number,
  opts: { resamples?: number; seed?: number } = {},
): Interval {
  const ci = resampled(yTrue.length, { seed: 7, ...opts }, (idx) => macroF1Of(yTrue, yPred, k, idx));
  return { estimate: classificationMetrics(yTrue, yPred, k).macro_f1, ...ci };
}

/**
 * Paired bootstrap of the macro-F1 difference `a - b` of two predictors on the same examples:
 * each resample draws the same examples for both. The difference is significant when the interval
 * excludes 0.
 */
export function pairedBootstrapDiff(
  yTrue: readonly number[],
  predA: readonly number[],
  predB: readonly number[],
  k: number,
  opts: { resamples?: number; seed?: number } = {},
): Interval {
  const ci = resampled(
    yTrue.length,
    { seed: 11, ...opts },
    (idx) => macroF1Of(yTrue, predA, k, idx) - macroF1Of(yTrue, predB, k, idx),
  );
  const estimate = classificationMetrics(yTrue, predA, k).macro_f1 - classificationMetrics(yTrue, predB, k).macro_f1;
  return { estimate, ...ci };
}

/**
 * Paired bootstrap of the mean difference `a - b` of per-item scores (e.g. nDCG@10 per query of two
 * rankers on the same queries). Significant when the interval excludes 0.
 */
export function pairedMeanDiff(
  a: readonly number[],
  b: readonly number[],
  opts: { resamples?: number; seed?: number } = {},
): Interval {
  if (a.length !== b.length || a.length === 0) throw new Error('pairedMeanDiff needs two equal, non-empty lists');
  const d = a.map((x, i) => x - (b[i] as number));
  const mean = (idx: number[]) => idx.reduce((s, j) => s + (d[j] as number), 0) / idx.length;
  const ci = resampled(d.length, { seed: 13, ...opts }, mean);
  return { estimate: mean(d.map((_, i) => i)), ...ci };
}

/**
 * Bootstrap (percentile) 95% interval of the mean of per-item values (e.g. 1/0 correctness, or a pair's mean
 * correctness for a balanced set resampled by pairs), resampling items with a fixed seed.
 * @throws Error on an empty list.
 */
export function bootstrapMean(values: readonly number[], opts: { resamples?: number; seed?: number } = {}): Interval {
  if (values.length === 0) throw new Error('bootstrapMean needs a non-empty list');
  const mean = (idx: number[]) => idx.reduce((s, j) => s + (values[j] as number), 0) / idx.length;
  const ci = resampled(values.length, { seed: 17, ...opts }, mean);
  return { estimate: mean(values.map((_, i) => i)), ...ci };
}

/** One equal-width confidence bin of a reliability table. */
export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  /** Mean confidence in the bin. */
  confidence: number;
  /** Share right in the bin. */
  accuracy: number;
}

/**
 * Reliability table (equal-width bins of confidence) and the expected calibration error (Naeini et al. 2015,
 * Guo et al. 2017): the count-weighted mean of |accuracy - confidence| over the bins.
 */
export function reliability(
  conf: readonly number[],
  correct: readonly boolean[],
  bins = 10,
): { ece: number; bins: ReliabilityBin[] } {
  const out: ReliabilityBin[] = Array.from({ length: bins }, (_, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: 0,
    confidence: 0,
    accuracy: 0,
  }));
  conf.forEach((c, i) => {
    const b = out[Math.min(bins - 1, Math.max(0, Math.floor(c * bins)))] as ReliabilityBin;
    b.count++;
    b.confidence += c;
    b.accuracy += correct[i] ? 1 : 0;
  });
  let ece = 0;
  for (const b of out) {
    if (!b.count) continue;
    b.confidence /= b.count;
    b.accuracy /= b.count;
    ece += (b.count / conf.length) * Math.abs(b.accuracy - b.confidence);
  }
  return { ece, bins: out };
}

/** Expected calibration error with equal-width confidence bins (top-class confidence vs accuracy). */
export function expectedCalibrationError(
  probs: readonly ArrayLike<number>[],
  yTrue: readonly number[],
  bins = 10,
): { ece: number; bins: ReliabilityBin[] } {
  const conf: number[] = [];
  const correct: boolean[] = [];
  probs.forEach((p, i) => {
    let best = 0;
    for (let c = 1; c < p.length; c++) if ((p[c] as number) > (p[best] as number)) best = c;
    conf.push(p[best] as number);
    correct.push(best === yTrue[i]);
  });
  return reliability(conf, correct, bins);
}
