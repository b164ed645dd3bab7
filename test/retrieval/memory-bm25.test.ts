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
