import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { SoftmaxHead } from '../../src/models/heads/softmax.js';
import {
  applyPlatt,
  chooseThreshold,
  DAMAGE_RECIPE,
  DAMAGED,
  type DamageData,
  type DamageItem,
  damageMargin,
  fitDamageModel,
  fitPlatt,
  flipHorizontal,
  gatedScores,
  leaveOneSourceOut,
  losoFolds,
  outOfFold,
  PRODUCT,
  ratesAt,
  rocAuc,
  trainDamageHead,
  trainGateHead,
  withinSourceFolds,
} from '../../src/training/damage.js';

/** Two clusters in 8 dimensions: damaged around +2 on the first 4 axes, not damaged around -2. */
function clusters(n: number, seed: number, shift = 2): { x: Float32Array[]; y: number[] } {
  const rand = seededRandom(seed);
  const x: Float32Array[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    x.push(Float32Array.from({ length: 8 }, (_, j) => (j < 4 ? (label ? shift : -shift) : 0) + (rand() - 0.5) * 2));
    y.push(label);
  }
  return { x, y };
}

describe('rocAuc (Mann-Whitney U)', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one and 0.5 when every score ties', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
  });

  it('counts pairs, ties as one half', () => {
    // positives 0.4, 0.7; negatives 0.1, 0.4, 0.8: pairs won 1 + 0.5 + 0 + 1 + 1 + 0 = 3.5 of 6
    expect(rocAuc([0.4, 0.7, 0.1, 0.4, 0.8], [1, 1, 0, 0, 0])).toBeCloseTo(3.5 / 6, 12);
  });

  it('is NaN with one class and throws on a length mismatch', () => {
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
    expect(() => rocAuc([0.1], [1, 0])).toThrow();
  });
});

describe('losoFolds', () => {
  it('holds each source out once and never puts a source in both train and test', () => {
    const sources = ['a', 'b', 'a', 'c', 'b', 'a', 'c'];
    const folds = losoFolds(sources);
    expect(folds.map((f) => f.source)).toEqual(['a', 'b', 'c']);
    for (const f of folds) {
      expect(f.test.every((i) => sources[i] === f.source)).toBe(true);
      expect(f.train.every((i) => sources[i] !== f.source)).toBe(true);
      expect([...f.train, ...f.test].sort((p, q) => p - q)).toEqual(sources.map((_, i) => i));
    }
  });
});

describe('chooseThreshold', () => {
  const rand = seededRandom(3);
  const intact = Array.from({ length: 400 }, () => rand() * 0.7);
  const background = Array.from({ length: 300 }, () => rand() * 0.6);
  const damaged = Array.from({ length: 400 }, () => 0.3 + rand() * 0.7);

  it('keeps every group within its false-positive budget, at the lowest such threshold', () => {
    const t = chooseThreshold(damaged, [
      { scores: intact, maxFalsePositiveRate: 0.05 },
      { scores: background, maxFalsePositiveRate: 0.02 },
    ]);
    expect(ratesAt(intact, new Array(intact.length).fill(0), t).falsePositiveRate).toBeLessThanOrEqual(0.05);
    expect(ratesAt(background, new Array(background.length).fill(0), t).falsePositiveRate).toBeLessThanOrEqual(0.02);
    // one step lower (the next smaller candidate score) breaks a budget
    const lower = Math.max(...[...damaged, ...intact, ...background].filter((s) => s < t));
    const fi = ratesAt(intact, new Array(intact.length).fill(0), lower).falsePositiveRate as number;
    const fb = ratesAt(background, new Array(background.length).fill(0), lower).falsePositiveRate as number;
    expect(fi > 0.05 || fb > 0.02).toBe(true);
  });

  it('a tighter budget never lowers the threshold', () => {
    const loose = chooseThreshold(damaged, [{ scores: intact, maxFalsePositiveRate: 0.1 }]);
    const tight = chooseThreshold(damaged, [{ scores: intact, maxFalsePositiveRate: 0.01 }]);
    expect(tight).toBeGreaterThanOrEqual(loose);
  });

  it('flags nothing when a budget is zero and negatives outscore everything', () => {
    const t = chooseThreshold([0.1, 0.2], [{ scores: [0.9], maxFalsePositiveRate: 0 }]);
    expect(t).toBeGreaterThan(0.9);
  });
});

describe('ratesAt', () => {
  it('gives recall, false-positive rate and accuracy of "damaged when score >= t"', () => {
    const r = ratesAt([0.9, 0.6, 0.2, 0.7, 0.1], [1, 1, 1, 0, 0], 0.6);
    expect(r.damagedRecall).toBeCloseTo(2 / 3, 12);
    expect(r.falsePositiveRate).toBe(0.5);
    expect(r.accuracy).toBeCloseTo(3 / 5, 12);
    expect(ratesAt([0.5], [1], 0.1).falsePositiveRate).toBeNull();
  });
});

