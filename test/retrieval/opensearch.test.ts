/**
 * OpenSearchLexicalIndex (src/retrieval/opensearch.ts) through the official client, against a real HTTP
 * server on 127.0.0.1 that replays recorded OpenSearch responses (test/fixtures/retrieval/opensearch,
 * sources in test/fixtures/retrieval/README.md). No OpenSearch runs here: these tests check the requests the
 * adapter sends (mappings, bulk NDJSON lines, the bool query and its filters) and how it reads real
 * response bodies and errors, not BM25 ranking itself.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/core/errors.js';
import { sha256 } from '../../src/core/ids.js';
import {
  bulkFailures,
  OpenSearchBulkError,
  OpenSearchLexicalIndex,
  type OpenSearchLexicalIndexOptions,
  toOpenSearchFilters,
} from '../../src/retrieval/opensearch.js';
import { deadUrl, type Replay, startReplay } from '../helpers/replay-server.js';
import { battery, cracked, phone } from '../helpers/sample-reviews.js';

const FIXTURES = new URL('../fixtures/retrieval/opensearch/', import.meta.url);
function fixture(name: string): any {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8'));
}

const NOT_STORED = '0'.repeat(64);

let srv: Replay;
const opened: OpenSearchLexicalIndex[] = [];
beforeAll(async () => {
  srv = await startReplay({ error: 'test: no recorded reply left' });
});
afterAll(async () => {
  await Promise.all(opened.map((o) => o.close()));
  await srv?.close();
});
beforeEach(() => {
  srv.requests.length = 0;
});

function index(opts: Partial<OpenSearchLexicalIndexOptions> = {}) {
  const o = new OpenSearchLexicalIndex({ node: srv.url, index: 'reviews', ...opts });
  opened.push(o);
  return o;
}

// ---- tests ------------------------------------------------------------------------------------------------

describe('ensureIndex', () => {
  it('creates a missing index with English-analyzed BM25 text fields and keyword/number/date filters', async () => {
    srv.reply({ status: 404 }, { body: fixture('create-index') });
    expect(await index().ensureIndex()).toBe('created');

    expect(srv.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['HEAD /reviews', 'PUT /reviews']);
    expect(srv.requests[1]!.body).toEqual({
      mappings: {
        properties: {
          text: { type: 'text', analyzer: 'english', similarity: 'BM25' },
          title: { type: 'text', analyzer: 'english', similarity: 'BM25' },
          product: { type: 'keyword' },
          source: { type: 'keyword' },
          label: { type: 'keyword' },
          image_id: { type: 'keyword' },
          rating: { type: 'float' },
          date: { type: 'date' },
          has_image: { type: 'boolean' },
        },
      },
    });
  });

  it('leaves an existing index as it is', async () => {
    srv.reply({ status: 200 });
    expect(await index().ensureIndex()).toBe('exists');
    expect(srv.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['HEAD /reviews']);
  });

  it('create() connects and ensures the index in one step', async () => {
    srv.reply({ status: 200 });
    const o = await OpenSearchLexicalIndex.create({ node: srv.url, index: 'reviews' });
    opened.push(o);
    expect(o.name).toBe('opensearch');
    expect(srv.requests).toHaveLength(1);
  });
});

describe('writes', () => {
  it('indexes with one bulk request of NDJSON action/source lines, _id = review id, waiting for refresh', async () => {
    srv.reply({ body: fixture('bulk-index-ok') });
    await index().upsert([cracked, battery]);

    expect(srv.requests).toHaveLength(1);
    const req = srv.requests[0]!;
    expect(req).toMatchObject({ method: 'POST', path: '/_bulk' });
    expect(req.query.get('refresh')).toBe('wait_for');
    expect(req.headers['content-type']).toMatch(/ndjson/);
    expect(req.raw.endsWith('\n')).toBe(true);
    expect(req.body).toEqual([
      { index: { _index: 'reviews', _id: cracked.id } },
      {
        text: 'The screen cracked after two days',
        title: 'Fragile',
        product: 'phone-x',
        rating: 1,
        date: '2024-03-02',
        source: 'shop.example',
        label: 'negative',
        image_id: sha256('test'),
        has_image: true,
      },
      { index: { _index: 'reviews', _id: battery.id } },
      {
        text: 'Battery lasts all week, love it',
        title: null,
        product: 'phone-x',
        rating: 5,
        date: '2024-03-05',
        source: 'shop.example',
        label: 'positive',
        image_id: null,
        has_image: false,
      },
    ]);
  });

  it('splits large writes into batches and can skip the refresh wait', async () => {
    srv.reply({ body: fixture('bulk-index-ok') }, { body: fixture('bulk-index-ok') });
    await index({ batchSize: 2, refresh: false }).upsert([cracked, battery, phone]);
    expect(srv.requests.map((r) => r.body.length)).toEqual([4, 2]);
    expect(srv.requests[0]!.query.get('refresh')).toBe('false');
  });

  it('throws a clear error naming the failed ids when the bulk answer has errors: true', async () => {
    srv.reply({ body: fixture('bulk-index-errors') });
    const err = await index()
      .upsert([cracked, { ...battery, date: 'last tuesday' }])
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenSearchBulkError);
    expect(err.statusCode).toBe(502);
    expect(err.message).toMatch(
      new RegExp(
        `^OpenSearch at http://127\\.0\\.0\\.1:\\d+ did not apply 1 of 2 bulk index actions on index "reviews": ` +
          `${battery.id} \\(400 mapper_parsing_exception: failed to parse field \\[date\\] of type \\[date\\]`,
      ),
    );
    expect(err.message).not.toContain(cracked.id);
    expect(err.failures).toEqual([
      {
        id: battery.id,
        action: 'index',
        status: 400,
        type: 'mapper_parsing_exception',
        reason: `failed to parse field [date] of type [date] in document with id '${battery.id}'`,
      },
    ]);
  });

  it('deletes with bulk delete actions; a missing id (404 not_found) is not an error', async () => {
    srv.reply({ body: fixture('bulk-delete') });
    await index().delete([cracked.id, NOT_STORED]);
    expect(srv.requests[0]).toMatchObject({ method: 'POST', path: '/_bulk' });
    expect(srv.requests[0]!.body).toEqual([
      { delete: { _index: 'reviews', _id: cracked.id } },
      { delete: { _index: 'reviews', _id: NOT_STORED } },
    ]);
    expect(bulkFailures(fixture('bulk-delete').items)).toEqual([]);
  });

  it('sends nothing for empty writes', async () => {
    await index().upsert([]);
    await index().delete([]);
    expect(srv.requests).toHaveLength(0);
  });
});

describe('search', () => {
  it('runs a bool query: multi_match over text and title^2, filters from SearchFilters; returns _id and _score', async () => {
    srv.reply({ body: fixture('search-multi-match') });
    const got = await index().search('cracked screen', {
      limit: 10,
      filters: {
        product: 'phone-x',
        sentiment: 'negative',
        source: 'shop.example',
        ratingMin: 1,
        ratingMax: 2,
        dateFrom: '2024-03-01',
        dateTo: '2024-03-31',
        hasImage: true,
      },
    });

    expect(srv.requests).toHaveLength(1);
    expect(srv.requests[0]).toMatchObject({ method: 'POST', path: '/reviews/_search' });
    expect(srv.requests[0]!.body).toEqual({
      size: 10,
      _source: false,
      query: {
        bool: {
          must: [{ multi_match: { query: 'cracked screen', fields: ['text', 'title^2'] } }],
          filter: [
            { term: { product: 'phone-x' } },
            { term: { label: 'negative' } },
            { term: { source: 'shop.example' } },
            { range: { rating: { gte: 1, lte: 2 } } },
            // `||/d` rounds the bare upper date to the end of its day.
            { range: { date: { gte: '2024-03-01', lte: '2024-03-31||/d' } } },
            { term: { has_image: true } },
          ],
        },
      },
    });
    expect(got).toEqual([
      { id: cracked.id, score: 0.84407747 },
      { id: phone.id, score: 0.6322521 },
    ]);
  });

  it('leaves out the filter clause when nothing filters, and asks nothing for an empty query', async () => {
    srv.reply({ body: fixture('search-multi-match') });
    await index().search('battery', { limit: 5 });
    expect(srv.requests[0]!.body.query.bool).not.toHaveProperty('filter');
    expect(await index().search('   ', { limit: 5 })).toEqual([]);
    expect(await index().search('battery', { limit: 0 })).toEqual([]);
    expect(srv.requests).toHaveLength(1);
  });

  it('keeps a full timestamp bound as given', () => {
    expect(toOpenSearchFilters({ dateTo: '2024-03-31T12:00:00Z', ratingMin: 4 })).toEqual([
      { range: { rating: { gte: 4 } } },
      { range: { date: { lte: '2024-03-31T12:00:00Z' } } },
    ]);
    expect(toOpenSearchFilters(undefined)).toEqual([]);
  });
});

describe('count and records', () => {
  it('counts the documents of the index', async () => {
    srv.reply({ body: fixture('count') });
    expect(await index().count()).toBe(14074);
    expect(srv.requests[0]).toMatchObject({ path: '/reviews/_count' });
  });

  it('gets records with one mget; ids not found are absent', async () => {
    srv.reply({ body: fixture('mget') });
    const got = await index().get([cracked.id, NOT_STORED, cracked.id]);
    expect(srv.requests[0]).toMatchObject({ method: 'POST', path: '/reviews/_mget' });
    expect(srv.requests[0]!.body).toEqual({ ids: [cracked.id, NOT_STORED] });
    expect([...got.keys()]).toEqual([cracked.id]);
    expect(got.get(cracked.id)).toEqual(cracked);
  });
});

describe('errors and auth', () => {
  it('throws UnavailableError naming the node when nothing listens', async () => {
    const url = await deadUrl();
    const o = new OpenSearchLexicalIndex({ node: url, index: 'reviews', maxRetries: 0 });
    opened.push(o);
    const err = await o.count().catch((e) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.statusCode).toBe(503);
    expect(err.message).toMatch(
      new RegExp(`^OpenSearch at ${url} \\(count, index "reviews"\\) is unreachable \\(.*ECONNREFUSED`),
    );
  });

  it('retries a 503 and then throws UnavailableError', async () => {
    srv.reply({ status: 503 }, { status: 503 });
    const err = await index({ maxRetries: 1 })
      .search('battery', { limit: 3 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toMatch(/\(search, index "reviews"\) answered HTTP 503$/);
    expect(srv.requests).toHaveLength(2);
  });

  it('throws UnavailableError when the node does not answer in time', async () => {
    srv.reply({ hang: true });
    const err = await index({ timeoutMs: 200, maxRetries: 0 })
      .count()
      .catch((e) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toMatch(/did not answer within 200 ms$/);
  });

  it('sends basic auth when configured', async () => {
    srv.reply({ body: fixture('count') });
    await index({ auth: { username: 'reviewlens', password: 's3cret' } }).count();
    expect(srv.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('reviewlens:s3cret').toString('base64')}`);
  });

  it('refuses an index name OpenSearch would reject', () => {
    expect(() => new OpenSearchLexicalIndex({ node: srv.url, index: 'Reviews' })).toThrow(/lowercase/);
  });
});
