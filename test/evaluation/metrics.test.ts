import { describe, expect, it } from 'vitest';
import { classificationMetrics, percentile } from '../../src/evaluation/index.js';

describe('classificationMetrics', () => {
  it('computes accuracy, per-class F1 and macro-F1 from a hand-checked example', () => {
    // true: 0 0 1 1 2 2 ; pred: 0 1 1 1 2 0
    const m = classificationMetrics([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], 3);
    expect(m.accuracy).toBeCloseTo(4 / 6);
    // class 0: p=1/2 r=1/2 f=0.5; class 1: p=2/3 r=1 f=0.8; class 2: p=1 r=1/2 f=2/3
    expect(m.per_class.map((c) => c.f1)).toEqual([0.5, 0.8, expect.closeTo(2 / 3, 10)]);
    expect(m.macro_f1).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3);
    expect(m.confusion).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
  });

  it('percentile interpolates', () => {
    expect(percentile([1, 2, 3, 4, 5], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10], 95)).toBe(10);
  });
});