describe('trainDamageHead', () => {
  it('separates two obviously different clusters, damaged as class 1', () => {
    const train = clusters(200, 1);
    const test = clusters(100, 2);
    const head = trainDamageHead(train.x, train.y, { epochs: 20, l2: 0.01, seed: 5 });
    const scores = test.x.map((v) => head.predict(v)[DAMAGED] as number);
    expect(rocAuc(scores, test.y)).toBeGreaterThan(0.99);
    expect(ratesAt(scores, test.y, 0.5).accuracy).toBeGreaterThan(0.95);
  });

  it('is deterministic for a seed and refuses one-class data', () => {
    const d = clusters(60, 4);
    const a = trainDamageHead(d.x, d.y, { epochs: 3, seed: 9 }).toJSON().weights;
    const b = trainDamageHead(d.x, d.y, { epochs: 3, seed: 9 }).toJSON().weights;
    expect(a).toEqual(b);
    expect(() => trainDamageHead(d.x, new Array(d.x.length).fill(0))).toThrow();
  });
});

describe('leaveOneSourceOut', () => {
  it('scores every item by a head that did not see its source', () => {
    const items: DamageItem[] = [];
    for (const [s, seed] of [
      ['s1', 11],
      ['s2', 12],
      ['s3', 13],
    ] as const) {
      const d = clusters(40, seed);
      d.x.forEach((x, i) => {
        items.push({ x, y: d.y[i] as number, source: s });
      });
    }
    const r = leaveOneSourceOut(items, { head: { epochs: 10, l2: 0.01 }, probes: [[new Float32Array(8)]] });
    expect(r.folds.map((f) => f.source)).toEqual(['s1', 's2', 's3']);
    expect(r.margins.every(Number.isFinite)).toBe(true);
    expect(r.probeMargins[0]).toHaveLength(3);
    expect(r.aucWorst).toBeGreaterThan(0.95);
  });
});

describe('Platt scaling', () => {
  it('recovers a known sigmoid and folds into the head so that predict gives the calibrated probability', () => {
    const rand = seededRandom(8);
    const margins: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const m = (rand() - 0.5) * 12;
      margins.push(m);
      labels.push(rand() < 1 / (1 + Math.exp(-(0.5 * m - 1))) ? 1 : 0);
    }
    const p = fitPlatt(margins, labels);
    expect(p.a).toBeCloseTo(0.5, 1);
    expect(p.b).toBeCloseTo(-1, 0);

    const d = clusters(80, 6);
    const head = trainDamageHead(d.x, d.y, { epochs: 5 });
    const calibrated = new SoftmaxHead(applyPlatt(head.toJSON(), p));
    for (const v of d.x.slice(0, 5)) {
      const expected = 1 / (1 + Math.exp(-(p.a * damageMargin(head, v) + p.b)));
      expect(calibrated.predict(v)[DAMAGED]).toBeCloseTo(expected, 9);
    }
    expect(() => applyPlatt(head.toJSON(), { a: -1, b: 0 })).toThrow();
  });
});

describe('flipHorizontal', () => {
  it('mirrors each row of RGB pixels', () => {
    const pixels = Float32Array.from({ length: 2 * 2 * 3 }, (_, i) => i);
    const out = flipHorizontal({ mime: 'image/raw', width: 2, height: 2, size: 2, pixels });
    expect(Array.from(out.pixels)).toEqual([3, 4, 5, 0, 1, 2, 9, 10, 11, 6, 7, 8]);
  });
});

/** Product photos of three sources (damaged/intact clusters on axes 0-3) and ordinary photos far off on axes 4-7. */
function gatedData(): DamageData {
  const items: DamageData['items'] = [];
  for (const [s, seed] of [
    ['s1', 21],
    ['s2', 22],
    ['s3', 23],
  ] as const) {
    const d = clusters(40, seed);
    d.x.forEach((x, i) => {
      items.push({ id: `${s}-${i}`, category: s, x, y: d.y[i] as number, source: s });
    });
  }
  const rand = seededRandom(31);
  const ordinary = (n: number) =>
    Array.from({ length: n }, () => Float32Array.from({ length: 8 }, (_, j) => (j >= 4 ? 4 : 0) + (rand() - 0.5) * 2));
  return { input: 'pooled', items, mvsa: { train: ordinary(80), val: ordinary(40), test: ordinary(40) } };
}

