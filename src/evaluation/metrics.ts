/** Classification metrics over integer labels 0..k-1. */
export interface ClassMetrics {
  accuracy: number;
  macro_f1: number;
  per_class: Array<{ precision: number; recall: number; f1: number; support: number }>;
  confusion: number[][];
  n: number;
}

export function classificationMetrics(yTrue: readonly number[], yPred: readonly number[], k: number): ClassMetrics {
  if (yTrue.length !== yPred.length) throw new Error('yTrue and yPred differ in length');
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  yTrue.forEach((t, i) => {
    const p = yPred[i] as number;
    (confusion[t] as number[])[p] = ((confusion[t] as number[])[p] as number) + 1;
    if (t === p) correct++;
  });
  const per_class = confusion.map((row, c) => {
    const tp = row[c] as number;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + (r[c] as number), 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support };
  });
  const present = per_class.filter((c) => c.support > 0);
  return {
    accuracy: yTrue.length ? correct / yTrue.length : 0,
    macro_f1: present.length ? present.reduce((a, c) => a + c.f1, 0) / present.length : 0,
    per_class,
    confusion,
    n: yTrue.length,
  };
}

/** Mean negative log-likelihood of the true classes. */
export function logLoss(probs: readonly ArrayLike<number>[], y: readonly number[]): number {
  let s = 0;
  probs.forEach((p, i) => {
    s -= Math.log(Math.max(1e-12, p[y[i] as number] as number));
  });
  return s / Math.max(1, probs.length);
}

/** Percentile (0..100) of a list of numbers, by linear interpolation. */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = ((s.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}
