import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreAgainstGold } from '../../src/ingest/index.js';
import { tempDir } from '../helpers/paths.js';
import { goldFor } from './gold.js';
import { openStores } from './helpers.js';
import { type Site, startSite } from './site-server.js';

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site.close();
});

describe('ingest over a local HTTP server (static crawler)', () => {
  it("stores the shop pages' reviews with provenance, none from the pages without reviews, and skips them on a re-run", async () => {
    const s = await openStores({ 'ingest.crawler': 'static' });
    const urls = ['amazon', 'etsy', 'costco', 'globalindustrial', 'overstock'].map(
      (p) => `${site.url}/shared/${p}.html`,
    );
    const sum = await s.ingest({ urls });
    expect(sum.pages).toBe(5);
    expect(sum.reviews).toEqual({ found: 18, new: 18, duplicate: 0 });
    expect(sum.byExtractor).toEqual({ 'repeated-structure': 14, 'json-ld': 4 });
    expect(sum.errors).toEqual([]);
    const perPage = Object.fromEntries(sum.perPage.map((p) => [p.url.split('/').pop(), p.reviews]));
    expect(perPage).toEqual({
      'amazon.html': 8,
      'etsy.html': 4,
      'costco.html': 0,
      'globalindustrial.html': 6,
      'overstock.html': 0,
    });

    const stored = await s.meta.reviews.list({ limit: 100 });
    expect(stored).toHaveLength(18);
    const amazon = stored.filter((r) => r.url?.endsWith('amazon.html'));
    expect(scoreAgainstGold(amazon, goldFor('amazon').reviews)).toMatchObject({
      precision: 1,
      recall: 1,
      ratingCorrect: 8,
    });
    for (const r of stored) {
      expect(r.source).toBe('127.0.0.1');
      const p = r.provenance as Record<string, string>;
      expect(p.source_url).toBe(r.url);
      expect(Number.isNaN(Date.parse(p.fetched_at ?? ''))).toBe(false);
      expect(['json-ld', 'repeated-structure']).toContain(p.extractor);
      expect(p.selector).toBeTruthy();
      // The raw page is kept, content-addressed.
      expect((await s.blobs.get(p.raw_page_blob ?? '')).toString('utf8')).toContain('<html');
    }

    const again = await s.ingest({ urls });
    expect(again.reviews).toEqual({ found: 18, new: 0, duplicate: 18 });
    expect(await s.meta.reviews.count()).toBe(18);
    // The strategy memory learnt from both crawls.
    const { StrategyMemory } = await import('../../src/ingest/index.js');
    const memory = new StrategyMemory(s.meta.db);
    const amazonStats = (await memory.sources()).find((x) => x.url.endsWith('amazon.html'));
    expect(amazonStats).toMatchObject({ crawls: 2, pagesFetched: 2, newReviews: 8, duplicateReviews: 8, errors: 0 });
    expect(amazonStats?.duplicateRate).toBe(0.5);
    expect(await memory.cachedSelectors('127.0.0.1')).toBeDefined();
    await s.meta.close();
  });

  it('follows "next page" links, honours robots.txt, retries a failing page and abandons a hung one', async () => {
    const s = await openStores({ 'ingest.crawler': 'static', 'ingest.pageTimeoutSeconds': 2, 'ingest.maxRetries': 2 });
    const sum = await s.ingest({
      urls: [`${site.url}/fixtures/flaky.html`, `${site.url}/private/secret.html`, `${site.url}/slow.html`],
    });
    // flaky.html answers 503 twice, then page 1 of the microdata fixture, whose "Next page" link leads to page 2.
    expect(site.hits.get('/fixtures/flaky.html')).toBe(3);
    expect(sum.perPage.map((p) => p.url.split('/').pop())).toEqual(['flaky.html', 'static-paged-2.html']);
    expect(sum.reviews.new).toBe(5);
    expect(sum.skipped).toEqual([{ url: `${site.url}/private/secret.html`, reason: 'robotsTxt' }]);
    expect(site.hits.get('/private/secret.html')).toBeUndefined();
    expect(sum.errors.map((e) => e.url)).toEqual([`${site.url}/slow.html`]);
    expect(sum.errors[0]?.message).toMatch(/timed out|timeout/i);
    await s.meta.close();
  });

  it('fetches at most ingest.domainConcurrency pages of one domain at once', async () => {
    const urls = [1, 2, 3, 4, 5, 6].map((i) => `${site.url}/delayed/stars-markup.html?i=${i}`);
    const one = await openStores({
      'ingest.crawler': 'static',
      'ingest.concurrency': 4,
      'ingest.domainConcurrency': 1,
    });
    expect((await one.ingest({ urls })).pages).toBe(6);
    expect(site.maxInFlight()).toBe(1);
    await one.meta.close();
    // The same crawl with three per domain does overlap (so the limit above is the gate's doing).
    const three = await openStores({
      'ingest.crawler': 'static',
      'ingest.concurrency': 4,
      'ingest.domainConcurrency': 3,
    });
    expect((await three.ingest({ urls: urls.map((u) => `${u}&again`) })).pages).toBe(6);
    expect(site.maxInFlight()).toBeGreaterThan(1);
    expect(site.maxInFlight()).toBeLessThanOrEqual(3);
    await three.meta.close();
  });

  it('stops at --max-pages', async () => {
    const s = await openStores({ 'ingest.crawler': 'static' });
    const sum = await s.ingest({ urls: [`${site.url}/fixtures/static-paged-1.html`], maxPages: 1 });
    expect(sum.pages).toBe(1);
    expect(sum.reviews.new).toBe(3);
    await s.meta.close();
  });

  it('reads start pages from a sources file, and refuses a bad one with a clear error', async () => {
    const s = await openStores({ 'ingest.crawler': 'static' });
    const dir = tempDir();
    const file = join(dir, 'sources.yml');
    writeFileSync(
      file,
      `sources:\n  - ${site.url}/shared/etsy.html\n  - url: ${site.url}/fixtures/stars-markup.html\n    crawler: static\n`,
    );
    const sum = await s.ingest({ sourcesFile: file });
    expect(sum.reviews.new).toBe(7);
    writeFileSync(join(dir, 'bad.yml'), 'sources:\n  - ftp://nope\n');
    await expect(s.ingest({ sourcesFile: join(dir, 'bad.yml') })).rejects.toThrow(/sources file .* is not valid/);
    await expect(s.ingest({ urls: ['not a url'] })).rejects.toThrow(/not a URL/);
    await s.meta.close();
  });
});

