import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMvsa, MVSA_SPLIT_FILE, type Split, stratifiedSplit } from '../../src/training/index.js';
import { ROOT, SHARED } from '../helpers/paths.js';

describe('the MVSA-Single split', () => {
  it('is stratified and reproducible from its seed', () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ id: String(i), label: i < 70 ? 'a' : 'b' }));
    const a = stratifiedSplit(items, { val: 0.1, test: 0.2 }, 5);
    expect(stratifiedSplit(items, { val: 0.1, test: 0.2 }, 5)).toEqual(a);
    expect(a.test.filter((id) => Number(id) < 70).length).toBe(14);
    expect(a.test.length).toBe(20);
  });

  it('the split written into the repository covers the labelled set once, with no overlap', () => {
    const split = JSON.parse(readFileSync(join(ROOT, MVSA_SPLIT_FILE), 'utf8')) as Split;
    const all = [...split.train, ...split.val, ...split.test];
    expect(new Set(all).size).toBe(all.length);
    const ids = loadMvsa(SHARED).map((e) => e.id);
    expect(new Set(all)).toEqual(new Set(ids));
    expect(split.test.length).toBeGreaterThan(600);
  });
});
