import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawlReward, ingestStep, pickSources, type SourceStats, StrategyMemory } from '../../src/ingest/index.js';
import type { StepContext } from '../../src/pipeline/types.js';
import { MetadataStore } from '../../src/storage/index.js';
import { openStores } from './helpers.js';
import { type Site, startSite } from './site-server.js';

const stats = (url: string, crawls: number, rewardSum: number): SourceStats => ({
  url,
  domain: new URL(url).hostname,
  addedBy: 'user',
  crawler: 'auto',
  crawls,
  rewardSum,
  pagesFetched: crawls,
  reviewsFound: 0,
  newReviews: 0,
  duplicateReviews: 0,
  errors: 0,
  lastSuccessAt: null,
  lastCrawlAt: null,
  newPerPage: 0,
  duplicateRate: 0,
  errorRate: 0,
});

describe('the bandit over the strategy memory', () => {
  it('rewards new reviews per page, discounted by errors', () => {
    expect(crawlReward({ pages: 2, reviews: 20, newReviews: 20, duplicates: 0, errors: 0 })).toBe(1);
    expect(crawlReward({ pages: 2, reviews: 10, newReviews: 10, duplicates: 0, errors: 0 })).toBe(0.5);
    expect(crawlReward({ pages: 1, reviews: 10, newReviews: 5, duplicates: 5, errors: 1 })).toBe(0.25);
    expect(crawlReward({ pages: 0, reviews: 0, newReviews: 0, duplicates: 0, errors: 3 })).toBe(0);
  });

  it('tries a source never crawled first, then prefers the source with more new reviews', () => {
    const rich = stats('https://a.example/1', 5, 4);
    const poor = stats('https://b.example/1', 5, 0.5);
    const fresh = stats('https://c.example/1', 0, 0);
    expect(pickSources([rich, poor, fresh], 3).map((s) => s.url)).toEqual([fresh.url, rich.url, poor.url]);
    // A source crawled rarely gets an exploration bonus over one with a slightly better record.
    const often = stats('https://d.example/1', 100, 60);
    const rarely = stats('https://e.example/1', 2, 1);
    expect(pickSources([often, rarely], 1)[0]?.url).toBe(rarely.url);
  });

  it("keeps statistics per source and per domain, and the domain's selectors with hits and misses", async () => {
    const meta = await MetadataStore.open({ url: 'memory://' });
    const m = new StrategyMemory(meta.db);
    await m.recordCrawl('https://shop.example/p/1', { pages: 2, reviews: 10, newReviews: 8, duplicates: 2, errors: 0 });
    await m.recordCrawl('https://shop.example/p/2', { pages: 0, reviews: 0, newReviews: 0, duplicates: 0, errors: 1 });
    const [p1, p2] = await m.sources();
    expect(p1).toMatchObject({ crawls: 1, pagesFetched: 2, newPerPage: 4, duplicateRate: 0.2, errorRate: 0 });
    expect(p1?.lastSuccessAt).toBeInstanceOf(Date);
    expect(p2).toMatchObject({ errorRate: 1, lastSuccessAt: null });
    const [d] = await m.domains();
    expect(d).toMatchObject({ domain: 'shop.example', crawls: 2, pages_fetched: 2, new_reviews: 8, errors: 1 });
    await m.saveSelectors('shop.example', { set: { review: 'li.r', text: 'p' }, extractor: 'repeated-structure' });
    await m.selectorMiss('shop.example');
    await m.saveSelectors('shop.example', { set: { review: 'div.r', text: 'p' }, extractor: 'llm' });
    expect(await m.cachedSelectors('shop.example')).toEqual({ set: { review: 'div.r', text: 'p' }, extractor: 'llm' });
    const row = await meta.db.selectFrom('ingest_selectors').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ hits: 2, misses: 1 });
    await meta.close();
  });
});

describe('the pipeline step', () => {
  let site: Site;
  beforeAll(async () => {
    site = await startSite();
  });
  afterAll(async () => {
    await site.close();
  });

  const ctx = (params: Record<string, unknown>) => {
    const progress: number[] = [];
    const logs: string[] = [];
    const c: StepContext = {
      runId: 1,
      params,
      outputs: {},
      progress: async (f) => {
        progress.push(f);
      },
      log: async (level, message) => {
        logs.push(`${level} ${message}`);
      },
      signal: new AbortController().signal,
    };
    return { c, progress, logs };
  };

  it('reads params.urls and params.maxPages, reports progress, returns the summary counts; a re-run adds nothing', async () => {
    const s = await openStores({ 'ingest.crawler': 'static' });
    const services = { config: s.config, meta: s.meta, blobs: s.blobs } as unknown as Parameters<
      typeof ingestStep.run
    >[1];
    // Nothing known and nothing given: the step skips, so a full pipeline run goes on to its other steps.
    expect(await ingestStep.run(ctx({}).c, services)).toMatchObject({ skipped: true, reason: /^nothing to crawl yet/ });
    const { c, progress, logs } = ctx({ urls: [`${site.url}/fixtures/static-paged-1.html`], maxPages: 5 });
    const out = await ingestStep.run(c, services);
    expect(out).toMatchObject({ pages: 2, reviews_found: 5, reviews_new: 5, reviews_duplicate: 0, errors: 0 });
    expect(progress.length).toBe(2);
    expect(logs.some((l) => l.includes('static-paged-2.html'))).toBe(true);
    const again = await ingestStep.run(ctx({ urls: [`${site.url}/fixtures/static-paged-1.html`] }).c, services);
    expect(again).toMatchObject({ reviews_new: 0, reviews_duplicate: 5 });
    await expect(ingestStep.run(ctx({ urls: 'x' }).c, services)).rejects.toThrow(/params.urls/);
    await expect(ingestStep.run(ctx({ maxPages: 0 }).c, services)).rejects.toThrow(/params.maxPages/);
    await s.meta.close();
  });

  it('stops when the run is cancelled, mid-crawl, and says so', async () => {
    const s = await openStores({
      'ingest.crawler': 'static',
      'ingest.concurrency': 1,
      'ingest.pageTimeoutSeconds': 60,
    });
    const services = { config: s.config, meta: s.meta, blobs: s.blobs } as unknown as Parameters<
      typeof ingestStep.run
    >[1];
    // The first page never answers; the run is cancelled while the crawler waits for it.
    const urls = [
      `${site.url}/slow.html`,
      ...[1, 2, 3, 4, 5].map((i) => `${site.url}/fixtures/stars-markup.html?i=${i}`),
    ];
    const { c } = ctx({ urls });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 1000);
    const out = await ingestStep.run({ ...c, signal: controller.signal }, services);
    clearTimeout(timer);
    expect(out.cancelled).toBe(true);
    expect(out.pages as number).toBeLessThan(urls.length);
    const runs = await s.meta.db.selectFrom('ingest_runs').select('status').execute();
    expect(runs.map((r) => r.status)).toEqual(['cancelled']);
    await s.meta.close();
  });
});
