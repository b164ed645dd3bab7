/**
 * Duplicate checks for synthetic reviews: an exact match after normalisation (lower case, letters and digits
 * only) against every real and earlier synthetic text, and a near match, word-trigram Jaccard similarity at or
 * above `threshold` (default 0.6), against the real reviews a candidate was made from or shown and every synthetic
 * review kept so far. Own code: the sets are small (hashes and trigram sets in memory).
 */

export function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

export function trigrams(text: string): Set<string> {
  const w = normalise(text).split(' ').filter(Boolean);
  const out = new Set<string>();
  for (let i = 0; i + 2 < w.length; i++) out.add(`${w[i]} ${w[i + 1]} ${w[i + 2]}`);
  if (w.length < 3 && w.length > 0) out.add(w.join(' '));
  return out;
}

/** Jaccard similarity of two sets (0 when both are empty). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let inter = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const x of small) if (large.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

export class Deduper {
  private readonly exact = new Set<string>();
  private readonly kept: Array<Set<string>> = [];

  constructor(
    realTexts: Iterable<string>,
    earlierSynthetic: Iterable<string> = [],
    private readonly threshold = 0.6,
  ) {
    for (const t of realTexts) this.exact.add(normalise(t));
    for (const t of earlierSynthetic) this.add(t);
  }

  /** Why `text` is a duplicate (`exact`, `near-real`, `near-synthetic`), or undefined when it is new. */
  check(text: string, sourceTexts: readonly string[] = []): 'exact' | 'near-real' | 'near-synthetic' | undefined {
    if (this.exact.has(normalise(text))) return 'exact';
    const g = trigrams(text);
    if (sourceTexts.some((s) => jaccard(g, trigrams(s)) >= this.threshold)) return 'near-real';
    if (this.kept.some((k) => jaccard(g, k) >= this.threshold)) return 'near-synthetic';
    return undefined;
  }

  /** Records a kept text so later candidates are checked against it. */
  add(text: string): void {
    this.exact.add(normalise(text));
    this.kept.push(trigrams(text));
  }
}
