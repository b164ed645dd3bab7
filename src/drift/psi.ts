/**
 * Population stability index (PSI) and the binning it needs.
 *
 * PSI compares a live distribution A with a reference distribution E over the same bins:
 *   PSI = sum_i (A_i - E_i) * ln(A_i / E_i)
 * with A_i, E_i the shares (0..1) of bin i. Source: N. Siddiqi, "Credit Risk Scorecards" (Wiley, 2006),
 * chapter 8, with its customary reading: below 0.1 no significant shift, 0.1 to 0.25 a moderate shift,
 * above 0.25 a significant shift. An empty bin would make the logarithm infinite; as is usual in practice, every
 * share is floored at `PSI_EPSILON` before the sum (so one empty bin adds a large but finite term).
 */

/** The floor applied to each bin's share before the logarithm (1e-4, i.e. 0.01%). */
export const PSI_EPSILON = 1e-4;

/** Siddiqi's (2006) reading of a PSI value. */
export const PSI_MODERATE = 0.1;
export const PSI_SIGNIFICANT = 0.25;

/** Shares (summing to 1) of `counts`; all zeros when the total is 0. */
export function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((s, c) => s + c, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}

/**
 * PSI of `actual` against `expected`, both shares (or counts: each is normalised to shares) over the same bins.
 * Throws when the two have a different number of bins. Returns 0 for identical distributions, always >= 0.
 */
export function psi(expected: readonly number[], actual: readonly number[], epsilon = PSI_EPSILON): number {
  if (expected.length !== actual.length) {
    throw new Error(`PSI needs the same bins on both sides (${expected.length} reference bins, ${actual.length} live)`);
  }
  const e = shares(expected);
  const a = shares(actual);
  let sum = 0;
  for (let i = 0; i < e.length; i++) {
    const ei = Math.max(e[i] as number, epsilon);
    const ai = Math.max(a[i] as number, epsilon);
    sum += (ai - ei) * Math.log(ai / ei);
  }
  return sum;
}

/**
 * Bin index of `value` for bins split at `edges` (ascending): bin 0 is (-inf, edges[0]], bin i is
 * (edges[i-1], edges[i]], the last bin (edges[n-1], +inf). `edges.length + 1` bins in all.
 */
export function binOf(value: number, edges: readonly number[]): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= (edges[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Counts of `values` in the bins split at `edges` (see `binOf`). */
export function histogram(values: Iterable<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) counts[binOf(v, edges)] = (counts[binOf(v, edges)] as number) + 1;
  return counts;
}

/**
 * Split points for `bins` bins of (about) equal reference mass: the reference's quantiles at 1/bins, 2/bins, ...
 * (the "deciles of the reference" binning customary for PSI when bins = 10). Repeated quantiles (a value that
 * fills more than one bin) are merged, so fewer bins may come back. Throws on an empty reference.
 */
export function quantileEdges(values: readonly number[], bins = 10): number[] {
  if (values.length === 0) throw new Error('cannot bin an empty reference');
  const sorted = [...values].sort((x, y) => x - y);
  const edges: number[] = [];
  for (let q = 1; q < bins; q++) {
    const v = sorted[Math.min(sorted.length - 1, Math.floor((q * sorted.length) / bins) - 1)] as number;
    if (edges.length === 0 || v > (edges[edges.length - 1] as number)) edges.push(v);
  }
  // The top edge equal to the maximum would leave the last bin empty by construction: drop it.
  while (edges.length > 0 && (edges[edges.length - 1] as number) >= (sorted[sorted.length - 1] as number)) edges.pop();
  return edges;
}
