import { afterAll, describe, expect, it } from 'vitest';
import {
  asciiFold,
  ExactVectorSet,
  filterPredicate,
  foldForIndex,
  HybridSearcher,
  LanceReviewIndex,
  lanceBackend,
  type ReviewRecord,
  type VectorizedReview,
} from '../../src/retrieval/index.js';
import { tempDir } from '../helpers/paths.js';

/** Deterministic pseudo-random unit vectors. */
function rng(seed: number) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  };
}
const unit = (r: () => number, dim: number) => {
  const v = Float32Array.from({ length: dim }, r);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const rec = (id: string, text: string, extra: Partial<ReviewRecord> = {}): ReviewRecord => ({ id, text, ...extra });
const open: LanceReviewIndex[] = [];
async function fresh(o: Partial<Parameters<typeof LanceReviewIndex.open>[0]> = {}) {
  const ix = await LanceReviewIndex.open({ uri: tempDir('reviewlens-scale-'), textDim: 8, imageDim: 4, ...o });
  open.push(ix);
  return ix;
}
afterAll(async () => {
  for (const ix of open) await ix.close();
});

describe('ASCII folding in the full-text index', () => {
  it('folds diacritics and special letters as asciifolding does, and joins elided words', () => {
    expect(asciiFold('Crème brûlée, Straße, Œuvre, smørrebrød, Łódź, naïve')).toBe(
      'Creme brulee, Strasse, OEuvre, smorrebrod, Lodz, naive',
    );
    expect(foldForIndex('L’Oréal is great')).toBe("L'Oreal is great\nLOreal");
    expect(foldForIndex('plain text')).toBe('plain text');
  });

  it('finds accented and elided words from plain ASCII queries, and the other way round', async () => {
    const ix = await fresh();
    const r = rng(3);
    await ix.upsertVectors(
      [
        rec('loreal', "Bought the L'Oréal serum, lovely texture"),
        rec('creme', 'The crème brûlée was perfect'),
        rec('strasse', 'Delivered to the wrong Straße twice'),
        rec('plain', 'Creme colored shoes, fine'),
        rec('other', 'Nothing to see here'),
      ].map((record) => ({ record, textVector: unit(r, 8) })),
    );
    const ids = async (q: string) => (await ix.searchText(q, { limit: 5 })).map((c) => c.id);
    expect(await ids('Loreal')).toEqual(['loreal']);
    expect(await ids("L'Oreal")).toContain('loreal');
    expect(await ids('L’Oréal')).toContain('loreal');
    expect((await ids('creme brulee'))[0]).toBe('creme');
    expect(await ids('brûlée')).toEqual(['creme']);
    expect(await ids('strasse')).toEqual(['strasse']);
    expect(await ids('Straße')).toEqual(['strasse']);
  });
});

describe('exact search in memory below the ANN threshold', () => {
  it('ranks exactly as LanceDB does, filters included', async () => {
    const ix = await fresh({ annMinRows: 1e9 });
    const r = rng(11);
    const items: VectorizedReview[] = Array.from({ length: 600 }, (_, i) => ({
      record: rec(`r${i}`, `review ${i}`, { product: `p${i % 7}`, rating: 1 + (i % 5), label: 'positive' }),
      textVector: unit(r, 8),
      ...(i % 3 === 0 ? { imageVector: unit(r, 4) } : {}),
    }));
    await ix.upsertVectors(items);
    for (let q = 0; q < 10; q++) {
      const query = unit(r, 8);
      const mine = await ix.searchVector('text', query, { limit: 10 });
      const lance = await ix.searchExact('text', query, 10);
      expect(mine.map((c) => c.id)).toEqual(lance.map((c) => c.id));
      mine.forEach((c, i) => {
        expect(c.score).toBeCloseTo(lance[i]?.score as number, 4);
      });
    }
    // Filters are applied before ranking: every match, and only matches, up to the limit.
    const filtered = await ix.searchVector('text', unit(r, 8), { limit: 50, filters: { product: 'p3', ratingMin: 4 } });
    const want = items.filter((it) => it.record.product === 'p3' && (it.record.rating as number) >= 4);
    expect(filtered.map((c) => c.id).sort()).toEqual(want.map((it) => it.record.id).sort());
    // Photo search sees only reviews with a photo.
    const photo = await ix.searchVector('image', unit(r, 4), { limit: 1000 });
    expect(photo.length).toBe(200);
  });

  it('keeps the in-memory copy in step with updates, replacements and deletes', async () => {
    const ix = await fresh();
    const a = Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0]);
    const b = Float32Array.from([0, 1, 0, 0, 0, 0, 0, 0]);
    await ix.upsertVectors([
      { record: rec('a', 'first'), textVector: a, imageVector: Float32Array.from([1, 0, 0, 0]) },
      { record: rec('b', 'second'), textVector: b },
    ]);
    expect((await ix.searchVector('text', a, { limit: 1 }))[0]?.id).toBe('a');
    await ix.update('a', { label: 'negative' });
    expect(
      (await ix.searchVector('text', a, { limit: 5, filters: { sentiment: 'negative' } })).map((c) => c.id),
    ).toEqual(['a']);
    expect((await ix.get(['a'])).get('a')?.label).toBe('negative');
    // Replaced without its photo: gone from photo search.
    await ix.upsertVectors([{ record: rec('a', 'first'), textVector: a }]);
    expect(await ix.searchVector('image', Float32Array.from([1, 0, 0, 0]), { limit: 5 })).toEqual([]);
    await ix.delete(['a']);
    expect((await ix.searchVector('text', a, { limit: 5 })).map((c) => c.id)).toEqual(['b']);
    expect((await ix.get(['a'])).size).toBe(0);
  });

  it("sees another process's update and delete (cached records and vectors are dropped)", async () => {
    const uri = tempDir('reviewlens-scale-shared-');
    const reader = await fresh({ uri, readConsistencySeconds: 0 });
    const writer = await fresh({ uri });
    const r = rng(5);
    await writer.upsertVectors([
      { record: rec('x', 'kettle'), textVector: unit(r, 8) },
      { record: rec('y', 'toaster'), textVector: unit(r, 8) },
    ]);
    expect((await reader.get(['x'])).get('x')?.label).toBeNull();
    expect((await reader.searchVector('text', unit(r, 8), { limit: 5 })).length).toBe(2);
    await writer.update('x', { label: 'positive' });
    await writer.delete(['y']);
    expect((await reader.get(['x'])).get('x')?.label).toBe('positive');
    // The in-memory vectors are reloaded in the background after a foreign write: poll until they are.
    let ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      ids = (await reader.searchVector('text', unit(r, 8), { limit: 5 })).map((c) => c.id);
      if (ids.length === 1) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    expect(ids).toEqual(['x']);
  });

  it('filters in memory with the same meaning as the SQL filter', () => {
    const f = filterPredicate({ dateTo: '2026-02-01', ratingMin: 2 });
    const base = { product: null, label: null, source: null, hasImage: false };
    expect(f?.({ ...base, rating: 3, date: '2026-02-01T18:00:00Z' })).toBe(true);
    expect(f?.({ ...base, rating: null, date: '2026-01-01' })).toBe(false);
    expect(f?.({ ...base, rating: 3, date: '2026-02-02' })).toBe(false);
    expect(filterPredicate({})).toBeUndefined();
    const set = new ExactVectorSet(2);
    set.set('a', [3, 4], { ...base, rating: 1, date: null });
    set.set('b', [0, 1], { ...base, rating: 5, date: null });
    expect(set.search(Float32Array.from([0.6, 0.8]), 1)[0]).toMatchObject({ id: 'a' });
    expect(set.search(Float32Array.from([0.6, 0.8]), 5, filterPredicate({ ratingMin: 2 })).map((c) => c.id)).toEqual([
      'b',
    ]);
    set.delete('a');
    expect(set.size).toBe(1);
    expect(set.search(Float32Array.from([1, 0]), 5).map((c) => c.id)).toEqual(['b']);
  });
});

