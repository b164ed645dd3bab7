import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MVSA_IMAGES, SHARED } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/** Real MVSA-Single tweets with their photos, indexed through the API with the real encoders. */
const rows = readFileSync(join(SHARED, 'mvsa-single', 'labeled.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, 12)
  .map((l) => JSON.parse(l) as { id: string; text: string; image: string; label: string });
const photo = (r: { image: string }) => readFileSync(join(MVSA_IMAGES, '..', r.image));

let srv: RunningServer;
const ids: string[] = [];

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${srv.url}${path}`, {
    method,
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {}, headers: res.headers };
}

beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv?.close();
});

describe('search index through the API', () => {
  it('answers analyses with no similar reviews while the index is empty', async () => {
    const r = await api('POST', '/api/analyze', { text: 'I love this phone' });
    expect(r.status).toBe(200);
    expect(r.body.similar_reviews).toEqual([]);
    expect((await api('GET', '/api/index/stats')).body).toMatchObject({ backend: 'lancedb', reviews: 0 });
  });

  it('indexes reviews one by one; the same review again is a no-op', async () => {
    for (const [i, r] of rows.entries()) {
      const res = await api('POST', '/api/reviews', {
        text: r.text,
        label: r.label,
        product: i % 2 === 0 ? 'even' : 'odd',
        rating: (i % 5) + 1,
        date: `2026-01-${String(i + 1).padStart(2, '0')}`,
        source: 'mvsa-single',
        ...(i < 8 ? { image_base64: photo(r).toString('base64') } : {}),
      });
      expect(res.status).toBe(201);
      expect(res.body.id).toMatch(/^[0-9a-f]{64}$/);
      ids.push(res.body.id);
    }
    const again = await api('POST', '/api/reviews', {
      text: rows[0]?.text,
      product: 'even',
      image_base64: photo(rows[0] as { image: string }).toString('base64'),
    });
    expect(again).toMatchObject({ status: 200, body: { id: ids[0], created: false } });
    const stats = await api('GET', '/api/index/stats');
    expect(stats.body).toMatchObject({ reviews: 12, withPhoto: 8 });
  });

  it('refuses bad reviews with a clear error and stores nothing', async () => {
    expect((await api('POST', '/api/reviews', { text: '' })).status).toBe(400);
    const notImage = await api('POST', '/api/reviews', {
      text: 'photo is a text file',
      image_base64: Buffer.from('just text, not a photo').toString('base64'),
    });
    expect(notImage.status).toBe(415);
    expect((await api('POST', '/api/reviews', { text: 'when?', date: 'last tuesday' })).body.error.field).toBe('date');
    expect((await api('GET', '/api/index/stats')).body.reviews).toBe(12);
  });

  it('searches by text with every stage reported, filters and pages', async () => {
    const q = rows[3]?.text as string;
    const res = await api('POST', '/api/search', { text: q, k: 3 });
    expect(res.status).toBe(200);
    expect(res.body.stages).toEqual(['bm25', 'dense']);
    expect(res.body.hits[0].id).toBe(ids[3]);
    expect(res.body.hits[0].scores).toMatchObject({ bm25_rank: 1, dense_rank: 1 });
    expect(res.body.hits[0].scores.dense_score).toBeGreaterThan(0.99);

    const odd = await api('POST', '/api/search', { text: q, k: 20, filters: { product: 'odd', rating_min: 2 } });
    expect(odd.body.hits.length).toBeGreaterThan(0);
    for (const h of odd.body.hits) {
      expect(h.review.product).toBe('odd');
      expect(h.review.rating).toBeGreaterThanOrEqual(2);
    }
    const dated = await api('POST', '/api/search', {
      text: q,
      k: 20,
      filters: { date_from: '2026-01-03', date_to: '2026-01-05', sentiment: rows[3]?.label },
    });
    for (const h of dated.body.hits) {
      expect(h.review.date >= '2026-01-03' && h.review.date <= '2026-01-05').toBe(true);
      expect(h.review.label).toBe(rows[3]?.label);
    }
    const page1 = await api('POST', '/api/search', { text: q, k: 4 });
    const page2 = await api('POST', '/api/search', { text: q, k: 4, offset: 4 });
    const both = await api('POST', '/api/search', { text: q, k: 8 });
    expect([...page1.body.hits, ...page2.body.hits].map((h: { id: string }) => h.id)).toEqual(
      both.body.hits.map((h: { id: string }) => h.id),
    );
  });

  it('searches by photo (multipart) and returns thumbnails that are real JPEGs', async () => {
    const f = new FormData();
    f.append('image', new Blob([photo(rows[5] as { image: string })], { type: 'image/jpeg' }), 'q.jpg');
    f.append('k', '3');
    const res = await fetch(`${srv.url}/api/search`, { method: 'POST', body: f });
    const body = (await res.json()) as Record<string, any>;
    expect(res.status).toBe(200);
    expect(body.stages).toEqual(['image']);
    expect(body.hits[0].id).toBe(ids[5]);
    expect(body.hits[0].scores.image_score).toBeGreaterThan(0.99);
    const thumb = await fetch(`${srv.url}${body.hits[0].review.thumbnail_url}`);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeLessThanOrEqual(256);
    const full = await fetch(`${srv.url}/api/photos/${body.hits[0].review.imageId}`);
    expect(Buffer.from(await full.arrayBuffer()).equals(photo(rows[5] as { image: string }))).toBe(true);
    expect((await fetch(`${srv.url}/api/photos/${'0'.repeat(64)}/thumbnail`)).status).toBe(404);
  });

  it('fills similar_reviews in /api/analyze, never the analyzed review itself', async () => {
    const r = rows[2] as { text: string; image: string };
    const res = await api('POST', '/api/analyze', { text: r.text, image_base64: photo(r).toString('base64') });
    expect(res.status).toBe(200);
    const similar = res.body.similar_reviews as { id: string; text: string; score: number; thumbnail_url?: string }[];
    expect(similar.length).toBe(5);
    expect(similar.map((s) => s.text)).not.toContain(r.text);
    expect(similar.every((s) => s.score > 0)).toBe(true);
    expect(similar.some((s) => s.thumbnail_url?.startsWith('/api/photos/'))).toBe(true);
    // A cached analysis still gets similar reviews.
    const again = await api('POST', '/api/analyze', { text: r.text, image_base64: photo(r).toString('base64') });
    expect(again.body.cached).toBe(true);
    expect(again.body.similar_reviews.map((s: { id: string }) => s.id)).toEqual(similar.map((s) => s.id));
  });

  it('reads, updates and deletes one review', async () => {
    const id = ids[1] as string;
    expect((await api('GET', `/api/reviews/${id}`)).body).toMatchObject({ id, product: 'odd', source: 'mvsa-single' });
    const upd = await api('PATCH', `/api/reviews/${id}`, { label: 'neutral', rating: 3 });
    expect(upd).toMatchObject({ status: 200, body: { id, label: 'neutral', rating: 3 } });
    expect((await api('PATCH', `/api/reviews/${id}`, { label: 'great' })).status).toBe(400);
    expect((await api('DELETE', `/api/reviews/${id}`)).status).toBe(204);
    expect((await api('GET', `/api/reviews/${id}`)).status).toBe(404);
    expect((await api('DELETE', `/api/reviews/${id}`)).status).toBe(404);
    expect((await api('GET', '/api/reviews/not-a-hash')).status).toBe(400);
    expect((await api('GET', '/api/index/stats')).body.reviews).toBe(11);
  });

  it('answers 400 for a search with nothing to search by, and lists the routes in OpenAPI', async () => {
    const r = await api('POST', '/api/search', { k: 3 });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/text query, a photo, or both/);
    expect((await api('POST', '/api/search', { text: 'x', k: 0 })).status).toBe(400);
    // A pasted document is refused at once with 413, as /api/analyze refuses it, not searched until it times out.
    const long = await api('POST', '/api/search', { text: 'the zipper broke '.repeat(2000) });
    expect(long.status).toBe(413);
    expect(long.body.error.message).toMatch(/limit is 20000/);
    const docs = (await api('GET', '/api/docs')).body;
    for (const p of [
      '/api/search',
      '/api/reviews',
      '/api/reviews/{id}',
      '/api/index/stats',
      '/api/photos/{id}/thumbnail',
    ]) {
      expect(Object.keys(docs.paths)).toContain(p);
    }
  });
});

describe('search index that cannot be reached', () => {
  it('still analyzes, says why search is unavailable, and answers 503 on search routes', async () => {
    // Nothing listens on port 1: the Qdrant + OpenSearch backend fails to open at start.
    const down = await startServer({
      REVIEWLENS_INDEX_BACKEND: 'external',
      QDRANT_URL: 'http://127.0.0.1:1',
      OPENSEARCH_URL: 'http://127.0.0.1:1',
    });
    try {
      const health = (await (await fetch(`${down.url}/api/health`)).json()) as Record<string, any>;
      expect(health.search_index).toMatchObject({ backend: 'external', ok: false });
      expect(health.search_index.error).toMatch(/could not be opened/);
      const analysis = await fetch(`${down.url}/api/analyze`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'Works fine' }),
      });
      expect(analysis.status).toBe(200);
      expect(((await analysis.json()) as Record<string, any>).similar_reviews).toEqual([]);
      const search = await fetch(`${down.url}/api/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'battery' }),
      });
      expect(search.status).toBe(503);
      expect(((await search.json()) as Record<string, any>).error.message).toMatch(/search index could not be opened/);
    } finally {
      await down.close();
    }
  });
});