describe('ingest of a page that renders its reviews with JavaScript (browser crawler, Debian chromium)', () => {
  it('the static crawler alone finds none of them', async () => {
    const s = await openStores({ 'ingest.crawler': 'static' });
    const sum = await s.ingest({ urls: [`${site.url}/fixtures/js-reviews.html`] });
    expect(sum.pages).toBe(1);
    expect(sum.reviews.found).toBe(0);
    await s.meta.close();
  });

  it('auto: the static fetch finds none, the browser renders all 3 pages (clicking "Next page") and gets all 12, with photos', async () => {
    const s = await openStores({ 'ingest.crawler': 'auto', 'ingest.photos': true });
    const sum = await s.ingest({ urls: [`${site.url}/fixtures/js-reviews.html`] });
    expect(sum.browserPages).toBe(3);
    expect(sum.reviews.new).toBe(12);
    const stored = await s.meta.reviews.list({ limit: 100 });
    const score = scoreAgainstGold(stored, goldFor('js-reviews').reviews);
    expect(score).toMatchObject({ matched: 12, ratingCorrect: 12, precision: 1, recall: 1 });
    expect(stored.every((r) => (r.provenance as { crawler: string }).crawler === 'browser')).toBe(true);
    expect(stored.every((r) => r.product === 'Trailblazer 2-Person Tent')).toBe(true);

    // One review photo downloads and is stored by content hash; the other is a 404: recorded, review kept.
    expect(sum.photos).toEqual({ downloaded: 1, failed: 1 });
    expect(sum.errors).toEqual([{ url: `${site.url}/photos/missing.jpg`, message: expect.stringMatching(/HTTP 404/) }]);
    const withPhoto = stored.find((r) => r.photoBlobs.length === 1);
    expect(withPhoto?.text).toMatch(/^We pitched it above the tree line/);
    expect((await s.blobs.get(withPhoto!.photoBlobs[0]!)).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(stored.find((r) => r.text.startsWith('The door zipper split'))?.photoBlobs).toEqual([]);

    // The domain is remembered as one that needs the browser; Crawlee left nothing behind.
    const { StrategyMemory } = await import('../../src/ingest/index.js');
    expect(await new StrategyMemory(s.meta.db).needsBrowser('127.0.0.1')).toBe(true);
    expect(existsSync(join(s.config.dataDir, 'tmp')) ? readdirSync(join(s.config.dataDir, 'tmp')) : []).toEqual([]);
    await s.meta.close();
  });
});
