import { seededRandom, shuffleInPlace } from '../core/random.js';
import { SoftmaxHead } from '../models/index.js';

/** Stratified fold number for each item (seeded). */
export function stratifiedFolds(y: readonly number[], k: number, seed: number): number[] {
  const rand = seededRandom(seed);
  const fold = new Array<number>(y.length).fill(0);
  const classes = [...new Set(y)].sort((a, b) => a - b);
  let offset = 0;
  for (const c of classes) {
    const ids = shuffleInPlace(
      y.map((v, i) => (v === c ? i : -1)).filter((i) => i >= 0),
      rand,
    );
    ids.forEach((i, j) => {
      fold[i] = (j + offset) % k;
    });
    offset += ids.length;
  }
  return fold;
}

/**
 * Training settings of the labeling agent's small classifier head (the softmax head training uses). L2 0.1 was
 * chosen by 2-fold cross-validated log-loss on MVSA-Single (L2 0.003: 1.03, 0.03: 0.89, 0.1: 0.84, 0.3: 0.83): weaker
 * L2 gave over-confident out-of-fold probabilities, which inflate the label-noise count.
 */
export const HEAD_OPTIONS = { epochs: 60, batchSize: 64, learningRate: 0.003, l2: 0.1 } as const;

/**
 * Out-of-fold class probabilities: for each fold, a softmax head trained on the other folds predicts it,
 * so no item's probabilities come from a model that saw its label.
 */
export function outOfFoldProbs(
  x: readonly Float32Array[],
  y: readonly number[],
  opts: { folds?: number; seed?: number; classes?: number } = {},
): Float64Array[] {
  const k = opts.folds ?? 5;
  const seed = opts.seed ?? 7;
  const fold = stratifiedFolds(y, k, seed);
  const out = new Array<Float64Array>(x.length);
  for (let f = 0; f < k; f++) {
    const tr = x.map((_, i) => i).filter((i) => fold[i] !== f);
    const head = SoftmaxHead.train(
      tr.map((i) => x[i] as Float32Array),
      tr.map((i) => y[i] as number),
      opts.classes ?? 3,
      { ...HEAD_OPTIONS, seed },
    );
    x.forEach((v, i) => {
      if (fold[i] === f) out[i] = head.predict(v);
    });
  }
  return out;
}

export interface LabelIssue {
  index: number;
  given: number;
  /** The class confident learning thinks it is. */
  suggested: number;
  /** Out-of-fold probability of the given label (lower: more likely wrong). */
  selfConfidence: number;
  /** Out-of-fold probability of the suggested class. */
  suggestedConfidence: number;
}

/**
 * Confident learning (Northcutt et al., 2021), the confident-joint way: a class's threshold is the mean
 * out-of-fold probability of that class over the items labelled with it; an item counts as confidently
 * in class j when its probability of j reaches j's threshold (the highest such j when several do). Items
 * whose confident class differs from their label are the likely wrong labels, most suspicious first
 * (lowest probability of the given label).
 */
export function findLabelIssues(
  probs: readonly ArrayLike<number>[],
  y: readonly number[],
): {
  thresholds: number[];
  issues: LabelIssue[];
} {
  const k = probs[0]?.length ?? 0;
  const sum = new Array<number>(k).fill(0);
  const cnt = new Array<number>(k).fill(0);
  probs.forEach((p, i) => {
    const c = y[i] as number;
    sum[c] = (sum[c] as number) + (p[c] as number);
    cnt[c] = (cnt[c] as number) + 1;
  });
  const thresholds = sum.map((s, c) => (cnt[c] ? s / (cnt[c] as number) : 1));
  const issues: LabelIssue[] = [];
  probs.forEach((p, i) => {
    let best = -1;
    for (let j = 0; j < k; j++) {
      if ((p[j] as number) >= (thresholds[j] as number) && (best < 0 || (p[j] as number) > (p[best] as number)))
        best = j;
    }
    const given = y[i] as number;
    if (best >= 0 && best !== given) {
      issues.push({
        index: i,
        given,
        suggested: best,
        selfConfidence: p[given] as number,
        suggestedConfidence: p[best] as number,
      });
    }
  });
  issues.sort((a, b) => a.selfConfidence - b.selfConfidence);
  return { thresholds, issues };
}
