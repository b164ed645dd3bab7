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
