import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterSql, LanceReviewIndex, type ReviewRecord } from '../../src/retrieval/index.js';
import { tempDir } from '../helpers/paths.js';

const dir = tempDir('reviewlens-lance-');
let ix: LanceReviewIndex;
const v = (...xs: number[]) => Float32Array.from(xs);
const rec = (id: string, text: string, extra: Partial<ReviewRecord> = {}): ReviewRecord => ({ id, text, ...extra });

beforeAll(async () => {
  ix = await LanceReviewIndex.open({ uri: dir, textDim: 3, imageDim: 2 });
  await ix.upsertVectors([
    {
      record: rec('a', 'The battery lasts two days, great phone', {
        product: 'p1',
        rating: 5,
        label: 'positive',
        date: '2026-01-10',
        source: 'shop-a',
      }),
      textVector: v(1, 0, 0),
      imageVector: v(1, 0),
    },
    {
      record: rec('b', "Battery died after a week, don't buy", {
        product: 'p1',
        rating: 1,
        label: 'negative',
        date: '2026-02-01',
        source: 'shop-b',
      }),
      textVector: v(0, 1, 0),
    },
    {
      record: rec('c', "The screen cracked in shipping; it's O'Brien's fault", {
        product: "O'Brien",
        rating: 2,
        date: '2026-02-01T18:30:00Z',
      }),
      textVector: v(0, 0, 1),
      imageVector: v(0, 1),
    },
  ]);
});
afterAll(async () => {
  await ix.close();
});

