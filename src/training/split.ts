import { seededRandom, shuffleInPlace } from '../core/random.js';

export interface Split {
  seed: number;
  train: string[];
  val: string[];
  test: string[];
}

/** A stratified, seeded split of ids by label into train / val / test with the given fractions. */
export function stratifiedSplit(
  items: ReadonlyArray<{ id: string; label: string }>,
  fractions: { val: number; test: number },
  seed: number,
): Split {
  const byLabel = new Map<string, string[]>();
  for (const it of items) {
    const list = byLabel.get(it.label) ?? [];
    list.push(it.id);
    byLabel.set(it.label, list);
  }
  const rand = seededRandom(seed);
  const out: Split = { seed, train: [], val: [], test: [] };
  for (const label of [...byLabel.keys()].sort()) {
    const ids = shuffleInPlace([...(byLabel.get(label) as string[])].sort(), rand);
    const nTest = Math.round(ids.length * fractions.test);
    const nVal = Math.round(ids.length * fractions.val);
    out.test.push(...ids.slice(0, nTest));
    out.val.push(...ids.slice(nTest, nTest + nVal));
    out.train.push(...ids.slice(nTest + nVal));
  }
  return out;
}
