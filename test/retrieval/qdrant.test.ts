/**
 * QdrantVectorIndex (src/retrieval/qdrant.ts) through the official client, against a real HTTP server on
 * 127.0.0.1 that replays recorded Qdrant responses (test/fixtures/retrieval/qdrant, sources in
 * test/fixtures/retrieval/README.md). No Qdrant runs here: these tests check the requests the adapter sends
 * (paths, the filter translation, the UUID mapping, batching) and how it reads real response bodies and
 * errors, not Qdrant's ranking.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, UnavailableError, ValidationError } from '../../src/core/errors.js';
import { sha256 } from '../../src/core/ids.js';
import {
  pointIdFor,
  QDRANT_PAYLOAD_INDEXES,
  QdrantRequestError,
  QdrantVectorIndex,
  type QdrantVectorIndexOptions,
  toQdrantFilter,
} from '../../src/retrieval/qdrant.js';
import type { VectorizedReview } from '../../src/retrieval/types.js';
import { deadUrl, type Replay, startReplay } from '../helpers/replay-server.js';
import { battery, cracked, phone } from '../helpers/sample-reviews.js';

const FIXTURES = new URL('../fixtures/retrieval/qdrant/', import.meta.url);
function fixture(name: string): any {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8'));
}

const UUID = {
  cracked: '20e7affc-2f36-fb2f-544f-bd14aa045da7',
  battery: '265aac3b-3afb-53d2-6754-cbc69217ddd6',
  phone: 'f052bf76-6ed8-c5f0-7857-a020f6c33f6c',
};

const tv = (...v: number[]) => Float32Array.from(v);
const items: VectorizedReview[] = [
  { record: cracked, textVector: tv(0.5, -0.25, 0, 1), imageVector: tv(1, 0, 0.5) },
  { record: battery, textVector: tv(0, 1, 0.5, 0) },
  { record: phone, textVector: tv(0.25, 0.25, 0.25, 0.25), imageVector: null },
];

let srv: Replay;
beforeAll(async () => {
  srv = await startReplay({ status: { error: 'test: no recorded reply left' }, time: 0 });
});
afterAll(async () => {
  await srv?.close();
});
beforeEach(() => {
  srv.requests.length = 0;
});

function index(opts: Partial<QdrantVectorIndexOptions> = {}) {
  return new QdrantVectorIndex({ url: srv.url, collection: 'reviews', textDim: 4, imageDim: 3, ...opts });
}

// ---- tests ------------------------------------------------------------------------------------------------

describe('point ids', () => {
  it('are UUIDs made of the first 32 hex digits of the review id, and map back through the payload', () => {
    expect(pointIdFor(cracked.id)).toBe(UUID.cracked);
    expect(pointIdFor(cracked.id.toUpperCase())).toBe(UUID.cracked);
    expect(pointIdFor(battery.id)).toBe(UUID.battery);
    // A non-hex id is hashed first: still a deterministic UUID.
    expect(pointIdFor('review-1')).toBe(pointIdFor('review-1'));
    expect(pointIdFor('review-1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(pointIdFor('review-1')).toBe(pointIdFor(sha256('review-1')));
  });
});

describe('ensureCollection', () => {
  it('creates a missing collection (404) with named text/image Cosine vectors and every payload index', async () => {
    srv.reply(
      { status: 404, body: fixture('collection-not-found') },
      { body: fixture('create-collection') },
      ...Object.keys(QDRANT_PAYLOAD_INDEXES).map(() => ({ body: fixture('update-result-completed') })),
    );
    expect(await index().ensureCollection()).toBe('created');

    const [get, create, ...indexes] = srv.requests;
    expect(get).toMatchObject({ method: 'GET', path: '/collections/reviews' });
    expect(create).toMatchObject({ method: 'PUT', path: '/collections/reviews' });
    expect(create!.body.vectors).toEqual({
      text: { size: 4, distance: 'Cosine' },
      image: { size: 3, distance: 'Cosine' },
    });
    expect(indexes.map((r) => [r.method, r.path, r.query.get('wait')])).toEqual(
      Array(6).fill(['PUT', '/collections/reviews/index', 'true']),
    );
    expect(indexes.map((r) => r.body)).toEqual([
      { field_name: 'product', field_schema: 'keyword' },
      { field_name: 'label', field_schema: 'keyword' },
      { field_name: 'source', field_schema: 'keyword' },
      { field_name: 'rating', field_schema: 'float' },
      { field_name: 'date', field_schema: 'datetime' },
      { field_name: 'has_image', field_schema: 'bool' },
    ]);
  });

  it('leaves an existing collection alone and adds only the payload indexes it lacks', async () => {
    srv.reply(
      { body: fixture('collection-info-reviews') },
      { body: fixture('update-result-completed') },
      { body: fixture('update-result-completed') },
    );
    expect(await index().ensureCollection()).toBe('exists');
    expect(srv.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /collections/reviews',
      'PUT /collections/reviews/index',
      'PUT /collections/reviews/index',
    ]);
    expect(srv.requests.slice(1).map((r) => r.body)).toEqual([
      { field_name: 'date', field_schema: 'datetime' },
      { field_name: 'has_image', field_schema: 'bool' },
    ]);
  });

  it('refuses a collection with a single unnamed vector (a real collection-info answer)', async () => {
    srv.reply({ body: fixture('collection-info-unnamed-vector') });
    const err = await index()
      .ensureCollection()
      .catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/Qdrant collection "reviews" at http:\/\/127\.0\.0\.1:\d+ has no named vector "text"/);
    expect(srv.requests).toHaveLength(1);
  });

  it('refuses named vectors of another size, naming both sizes', async () => {
    srv.reply({ body: fixture('collection-info-reviews') });
    const err = await index({ textDim: 8 })
      .ensureCollection()
      .catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('vector "text" is 4-d Cosine, but the encoders make 8-d vectors');
  });

  it('create() connects and ensures the collection in one step', async () => {
    srv.reply(
      { body: fixture('collection-info-reviews') },
      ...Array(2).fill({ body: fixture('update-result-completed') }),
    );
    const q = await QdrantVectorIndex.create({ url: srv.url, collection: 'reviews', textDim: 4, imageDim: 3 });
    expect(q.name).toBe('qdrant');
    expect(srv.requests).toHaveLength(3);
  });
});

describe('writes', () => {
  it('upserts in batches, waits for each, maps ids to UUIDs and omits the image vector of reviews without a photo', async () => {
    srv.reply({ body: fixture('update-result-completed') }, { body: fixture('update-result-completed') });
    await index({ batchSize: 2 }).upsert(items);

    expect(srv.requests).toHaveLength(2);
    for (const r of srv.requests) {
      expect(r).toMatchObject({ method: 'PUT', path: '/collections/reviews/points' });
      expect(r.query.get('wait')).toBe('true');
    }
    const points = srv.requests.flatMap((r) => r.body.points);
    expect(srv.requests.map((r) => r.body.points.length)).toEqual([2, 1]);
    expect(points.map((p: any) => p.id)).toEqual([UUID.cracked, UUID.battery, UUID.phone]);
    expect(points[0].vector).toEqual({ text: [0.5, -0.25, 0, 1], image: [1, 0, 0.5] });
    expect(points[1].vector).toEqual({ text: [0, 1, 0.5, 0] });
    expect(points[2].vector).toEqual({ text: [0.25, 0.25, 0.25, 0.25] });
    expect(points[0].payload).toEqual({
      review_id: cracked.id,
      text: 'The screen cracked after two days',
      title: 'Fragile',
      product: 'phone-x',
      rating: 1,
      date: '2024-03-02',
      source: 'shop.example',
      label: 'negative',
      image_id: sha256('test'),
      has_image: true,
    });
    expect(points[2].payload).toMatchObject({ review_id: phone.id, title: null, label: null, has_image: false });
  });

  it('checks vector sizes before sending anything', async () => {
    const bad: VectorizedReview = { record: cracked, textVector: tv(1, 2, 3) };
    await expect(index().upsert([bad])).rejects.toBeInstanceOf(ValidationError);
    const nan: VectorizedReview = { record: cracked, textVector: tv(1, 2, 3, Number.NaN) };
    await expect(index().upsert([nan])).rejects.toThrow(/non-finite/);
    expect(srv.requests).toHaveLength(0);
  });

  it('sends nothing for empty writes and reads', async () => {
    const q = index();
    await q.upsert([]);
    await q.delete([]);
    expect((await q.get([])).size).toBe(0);
    expect(srv.requests).toHaveLength(0);
  });

  it('deletes by point UUID and waits', async () => {
    srv.reply({ body: fixture('update-result-completed') });
    await index().delete([cracked.id, phone.id]);
    expect(srv.requests).toHaveLength(1);
    expect(srv.requests[0]).toMatchObject({ method: 'POST', path: '/collections/reviews/points/delete' });
    expect(srv.requests[0]!.query.get('wait')).toBe('true');
    expect(srv.requests[0]!.body).toEqual({ points: [UUID.cracked, UUID.phone] });
  });

  it('updates filterable fields in the payload only', async () => {
    srv.reply({ body: fixture('update-result-completed') });
    await index().updateFields(battery.id, { label: 'neutral', rating: null });
    expect(srv.requests[0]).toMatchObject({ method: 'POST', path: '/collections/reviews/points/payload' });
    expect(srv.requests[0]!.body).toEqual({ payload: { rating: null, label: 'neutral' }, points: [UUID.battery] });
    await index().updateFields(battery.id, {});
    expect(srv.requests).toHaveLength(1);
  });
});

describe('search', () => {
  it('queries one named vector with the translated filter and maps points back to review ids', async () => {
    srv.reply({ body: fixture('query-points') });
    const got = await index().search('text', tv(0.5, 0.5, 0, 0), {
      limit: 3,
      filters: {
        product: 'phone-x',
        sentiment: 'positive',
        source: 'shop.example',
        ratingMin: 3,
        ratingMax: 5,
        dateFrom: '2024-03-01',
        dateTo: '2024-03-31',
        hasImage: false,
      },
    });

    expect(srv.requests).toHaveLength(1);
    const req = srv.requests[0]!;
    expect(req).toMatchObject({ method: 'POST', path: '/collections/reviews/points/query' });
    expect(req.body).toEqual({
      query: [0.5, 0.5, 0, 0],
      using: 'text',
      limit: 3,
      with_payload: ['review_id'],
      with_vector: false,
      filter: {
        must: [
          { key: 'product', match: { value: 'phone-x' } },
          { key: 'label', match: { value: 'positive' } },
          { key: 'source', match: { value: 'shop.example' } },
          { key: 'rating', range: { gte: 3, lte: 5 } },
          // A bare dateTo covers its whole day: strictly before the next one.
          { key: 'date', range: { lt: '2024-04-01', gte: '2024-03-01' } },
          { key: 'has_image', match: { value: false } },
        ],
      },
    });
    expect(got).toEqual([
      { id: battery.id, score: 0.912 },
      { id: phone.id, score: 0.643 },
      { id: cracked.id, score: 0.208 },
    ]);
  });

  it('searches the image vector without a filter when none is given', async () => {
    srv.reply({ body: fixture('query-points') });
    await index().search('image', tv(1, 0, 0), { limit: 2 });
    expect(srv.requests[0]!.body.using).toBe('image');
    expect(srv.requests[0]!.body).not.toHaveProperty('filter');
  });

  it('checks the query vector size, and asks nothing for limit 0', async () => {
    await expect(index().search('image', tv(1, 0, 0, 0), { limit: 5 })).rejects.toBeInstanceOf(ValidationError);
    expect(await index().search('text', tv(1, 0, 0, 0), { limit: 0 })).toEqual([]);
    expect(srv.requests).toHaveLength(0);
  });

  it('keeps a full timestamp bound as given', () => {
    expect(toQdrantFilter({ dateTo: '2024-03-31T12:00:00Z', hasImage: true })).toEqual({
      must: [
        { key: 'date', range: { lte: '2024-03-31T12:00:00Z' } },
        { key: 'has_image', match: { value: true } },
      ],
    });
    expect(toQdrantFilter({})).toBeUndefined();
    expect(() => toQdrantFilter({ ratingMin: Number.NaN })).toThrow(ValidationError);
  });
});

describe('count and records', () => {
  it('counts exactly', async () => {
    srv.reply({ body: fixture('count') });
    expect(await index().count()).toBe(1542);
    expect(srv.requests[0]).toMatchObject({ method: 'POST', path: '/collections/reviews/points/count' });
    expect(srv.requests[0]!.body).toEqual({ exact: true });
  });

  it('retrieves records by point UUID with payload and no vectors; unknown ids are absent', async () => {
    srv.reply({ body: fixture('retrieve-points') });
    const missing = sha256('not stored');
    const got = await index().get([cracked.id, battery.id, missing, cracked.id]);

    expect(srv.requests).toHaveLength(1);
    expect(srv.requests[0]).toMatchObject({ method: 'POST', path: '/collections/reviews/points' });
    expect(srv.requests[0]!.body).toEqual({
      ids: [UUID.cracked, UUID.battery, pointIdFor(missing)],
      with_payload: true,
      with_vector: false,
    });
    expect([...got.keys()]).toEqual([cracked.id, battery.id]);
    expect(got.get(cracked.id)).toEqual(cracked);
    expect(got.get(battery.id)).toEqual({ ...battery, title: null, imageId: null });
  });
});

describe('errors', () => {
  it('throws UnavailableError naming the URL when nothing listens', async () => {
    const url = await deadUrl();
    const err = await new QdrantVectorIndex({ url, collection: 'reviews', textDim: 4, imageDim: 3 })
      .count()
      .catch((e) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.statusCode).toBe(503);
    expect(err.message).toBe(`Qdrant at ${url} (count, collection "reviews") is unreachable (ECONNREFUSED)`);
  });

  it('throws UnavailableError on a 5xx answer', async () => {
    srv.reply({ status: 503 });
    const err = await index()
      .search('text', tv(1, 0, 0, 0), { limit: 3 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toMatch(/\(query text, collection "reviews"\) answered HTTP 503$/);
  });

  it('throws UnavailableError when the server does not answer in time', async () => {
    srv.reply({ hang: true });
    const err = await index({ timeoutMs: 200 })
      .count()
      .catch((e) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toMatch(/did not answer within 200 ms$/);
  });

  it("reports a 4xx with Qdrant's own message (a missing collection)", async () => {
    srv.reply({ status: 404, body: fixture('collection-not-found') });
    const err = await index()
      .count()
      .catch((e) => e);
    expect(err).toBeInstanceOf(QdrantRequestError);
    expect(err.httpStatus).toBe(404);
    expect(err.statusCode).toBe(502);
    expect(err.message).toMatch(/refused the request with HTTP 404: Not found: Collection `reviews` doesn't exist!$/);
  });

  it('sends the API key as the api-key header', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    srv.reply({ body: fixture('count') });
    await index({ apiKey: 'secret-key' }).count();
    expect(srv.requests[0]!.headers['api-key']).toBe('secret-key');
    // The client warns about a key over plain http (this test server); it is not an error.
    expect(warn).toHaveBeenCalledWith('Api key is used with unsecure connection.');
    warn.mockRestore();
  });
});