describe('withinSourceFolds', () => {
  it('splits each source and condition evenly over k folds, every item tested exactly once', () => {
    const items = ['a', 'a', 'a', 'a', 'b', 'b', 'a', 'a', 'b', 'b'].map((source, i) => ({ source, y: i % 2 }));
    const folds = withinSourceFolds(items, 2);
    expect(folds).toHaveLength(2);
    expect(folds.flatMap((f) => f.test).sort((p, q) => p - q)).toEqual(items.map((_, i) => i));
    for (const f of folds) {
      expect([...f.train, ...f.test].sort((p, q) => p - q)).toEqual(items.map((_, i) => i));
      for (const src of ['a', 'b'])
        for (const y of [0, 1]) {
          const inTest = f.test.filter((i) => items[i]?.source === src && items[i]?.y === y).length;
          const all = items.filter((it) => it.source === src && it.y === y).length;
          expect(Math.abs(inTest - all / 2)).toBeLessThanOrEqual(0.5);
        }
    }
    expect(withinSourceFolds(items, 2)).toEqual(folds);
    expect(() => withinSourceFolds(items, 1)).toThrow();
  });
});

describe('gatedScores', () => {
  it('keeps the damage probability where the gate passes and puts -1 where it does not', () => {
    expect(gatedScores([0.9, 0.8, 0.1], [0.6, 0.4, 0.5], 0.5)).toEqual([0.9, -1, 0.1]);
    expect(() => gatedScores([0.1], [0.1, 0.2], 0.5)).toThrow();
  });

  it('with a gate, no threshold in [0, 1] flags a photo the gate stops', () => {
    const g = gatedScores([1, 0], [0, 1], 0.5);
    expect(ratesAt(g, [1, 0], 0).damagedRecall).toBe(0);
  });
});

describe('trainGateHead and outOfFold', () => {
  it('tells product photos from ordinary ones, as class PRODUCT', () => {
    const d = gatedData();
    const gate = trainGateHead(
      d.items.map((it) => it.x),
      d.mvsa.train,
      { epochs: 10, l2: 0.01, learningRate: 0.01 },
    );
    const scores = [...d.items.map((it) => it.x), ...d.mvsa.test].map((v) => gate.predict(v)[PRODUCT] as number);
    const labels = [...d.items.map(() => 1), ...d.mvsa.test.map(() => 0)];
    expect(rocAuc(scores, labels)).toBeGreaterThan(0.99);
  });

  it('scores every item by heads that did not train on it, and every probe once per fold', () => {
    const d = gatedData();
    const folds = withinSourceFolds(d.items, 4);
    const r = outOfFold(d.items, folds, {
      head: { epochs: 5, l2: 0.01, learningRate: 0.01 },
      gate: { epochs: 5, l2: 0.01, learningRate: 0.01 },
      ordinary: d.mvsa.train,
      probes: d.mvsa.val,
    });
    expect(r.margins.every(Number.isFinite)).toBe(true);
    expect(r.gate.every((g) => g >= 0 && g <= 1)).toBe(true);
    expect(r.probeGate).toHaveLength(4 * d.mvsa.val.length);
    expect(
      rocAuc(
        r.margins,
        d.items.map((it) => it.y),
      ),
    ).toBeGreaterThan(0.95);
  });
});

describe('fitDamageModel with a gate', () => {
  it('returns head, threshold, gate and both protocols, deterministically', () => {
    const d = gatedData();
    const recipe = {
      ...DAMAGE_RECIPE,
      head: { ...DAMAGE_RECIPE.head, epochs: 5, learningRate: 0.01, l2: 0.01 },
      gate: { head: { ...DAMAGE_RECIPE.head, epochs: 5, learningRate: 0.01, l2: 0.01 }, maxOrdinaryPassRate: 0.05 },
    };
    const a = fitDamageModel(d, recipe, () => {});
    const b = fitDamageModel(d, recipe, () => {});
    expect(a.head).toEqual(b.head);
    expect(a.threshold).toBe(b.threshold);
    expect(a.gate).toBeDefined();
    expect(a.gate?.threshold).toBe(b.gate?.threshold);
    expect(a.metrics.loso.perSource.map((s) => s.source)).toEqual(['s1', 's2', 's3']);
    expect(a.metrics.cv.perSource).toHaveLength(3);
    // the gate threshold keeps ordinary validation photos within the budget on the LOSO gates
    expect(a.metrics.loso.mvsaValGatePassRate).toBeLessThanOrEqual(0.05);
    expect(a.metrics.loso.ownPooled.intactFalsePositiveRate).toBeLessThanOrEqual(recipe.maxIntactFalsePositiveRate);
    expect(a.metrics.loso.pooled.damagedRecall).toBeGreaterThan(0.5);
    const noGate = fitDamageModel(d, { ...recipe, gate: null }, () => {});
    expect(noGate.gate).toBeUndefined();
    expect(noGate.metrics.loso.pooled.gatePassRate).toBe(1);
    expect(a.input).toBe('pooled');
    const both = fitDamageModel(d, { ...recipe, thresholdFrom: 'both' }, () => {});
    expect(both.threshold).toBe(Math.max(both.metrics.loso.ownThreshold, both.metrics.cv.ownThreshold));
    // Vectors of one kind never reach heads meant for the other.
    expect(() => fitDamageModel(d, { ...recipe, input: 'inner' }, () => {})).toThrow(/pooled photo vectors/);
  });
});