describe('LanceReviewIndex', () => {
  it('finds reviews by BM25 and by cosine similarity, with scores', async () => {
    const bm25 = await ix.searchText('battery', { limit: 10 });
    expect(bm25.map((c) => c.id).sort()).toEqual(['a', 'b']);
    expect(bm25.every((c) => c.score > 0)).toBe(true);
    const dense = await ix.searchVector('text', v(0.9, 0.1, 0), { limit: 2 });
    expect(dense[0]?.id).toBe('a');
    expect(dense[0]?.score).toBeGreaterThan(0.98);
    // Only reviews with a photo take part in photo search.
    const photo = await ix.searchVector('image', v(0, 1), { limit: 10 });
    expect(photo.map((c) => c.id)).toEqual(['c', 'a']);
  });

  it('takes any text as a query, quotes and operators included', async () => {
    const hits = await ix.searchText('"battery" AND (died) -week: OR \'', { limit: 5 });
    expect(hits.map((h) => h.id)).toContain('b');
    expect(await ix.searchText('   ', { limit: 5 })).toEqual([]);
  });

  it('applies every filter, quoting values safely', async () => {
    const ids = async (f: Parameters<typeof filterSql>[0]) =>
      (await ix.searchVector('text', v(1, 1, 1), { limit: 10, ...(f ? { filters: f } : {}) })).map((c) => c.id).sort();
    expect(await ids({ product: 'p1' })).toEqual(['a', 'b']);
    expect(await ids({ product: "O'Brien" })).toEqual(['c']);
    expect(await ids({ sentiment: 'negative' })).toEqual(['b']);
    expect(await ids({ ratingMin: 2, ratingMax: 4 })).toEqual(['c']);
    expect(await ids({ dateFrom: '2026-01-15' })).toEqual(['b', 'c']);
    // A bare date as the upper bound includes that whole day.
    expect(await ids({ dateTo: '2026-02-01' })).toEqual(['a', 'b', 'c']);
    expect(await ids({ dateTo: '2026-01-31' })).toEqual(['a']);
    expect(await ids({ source: 'shop-b' })).toEqual(['b']);
    expect(await ids({ hasImage: true })).toEqual(['a', 'c']);
    expect((await ix.searchText('battery', { limit: 10, filters: { ratingMax: 3 } })).map((c) => c.id)).toEqual(['b']);
    expect(() => filterSql({ ratingMin: Number.NaN })).toThrow(/finite/);
  });

  it('returns stored records and vectors by id', async () => {
    const m = await ix.get(['c', 'missing']);
    expect([...m.keys()]).toEqual(['c']);
    expect(m.get('c')).toMatchObject({ product: "O'Brien", rating: 2, label: null, imageId: null });
    const vecs = await ix.vectors('b');
    expect(Array.from(vecs?.text ?? [])).toEqual([0, 1, 0]);
    expect(vecs?.image).toBeUndefined();
    expect(await ix.existing(['a', 'zz'])).toEqual(new Set(['a']));
  });

  it('sees new rows in full-text search at once, updates in place and deletes', async () => {
    await ix.upsertVectors([{ record: rec('d', 'Zebra-striped case, battery fine'), textVector: v(1, 1, 0) }]);
    expect((await ix.searchText('zebra', { limit: 5 })).map((c) => c.id)).toEqual(['d']);
    await ix.update('d', { label: 'neutral', rating: 3 });
    expect((await ix.get(['d'])).get('d')).toMatchObject({
      label: 'neutral',
      rating: 3,
      text: 'Zebra-striped case, battery fine',
    });
    await ix.delete(['d']);
    expect(await ix.searchText('zebra', { limit: 5 })).toEqual([]);
    expect(await ix.count()).toBe(3);
    const s = await ix.stats();
    expect(s).toMatchObject({ reviews: 3, withPhoto: 2 });
    expect(s.diskBytes).toBeGreaterThan(0);
    // Searches are answered by the in-memory indices, which hold the 3 rows left.
    expect(s.memory).toMatchObject({ rows: 3, photoRows: 2, textAnn: false });
  });

  it("sees another process's writes to the same table", async () => {
    const shared = tempDir('reviewlens-shared-');
    const reader = await LanceReviewIndex.open({ uri: shared, textDim: 3, imageDim: 2, readConsistencySeconds: 0 });
    const writer = await LanceReviewIndex.open({ uri: shared, textDim: 3, imageDim: 2 });
    expect(await reader.searchText('kettle', { limit: 5 })).toEqual([]);
    await writer.upsertVectors([{ record: rec('k', 'The kettle leaks'), textVector: v(1, 0, 0) }]);
    // The reader notices the new table version (readConsistencySeconds 0) and reloads its in-memory indices.
    expect((await reader.searchText('kettle', { limit: 5 })).map((c) => c.id)).toEqual(['k']);
    expect((await reader.searchVector('text', v(1, 0, 0), { limit: 1 }))[0]?.id).toBe('k');
    await writer.close();
    await reader.close();
  });

  it("answers hits' records from memory once loaded, and sees another process's edits of them", async () => {
    const shared = tempDir('reviewlens-records-');
    const writer = await LanceReviewIndex.open({ uri: shared, textDim: 3, imageDim: 2 });
    const full = rec('r1', 'Kettle boils fast', {
      title: 'Quick',
      product: 'kettle-9',
      rating: 4,
      label: 'positive',
      date: '2026-03-01',
      source: 'shop-a',
      imageId: 'img-1',
    });
    await writer.upsertVectors([
      { record: full, textVector: v(1, 0, 0), imageVector: v(1, 0) },
      { record: rec('r2', 'Lid is loose'), textVector: v(0, 1, 0) },
    ]);
    const reader = await LanceReviewIndex.open({ uri: shared, textDim: 3, imageDim: 2, readConsistencySeconds: 0 });
    await reader.warm();
    expect((await reader.stats()).memory?.records).toBe(2);
    expect((await reader.get(['r1', 'r2'])).get('r1')).toEqual(full);
    await writer.update('r1', { label: 'negative', rating: 1 });
    // The reader sees the new table version, drops the records it held and loads them again.
    expect((await reader.get(['r1'])).get('r1')).toEqual({ ...full, label: 'negative', rating: 1 });
    const small = await LanceReviewIndex.open({ uri: shared, textDim: 3, imageDim: 2, recordCacheSize: 1 });
    await small.warm();
    expect((await small.stats()).memory?.records).toBe(1);
    expect([...(await small.get(['r1', 'r2'])).keys()].sort()).toEqual(['r1', 'r2']);
    await Promise.all([writer.close(), reader.close(), small.close()]);
  });

  it('refuses an index built for other vector sizes, naming the column', async () => {
    await expect(LanceReviewIndex.open({ uri: dir, textDim: 4, imageDim: 2 })).rejects.toThrow(
      /text_vec of dimension 3/,
    );
  });

  it('builds an in-memory HNSW graph past annMinRows and still finds the exact neighbour', async () => {
    const big = await LanceReviewIndex.open({
      uri: tempDir('reviewlens-ann-'),
      textDim: 8,
      imageDim: 2,
      annMinRows: 300,
    });
    let seed = 7;
    const rnd = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647 - 0.5;
    };
    const items = Array.from({ length: 400 }, (_, i) => ({
      record: rec(`r${i}`, `review ${i}`),
      textVector: Float32Array.from({ length: 8 }, rnd),
    }));
    await big.upsertVectors(items);
    const q = items[123]?.textVector as Float32Array;
    // The first search loads the in-memory indices; past annMinRows the graph is built in the background.
    expect((await big.searchVector('text', q, { limit: 1 }))[0]?.id).toBe('r123');
    await big.buildAnnNow('text');
    expect((await big.stats()).memory).toMatchObject({ rows: 400, textAnn: true });
    expect((await big.searchVector('text', q, { limit: 1 }))[0]?.id).toBe('r123');
    expect((await big.searchExact('text', q, 1))[0]?.id).toBe('r123');
    await big.close();
  });
});