describe('writes and index maintenance', () => {
  it('does not maintain the table on every write; new rows are searchable as soon as the write returns', async () => {
    const ix = await fresh({ maintenanceSeconds: 3600 });
    const r = rng(9);
    await ix.upsertVectors([{ record: rec('a', 'first review about kettles'), textVector: unit(r, 8) }]);
    expect((await ix.searchText('kettles', { limit: 5 })).map((c) => c.id)).toEqual(['a']);
    const versionsBefore = (await ix.stats()).fragments;
    await ix.upsertVectors([{ record: rec('b', 'zebra striped phone case'), textVector: unit(r, 8) }]);
    // No maintenance ran (two fragments, one per write), yet BM25 and the vectors already see the new row.
    expect((await ix.stats()).fragments).toBe(versionsBefore + 1);
    expect((await ix.searchText('zebra', { limit: 5 })).map((c) => c.id)).toEqual(['b']);
    // The id index has not seen the second row until the maintenance folds it in.
    expect((await ix.stats()).indices.find((i) => i.columns[0] === 'id')?.unindexedRows).toBe(1);
    await ix.maintainNow();
    expect((await ix.stats()).indices.find((i) => i.columns[0] === 'id')?.unindexedRows).toBe(0);
    expect((await ix.searchText('zebra', { limit: 5 })).map((c) => c.id)).toEqual(['b']);
    expect((await ix.stats()).memory).toMatchObject({ rows: 2 });
  });

  it('answers searches correctly while a bulk load runs, through maintenance and the switch to HNSW', async () => {
    const ix = await fresh({ annMinRows: 400, maintenanceRows: 150, maintenanceSeconds: 0.05 });
    const backend = lanceBackend(ix);
    const searcher = new HybridSearcher(backend, {
      text: async () => {
        throw new Error('vectors are given');
      },
      image: async () => {
        throw new Error('vectors are given');
      },
    });
    const r = rng(21);
    // Known reviews, each with a distinctive word and vector, indexed before the load.
    const known = Array.from({ length: 20 }, (_, i) => ({
      record: rec(`known${i}`, `special${i}word review of a blender`, { product: 'known' }),
      textVector: unit(r, 8),
    }));
    await ix.upsertVectors(known);
    let loading = true;
    const load = (async () => {
      for (let b = 0; b < 12; b++) {
        await ix.upsertVectors(
          Array.from({ length: 50 }, (_, j) => ({
            record: rec(`bulk${b * 50 + j}`, `bulk review ${b} ${j} about toasters`),
            textVector: unit(r, 8),
          })),
        );
      }
      loading = false;
    })();
    let checks = 0;
    while (loading || checks < 20) {
      const i = checks % known.length;
      const k = known[i] as VectorizedReview;
      const res = await searcher.search({ text: `special${i}word`, vectors: { text: k.textVector }, k: 5 });
      expect(res.hits[0]?.id).toBe(`known${i}`);
      expect(res.hits[0]?.review.text).toBe(k.record.text);
      expect(res.hits.every((h) => h.review.text.length > 0)).toBe(true);
      checks++;
    }
    await load;
    await ix.maintainNow();
    expect(await ix.count()).toBe(620);
    // The in-memory HNSW graph was started when the rows passed annMinRows; wait until it answers.
    await ix.buildAnnNow('text');
    expect((await ix.stats()).memory).toMatchObject({ rows: 620, textAnn: true });
    // After the switch to HNSW, every known review is still its own nearest neighbour.
    for (const [i, k] of known.entries()) {
      expect((await ix.searchVector('text', k.textVector, { limit: 1 }))[0]?.id).toBe(`known${i}`);
    }
  });
});
