/** Softmax in place (numerically stable); returns its argument. */
export function softmaxInPlace<T extends Float64Array>(z: T): T {
  let m = -Infinity;
  for (const v of z) m = Math.max(m, v);
  let s = 0;
  for (let i = 0; i < z.length; i++) {
    z[i] = Math.exp((z[i] as number) - m);
    s += z[i] as number;
  }
  for (let i = 0; i < z.length; i++) z[i] = (z[i] as number) / s;
  return z;
}

/**
 * Temperature scaling: the T in 0.25..5 (steps of 0.05) that minimises the log-loss of softmax(logits / T)
 * on held-out data, rounded to two decimals.
 */
export function fitTemperature(logits: readonly Float64Array[], y: readonly number[]): number {
  let best = 1;
  let bestLoss = Infinity;
  for (let t = 0.25; t <= 5.0001; t += 0.05) {
    let loss = 0;
    logits.forEach((z, i) => {
      const p = softmaxInPlace(Float64Array.from(z, (v) => v / t));
      loss -= Math.log(Math.max(1e-12, p[y[i] as number] as number));
    });
    if (loss < bestLoss) {
      bestLoss = loss;
      best = t;
    }
  }
  return Math.round(best * 100) / 100;
}

/** Platt scaling parameters: P(positive) = sigmoid(a * margin + b), margin = logit(positive) - logit(negative). */
export interface PlattScaling {
  a: number;
  b: number;
}

/** The logistic function, computed without overflow. */
export const sigmoid = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

/**
 * Platt scaling (Platt 1999; with the smoothed targets of Lin, Lin & Weng 2007): fits a and b of
 * sigmoid(a * margin + b) to binary labels by Newton's method on the log-loss, with targets
 * (n1 + 1) / (n1 + 2) for positives and 1 / (n0 + 2) for negatives. Deterministic. Throws when the
 * inputs differ in length or a class is absent.
 */
export function fitPlatt(margins: readonly number[], labels: readonly number[]): PlattScaling {
  if (margins.length !== labels.length) throw new Error('fitPlatt: margins and labels differ in length');
  const n1 = labels.filter((l) => l === 1).length;
  const n0 = labels.length - n1;
  if (n1 === 0 || n0 === 0) throw new Error('fitPlatt needs both classes');
  const hi = (n1 + 1) / (n1 + 2);
  const lo = 1 / (n0 + 2);
  const t = labels.map((l) => (l === 1 ? hi : lo));
  let a = 1;
  let b = Math.log((n1 + 1) / (n0 + 1));
  const loss = (A: number, B: number) =>
    margins.reduce((s, m, i) => {
      const p = Math.min(1 - 1e-12, Math.max(1e-12, sigmoid(A * m + B)));
      const ti = t[i] as number;
      return s - ti * Math.log(p) - (1 - ti) * Math.log(1 - p);
    }, 0);
  let cur = loss(a, b);
  for (let it = 0; it < 100; it++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-12;
    let hab = 0;
    let hbb = 1e-12;
    margins.forEach((m, i) => {
      const p = sigmoid(a * m + b);
      const d = p - (t[i] as number);
      const w = p * (1 - p);
      ga += d * m;
      gb += d;
      haa += w * m * m;
      hab += w * m;
      hbb += w;
    });
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-18) break;
    let da = (hbb * ga - hab * gb) / det;
    let db = (haa * gb - hab * ga) / det;
    let step = 1;
    let next = loss(a - da, b - db);
    while (next > cur && step > 1e-6) {
      step /= 2;
      da /= 2;
      db /= 2;
      next = loss(a - da, b - db);
    }
    if (next > cur) break;
    a -= da;
    b -= db;
    const gain = cur - next;
    cur = next;
    if (gain < 1e-10) break;
  }
  return { a, b };
}

/** The calibrated probability of a margin under Platt scaling. */
export const plattProbability = (s: PlattScaling, margin: number): number => sigmoid(s.a * margin + s.b);
