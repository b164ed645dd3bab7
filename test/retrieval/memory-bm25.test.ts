import { describe, expect, it } from 'vitest';
import { foldForIndex, foldQuery } from '../../src/retrieval/fold.js';
import { MAX_QUERY_TERMS, MemoryBm25 } from '../../src/retrieval/memory-bm25.js';

const fields = { product: null, label: null, source: null, rating: null, date: null, hasImage: false };

describe('MemoryBm25 query-term cap', () => {
  // 40 documents share the word "quality"; one holds a rare word.
  const index = new MemoryBm25();
  for (let i = 0; i < 40; i++) index.set(`common-${i}`, foldForIndex(`good quality item number ${i}`), fields);
  index.set('rare', foldForIndex('zipper snapped on the xylophone case'), fields);

  it('scores every term of a short query', () => {
    const hits = index.search(foldQuery('quality xylophone'), 50);
    expect(hits.map((h) => h.id)).toContain('rare');
    expect(hits.filter((h) => h.id.startsWith('common-')).length).toBe(40);
  });

  it('keeps the rarest terms of a long query and drops the commonest', () => {
    // MAX_QUERY_TERMS terms that each hold one document, then "quality" (40 documents) past the cap.
    const words = Array.from(
      { length: MAX_QUERY_TERMS },
      (_, i) => `wordterm${String.fromCharCode(97 + (i % 26))}${i}`,
    );
    for (const w of words) index.set(`doc-${w}`, foldForIndex(w), fields);
    const hits = index.search(foldQuery(`quality ${words.join(' ')}`), 100);
    expect(hits.some((h) => h.id.startsWith('common-'))).toBe(false);
    expect(hits.length).toBe(MAX_QUERY_TERMS);
    // With the cap lifted the common term is scored again.
    const all = index.search(foldQuery(`quality ${words.join(' ')}`), 100, undefined, Number.POSITIVE_INFINITY);
    expect(all.some((h) => h.id.startsWith('common-'))).toBe(true);
  });
});

describe('MemoryBm25 MaxScore search', () => {
  /** Reference: every posting scored (Okapi BM25, k1 1.2, b 0.75, as the class documents), ties by id. */
  function exhaustive(docs: Map<string, string[]>, query: string[], limit: number, keep?: (id: string) => boolean) {
    const n = docs.size;
    let total = 0;
    for (const t of docs.values()) total += t.length;
    const avg = total / n || 1;
    const df = new Map<string, number>();
    for (const t of docs.values()) for (const w of new Set(t)) df.set(w, (df.get(w) ?? 0) + 1);
    const out: { id: string; score: number }[] = [];
    for (const [id, terms] of docs) {
      let score = 0;
      let hit = false;
      for (const q of new Set(query)) {
        const f = terms.filter((w) => w === q).length;
        if (!f) continue;
        hit = true;
        const d = df.get(q) as number;
        const idf = Math.log(1 + (n - d + 0.5) / (d + 0.5));
        score += (idf * f * 2.2) / (f + 1.2 * (0.25 + (0.75 * terms.length) / avg));
      }
      if (hit && (!keep || keep(id))) out.push({ id, score });
    }
    return out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, limit);
  }

  it('returns the same rows and scores as scoring every posting', () => {
    // Seeded random documents over a Zipf-like vocabulary: a few very common words, many rare ones.
    let seed = 42;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const vocab = Array.from({ length: 300 }, (_, i) => `w${i.toString(36)}x`);
    const word = () => vocab[Math.min(vocab.length - 1, Math.floor(vocab.length * rand() ** 3))] as string;
    const docs = new Map<string, string[]>();
    const index = new MemoryBm25();
    for (let i = 0; i < 3000; i++) {
      const terms = Array.from({ length: 3 + Math.floor(rand() * 40) }, word);
      const id = `d${String(i).padStart(5, '0')}`;
      docs.set(id, terms);
      index.set(id, foldForIndex(terms.join(' ')), { ...fields, rating: i % 5 });
    }
    for (let q = 0; q < 60; q++) {
      const query = Array.from({ length: 1 + Math.floor(rand() * 8) }, word);
      for (const limit of [1, 10, 50]) {
        const got = index.search(foldQuery(query.join(' ')), limit);
        const want = exhaustive(docs, query, limit);
        expect(got.map((h) => h.score)).toEqual(want.map((h) => expect.closeTo(h.score, 9)));
        // Rows may differ only inside groups of equal scores (float sums in another order).
        got.forEach((h, i) => {
          if (h.id !== want[i]?.id) expect(h.score).toBeCloseTo(want[i]?.score as number, 9);
        });
      }
      const even = (id: string) => (Number(id.slice(1)) % 5) % 2 === 0;
      const filtered = index.search(foldQuery(query.join(' ')), 10, (f) => (f.rating as number) % 2 === 0);
      expect(filtered.map((h) => h.score)).toEqual(
        exhaustive(docs, query, 10, even).map((h) => expect.closeTo(h.score, 9)),
      );
    }
  });
});
