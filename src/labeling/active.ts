/**
 * Active learning: which unlabelled reviews a human should label first. Uncertainty (the margin between
 * the two most likely classes, or the entropy) says where the model is unsure; diversity (k-center
 * greedy on the text embeddings) keeps a batch from being twenty copies of the same unsure review.
 */

export type UncertaintyKind = 'margin' | 'entropy';

/** Uncertainty of a probability vector in 0..1: 1 - (p1 - p2) for margin, normalised entropy for entropy. */
export function uncertainty(p: ArrayLike<number>, kind: UncertaintyKind = 'margin'): number {
  if (kind === 'entropy') {
    let h = 0;
    for (let i = 0; i < p.length; i++) {
      const v = p[i] as number;
      if (v > 0) h -= v * Math.log(v);
    }
    return h / Math.log(p.length);
  }
  let a = -1;
  let b = -1;
  for (let i = 0; i < p.length; i++) {
    const v = p[i] as number;
    if (v > a) {
      b = a;
      a = v;
    } else if (v > b) b = v;
  }
  return 1 - (a - Math.max(0, b));
}

function dist2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    s += d * d;
  }
  return s;
}

export interface SelectOptions {
  /** Weight of uncertainty against diversity, 0..1 (default 0.5). */
  alpha?: number;
  kind?: UncertaintyKind;
}

/**
 * Orders candidates for labelling: greedily picks the candidate with the best mix of uncertainty and
 * distance to everything already labelled or picked (k-center greedy; distances scaled by the largest
 * one at the start), `count` times. Returns candidate indexes in pick order with each pick's score.
 */
export function selectBatch(
  probs: readonly ArrayLike<number>[],
  embeddings: readonly ArrayLike<number>[],
  labelled: readonly ArrayLike<number>[],
  count: number,
  opts: SelectOptions = {},
): Array<{ index: number; score: number }> {
  const alpha = opts.alpha ?? 0.5;
  const n = probs.length;
  const u = probs.map((p) => uncertainty(p, opts.kind));
  const minD = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  for (let i = 0; i < n; i++)
    for (const l of labelled) minD[i] = Math.min(minD[i] as number, dist2(embeddings[i] as ArrayLike<number>, l));
  const taken = new Uint8Array(n);
  const out: Array<{ index: number; score: number }> = [];
  for (let k = 0; k < Math.min(count, n); k++) {
    let maxD = 0;
    for (let i = 0; i < n; i++)
      if (!taken[i] && Number.isFinite(minD[i] as number)) maxD = Math.max(maxD, minD[i] as number);
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      if (taken[i]) continue;
      const d = Number.isFinite(minD[i] as number) && maxD > 0 ? Math.sqrt((minD[i] as number) / maxD) : 1;
      const s = alpha * (u[i] as number) + (1 - alpha) * d;
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    taken[best] = 1;
    out.push({ index: best, score: bestScore });
    const e = embeddings[best] as ArrayLike<number>;
    for (let i = 0; i < n; i++)
      if (!taken[i]) minD[i] = Math.min(minD[i] as number, dist2(embeddings[i] as ArrayLike<number>, e));
  }
  return out;
}

/**
 * Queue priorities for a batch of queued items: uncertainty alone when embeddings are missing, else the
 * `selectBatch` order turned into priorities in 0..1 (first pick highest), so the queue's "next" is the
 * review that teaches the model most.
 */
export function queuePriorities(
  probs: readonly ArrayLike<number>[],
  embeddings: ReadonlyArray<ArrayLike<number> | undefined>,
  opts: SelectOptions = {},
): number[] {
  const n = probs.length;
  if (n === 0) return [];
  if (embeddings.some((e) => !e)) return probs.map((p) => round(uncertainty(p, opts.kind)));
  const order = selectBatch(probs, embeddings as ArrayLike<number>[], [], n, opts);
  const pr = new Array<number>(n).fill(0);
  order.forEach((o, rank) => {
    pr[o.index] = round(1 - rank / n);
  });
  return pr;
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;
