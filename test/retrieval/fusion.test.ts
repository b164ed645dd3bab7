import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion } from '../../src/retrieval/index.js';

const list = (...ids: string[]) => ids.map((id, i) => ({ id, score: 10 - i }));

describe('reciprocalRankFusion', () => {
  it('sums w / (k + rank) over the lists that hold a document', () => {
    const fused = reciprocalRankFusion(
      [
        { name: 'bm25', weight: 1, candidates: list('a', 'b', 'c') },
        { name: 'dense', weight: 1, candidates: list('b', 'd') },
      ],
      60,
    );
    const b = fused.find((f) => f.id === 'b');
    expect(b?.score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(b?.ranks).toEqual({ bm25: 2, dense: 1 });
    expect(b?.scores).toEqual({ bm25: 9, dense: 10 });
    expect(fused[0]?.id).toBe('b');
    expect(fused.map((f) => f.id).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('weights the lists, drops a list of weight 0, and counts a repeated id once per list', () => {
    const fused = reciprocalRankFusion(
      [
        { name: 'bm25', weight: 0.5, candidates: list('a', 'a', 'b') },
        { name: 'dense', weight: 2, candidates: list('b') },
        { name: 'image', weight: 0, candidates: list('z') },
      ],
      10,
    );
    expect(fused.map((f) => f.id)).toEqual(['b', 'a']);
    expect(fused.find((f) => f.id === 'a')?.score).toBeCloseTo(0.5 / 11, 12);
    expect(fused.find((f) => f.id === 'b')?.score).toBeCloseTo(0.5 / 13 + 2 / 11, 12);
  });

  it('breaks ties deterministically by the best rank, then the id', () => {
    const fused = reciprocalRankFusion([
      { name: 'bm25', weight: 1, candidates: list('x', 'y') },
      { name: 'dense', weight: 1, candidates: list('y', 'x') },
    ]);
    expect(fused.map((f) => f.id)).toEqual(['x', 'y']);
    expect(() => reciprocalRankFusion([], -1)).toThrow(/k must be/);
  });
});
