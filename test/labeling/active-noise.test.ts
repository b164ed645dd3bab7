import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import {
  findLabelIssues,
  outOfFoldProbs,
  queuePriorities,
  selectBatch,
  uncertainty,
} from '../../src/labeling/index.js';
import { lexiconFeatures } from '../../src/models/index.js';
import { loadUci } from '../../src/training/index.js';

describe('active learning selection', () => {
  it('measures uncertainty by margin and by entropy', () => {
    expect(uncertainty([1, 0, 0])).toBe(0);
    expect(uncertainty([0.5, 0.5, 0])).toBe(1);
    expect(uncertainty([0.6, 0.3, 0.1])).toBeCloseTo(0.7);
    expect(uncertainty([1 / 3, 1 / 3, 1 / 3], 'entropy')).toBeCloseTo(1);
    expect(uncertainty([1, 0, 0], 'entropy')).toBe(0);
  });

  it('spreads a batch over clusters when diversity counts, and stays in the unsure cluster when it does not', () => {
    // Two clusters of 10 points; the model is unsure about cluster A only.
    const emb: number[][] = [];
    const probs: number[][] = [];
    for (let i = 0; i < 20; i++) {
      const a = i < 10;
      emb.push([a ? 0 + i * 0.01 : 10 + i * 0.01, 0]);
      probs.push(a ? [0.4, 0.35, 0.25] : [0.7, 0.2, 0.1]);
    }
    const inA = (k: number) => k < 10;
    const unsureOnly = selectBatch(probs, emb, [], 4, { alpha: 1 }).map((p) => p.index);
    expect(unsureOnly.every(inA)).toBe(true);
    const mixed = selectBatch(probs, emb, [], 4, { alpha: 0.5 }).map((p) => p.index);
    expect(mixed.some(inA)).toBe(true);
    expect(mixed.some((k) => !inA(k))).toBe(true);
    // Points near what is already labelled are worth less.
    const nearLabelled = selectBatch(probs, emb, [[0, 0]], 1, { alpha: 0.5 });
    expect(inA(nearLabelled[0]?.index as number)).toBe(false);
    const pr = queuePriorities(probs, emb, { alpha: 0.5 });
    expect(pr).toHaveLength(20);
    expect(Math.max(...pr)).toBe(1);
    expect(new Set(pr).size).toBe(20);
    // Without embeddings: uncertainty alone.
    expect(
      queuePriorities(
        [
          [0.5, 0.5, 0],
          [1, 0, 0],
        ],
        [undefined, undefined],
      ),
    ).toEqual([1, 0]);
  });
});

describe('label noise (confident learning)', () => {
  it('flags flipped labels in real review sentences far above their base rate', () => {
    // UCI Amazon cell-phone review sentences (0 negative, 1 positive); 8% of labels flipped on purpose.
    const ex = loadUci('amazon_cells');
    const x = ex.map((e) => lexiconFeatures(e.text));
    const clean = ex.map((e) => (e.label === 'positive' ? 2 : 0));
    const rand = seededRandom(5);
    const flipped = new Set<number>();
    const y = clean.map((c, i) => {
      if (rand() < 0.08) {
        flipped.add(i);
        return c === 2 ? 0 : 2;
      }
      return c;
    });
    const probs = outOfFoldProbs(x, y, { folds: 5, seed: 1 });
    const { thresholds, issues } = findLabelIssues(probs, y);
    expect(thresholds).toHaveLength(3);
    const hits = issues.filter((i) => flipped.has(i.index)).length;
    const precision = hits / issues.length;
    const recall = hits / flipped.size;
    // Base rate 8%: the flagged set must be several times richer in flipped labels, and find most of them.
    expect(precision).toBeGreaterThan(0.3);
    expect(recall).toBeGreaterThan(0.5);
    for (const i of issues) expect(i.suggested).not.toBe(i.given);
    for (let k = 1; k < issues.length; k++)
      expect(issues[k]?.selfConfidence).toBeGreaterThanOrEqual(issues[k - 1]?.selfConfidence as number);
  });
});
