import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/index.js';
import { SoftmaxHead } from '../../src/models/index.js';

function blobs(n: number, seed: number) {
  const rand = seededRandom(seed);
  const centers = [
    [3, 0, 0, 1],
    [0, 3, 0, 1],
    [0, 0, 3, 1],
  ];
  const x: Float32Array[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    x.push(Float32Array.from(centers[c] as number[], (m) => m + (rand() - 0.5) * 2));
    y.push(c);
  }
  return { x, y };
}

describe('SoftmaxHead', () => {
  it('learns separable classes, and its probabilities sum to 1', () => {
    const train = blobs(300, 1);
    const test = blobs(90, 2);
    const head = SoftmaxHead.train(train.x, train.y, 3, { epochs: 60, seed: 7, validation: blobs(60, 3) });
    let correct = 0;
    test.x.forEach((v, i) => {
      const p = head.predict(v);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      if (p.indexOf(Math.max(...p)) === test.y[i]) correct++;
    });
    expect(correct / test.x.length).toBeGreaterThan(0.95);
  });

  it('is reproducible with the same seed and survives a JSON round trip', () => {
    const d = blobs(120, 4);
    const a = SoftmaxHead.train(d.x, d.y, 3, { epochs: 5, seed: 11 });
    const b = SoftmaxHead.train(d.x, d.y, 3, { epochs: 5, seed: 11 });
    expect(a.toJSON().weights).toEqual(b.toJSON().weights);
    const c = new SoftmaxHead(JSON.parse(JSON.stringify(a.toJSON())));
    expect(Array.from(c.predict(d.x[0] as Float32Array))).toEqual(Array.from(a.predict(d.x[0] as Float32Array)));
  });

  it('fits a temperature that lowers confidence on noisy held-out data', () => {
    const d = blobs(300, 5);
    const head = SoftmaxHead.train(d.x, d.y, 3, { epochs: 80, seed: 3, l2: 0 });
    const noisy = blobs(150, 6);
    noisy.y = noisy.y.map((y, i) => (i % 3 === 0 ? (y + 1) % 3 : y)); // a third of the labels wrong
    const t = head.fitTemperature(noisy.x, noisy.y);
    expect(t).toBeGreaterThan(1);
    expect(head.toJSON().temperature).toBe(t);
  });

  it('refuses input of the wrong width', () => {
    const d = blobs(30, 8);
    const head = SoftmaxHead.train(d.x, d.y, 3, { epochs: 1 });
    expect(() => head.predict(new Float32Array(3))).toThrow(/expects 4 features/);
  });

  it('with a clip, reads a standardised feature beyond the bound as the bound, in prediction and in its JSON', () => {
    const d = blobs(60, 9);
    const head = SoftmaxHead.train(d.x, d.y, 3, { epochs: 5, clip: 3 });
    const j = head.toJSON();
    expect(j.clip).toBe(3);
    const at = (z: number) => Float64Array.from(j.mean, (m, i) => m + z * (j.std[i] as number));
    // at(3) standardises to 3 up to rounding, hence the 1e-9.
    const same = (a: Float64Array, b: Float64Array) => {
      for (const [c, v] of a.entries()) expect(v).toBeCloseTo(b[c] as number, 9);
    };
    same(head.logits(at(40)), head.logits(at(3)));
    same(head.logits(at(-40)), head.logits(at(-3)));
    expect(Array.from(head.logits(at(2)))).not.toEqual(Array.from(head.logits(at(3))));
    const unclipped = new SoftmaxHead({ ...j, clip: undefined });
    expect(Array.from(unclipped.logits(at(40)))).not.toEqual(Array.from(head.logits(at(40))));
  });
});
