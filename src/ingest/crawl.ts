import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheerioAPI } from 'cheerio';
import { load } from 'cheerio';
import {
  CheerioCrawler,
  type CheerioCrawlingContext,
  Configuration,
  log as crawleeLog,
  PlaywrightCrawler,
  type PlaywrightCrawlingContext,
  type RobotsTxtFile,
} from 'crawlee';
import { chromium, type Page } from 'playwright-core';
import type { Config } from '../core/config.js';
import { CHROMIUM_FLAGS, RefusedAddressError } from '../core/index.js';
import type { SafeFetcher } from '../net/index.js';
import { DomainGate } from './domain-gate.js';
import { hasNextButton, isNextLabel, paginationLinks } from './pagination.js';
import { robotsLoader, routeThroughFetcher, SafeHttpClient } from './safe-http.js';

/**
 * Crawling on Crawlee: a plain HTTP crawler (CheerioCrawler) for static pages and a browser crawler
 * (PlaywrightCrawler over playwright-core and the system's Chromium) for pages that render their reviews
 * with JavaScript. `auto` sends a page to the browser when the static fetch found no reviews but the page
 * has scripts. robots.txt is honoured (Crawlee's `respectRobotsTxtFile`), requests to one domain are
 * spaced by `domainDelayMs` and at most `domainConcurrency` of them run at once, failed pages are retried with exponential backoff, a watchdog abandons a page
 * that takes longer than `pageTimeoutSeconds`, and review pagination is followed up to a depth.
 * Crawlee's request queue lives in memory (persistStorage off) with its scratch directory under
 * `<dataDir>/tmp`, removed afterwards: nothing is written to the repository.
 *
 * Every byte comes through the SSRF-safe fetcher (`opts.fetcher`, src/net): the plain crawler's HTTP client,
 * robots.txt, and in the browser every request the page makes (src/ingest/safe-http.ts). A refused address
 * fails its page at once (no retries) with the rule named.
 */

export type CrawlerKind = 'auto' | 'static' | 'browser';

export interface FetchedPage {
  url: string;
  html: string;
  /** The page parsed once, for the extractors. */
  $: CheerioAPI;
  fetchedAt: Date;
  crawler: 'static' | 'browser';
  /** 0 for a start page, n for the n-th review page followed from it. */
  depth: number;
  /** The start page this one was reached from. */
  origin: string;
}

export interface CrawlHooks {
  /** Extracts and stores a page's reviews; returns how many it found (drives pagination and the browser fallback). */
  onPage(page: FetchedPage): Promise<{ reviews: number }>;
  onError(url: string, origin: string, message: string): void;
  onSkipped?(url: string, reason: string): void;
}

export interface CrawlStart {
  url: string;
  crawler: CrawlerKind;
}

export interface CrawlOptions {
  ingest: Config['ingest'];
  dataDir: string;
  maxPages: number;
  /** Fetches every page, robots.txt and browser sub-resource (the SSRF guard, its allow list and caps). */
  fetcher: SafeFetcher;
  signal?: AbortSignal | undefined;
}

export interface CrawlTotals {
  pages: number;
  browserPages: number;
  sentToBrowser: number;
}

/** An error as one line, without Crawlee's "rotating session" preface (the cause is on the next line). */
function errorLine(error: Error): string {
  const lines = error.message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Detected a session error/i.test(l));
  return (lines[0] ?? error.message).slice(0, 300);
}

const SKIP_RESOURCES = new Set(['image', 'media', 'font']);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface RequestLike {
  id?: string | undefined;
  uniqueKey: string;
  url: string;
  userData: Record<string, unknown>;
}

interface UserData {
  depth: number;
  origin: string;
}

type RobotsFor = (url: string) => Promise<RobotsTxtFile | undefined>;

/** The plain HTTP crawler with robots.txt fetched through the SSRF-safe fetcher (Crawlee uses got-scraping). */
class SafeCheerioCrawler extends CheerioCrawler {
  constructor(
    options: ConstructorParameters<typeof CheerioCrawler>[0],
    config: Configuration,
    private readonly robotsFor: RobotsFor,
  ) {
    super(options, config);
  }
  protected override getRobotsTxtFileForUrl(url: string): Promise<RobotsTxtFile | undefined> {
    return this.robotsFor(url);
  }
}

/** The browser crawler, likewise. */
class SafePlaywrightCrawler extends PlaywrightCrawler {
  constructor(
    options: ConstructorParameters<typeof PlaywrightCrawler>[0],
    config: Configuration,
    private readonly robotsFor: RobotsFor,
  ) {
    super(options, config);
  }
  protected override getRobotsTxtFileForUrl(url: string): Promise<RobotsTxtFile | undefined> {
    return this.robotsFor(url);
  }
}

/** A URL as Chromium and Crawlee both write it, for matching a request to its route. */
function urlKey(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

function hasScripts($: CheerioAPI): boolean {
  return $('script[src], script:not([type]), script[type="module"], script[type="text/javascript"]').length > 0;
}

export async function crawl(starts: CrawlStart[], hooks: CrawlHooks, opts: CrawlOptions): Promise<CrawlTotals> {
  const cfg = opts.ingest;
  const totals: CrawlTotals = { pages: 0, browserPages: 0, sentToBrowser: 0 };
  const scratch = join(opts.dataDir, 'tmp', `crawlee-${randomBytes(6).toString('hex')}`);
  await mkdir(scratch, { recursive: true });
  crawleeLog.setLevel(crawleeLog.LEVELS.OFF);
  const config = () =>
    new Configuration({
      persistStorage: false,
      purgeOnStart: true,
      storageClientOptions: { localDataDirectory: join(scratch, 'storage'), persistStorage: false },
      logLevel: crawleeLog.LEVELS.OFF,
    });
  const remaining = () => Math.max(0, opts.maxPages - totals.pages);
  const startKind = new Map(starts.map((s) => [s.url, s.crawler]));
  const browserQueue: { url: string; userData: UserData }[] = [];
  for (const s of starts) {
    if (s.crawler === 'browser') browserQueue.push({ url: s.url, userData: { depth: 0, origin: s.url } });
  }

  const fetcher = opts.fetcher;
  const robotsFor = robotsLoader(fetcher, { userAgent: cfg.userAgent, timeoutMs: cfg.pageTimeoutSeconds * 1000 });
  // Why a browser navigation failed (a refusal, named), and where a redirected one ended, by requested URL.
  const navErrors = new Map<string, Error>();
  const navFinal = new Map<string, string>();
  const refusalOf = (url: string, error: Error): Error | undefined => {
    if (error instanceof RefusedAddressError) return error;
    const nav = navErrors.get(urlKey(url));
    return nav instanceof RefusedAddressError ? nav : undefined;
  };

  // Per-domain concurrency: a request holds its domain's slot from before navigation to the end of its handler.
  const gate = new DomainGate(cfg.domainConcurrency);
  const keyOf = (r: RequestLike) => r.id ?? r.uniqueKey;
  const enterGate = async ({ request }: { request: RequestLike }) => gate.enter(keyOf(request), request.url);
  const common = {
    maxRequestRetries: cfg.maxRetries,
    // Crawlee counts a refused or reset connection as a "session" (proxy) error and rotates sessions up to 10
    // times apart from the retries; with no proxy that is only more retries, so it gets the same budget.
    maxSessionRotations: cfg.maxRetries,
    maxConcurrency: cfg.concurrency,
    // Start at full concurrency (Crawlee starts at one and scales up; it still scales down when the machine is busy).
    autoscaledPoolOptions: { desiredConcurrency: cfg.concurrency },
    sameDomainDelaySecs: cfg.domainDelayMs / 1000,
    requestHandlerTimeoutSecs: cfg.pageTimeoutSeconds,
    navigationTimeoutSecs: cfg.pageTimeoutSeconds,
    respectRobotsTxtFile: cfg.respectRobotsTxt ? { userAgent: cfg.userAgent } : false,
    onSkippedRequest: async ({ url, reason }: { url: string; reason: string }) => hooks.onSkipped?.(url, reason),
    // Exponential backoff before each retry (Crawlee retries at once otherwise); a refused address is not retried.
    errorHandler: async (
      { request }: { request: RequestLike & { retryCount: number; noRetry: boolean } },
      error: Error,
    ) => {
      gate.leave(keyOf(request));
      if (refusalOf(request.url, error)) {
        request.noRetry = true;
        return;
      }
      await sleep(cfg.retryBaseMs * 2 ** Math.max(0, request.retryCount - 1));
    },
    failedRequestHandler: async ({ request }: { request: RequestLike }, error: Error) => {
      gate.leave(keyOf(request));
      const ud = request.userData as unknown as UserData;
      hooks.onError(request.url, ud.origin ?? request.url, errorLine(refusalOf(request.url, error) ?? error));
    },
  };
  const abortWatch = (c: { teardown(): Promise<void> }) => {
    const stop = () => void c.teardown().catch(() => {});
    opts.signal?.addEventListener('abort', stop, { once: true });
    return () => opts.signal?.removeEventListener('abort', stop);
  };

  /** A page from the plain HTTP crawler: extract, then send it to the browser or follow its pagination. */
  const staticPage = async ({ request, response, body, $: crawlee$, enqueueLinks }: CheerioCrawlingContext) => {
    // Crawlee hands over cheerio's CommonJS build: the same version as the ESM one the extractors type against.
    const $ = crawlee$ as unknown as CheerioAPI;
    const ud = request.userData as UserData;
    const url = request.loadedUrl ?? request.url;
    const status = response.statusCode ?? 0;
    if (status >= 400) {
      hooks.onError(url, ud.origin, `HTTP ${status}`);
      return;
    }
    const html = typeof body === 'string' ? body : body.toString('utf8');
    totals.pages++;
    const page = {
      url,
      html,
      $,
      fetchedAt: new Date(),
      crawler: 'static' as const,
      depth: ud.depth,
      origin: ud.origin,
    };
    const { reviews } = await hooks.onPage(page);
    if (reviews === 0 && startKind.get(ud.origin) === 'auto' && hasScripts($)) {
      browserQueue.push({ url, userData: ud });
      totals.sentToBrowser++;
      return;
    }
    if (ud.depth < cfg.maxPaginationDepth) {
      const next = paginationLinks($, url, { reviewsOnly: reviews === 0 });
      if (next.length) await enqueueLinks({ urls: next, userData: { depth: ud.depth + 1, origin: ud.origin } });
    }
  };

  /** A page in the browser: extract, then follow pagination links or click "next page" buttons. */
  const browserPage = async ({ request, page, response, enqueueLinks }: PlaywrightCrawlingContext) => {
    const ud = request.userData as UserData;
    const status = response?.status() ?? 200;
    if (status >= 400) {
      hooks.onError(request.url, ud.origin, `HTTP ${status}`);
      return;
    }
    await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => {});
    let depth = ud.depth;
    for (;;) {
      const html = await page.content();
      const $ = load(html);
      if (remaining() <= 0) return;
      totals.pages++;
      totals.browserPages++;
      // A redirected page is served under the URL asked for (with a <base> of the final one): report the final.
      const url = navFinal.get(urlKey(page.url())) ?? page.url();
      const { reviews } = await hooks.onPage({
        url: depth === ud.depth ? url : `${url}#reviews-page-${depth + 1}`,
        html,
        $,
        fetchedAt: new Date(),
        crawler: 'browser',
        depth,
        origin: ud.origin,
      });
      if (reviews === 0 || depth >= cfg.maxPaginationDepth || opts.signal?.aborted) return;
      const links = paginationLinks($, url);
      if (links.length) {
        await enqueueLinks({ urls: links, userData: { depth: depth + 1, origin: ud.origin } });
        return;
      }
      if (!hasNextButton($)) return;
      // A "next page" button that loads more reviews in place: click it and wait for the text to change.
      const before = await page.evaluate(() => document.body?.textContent ?? '');
      if (!(await clickNext(page))) return;
      const changed = await page
        .waitForFunction((prev: string) => (document.body?.textContent ?? '') !== prev, before, { timeout: 10_000 })
        .then(() => true)
        .catch(() => false);
      if (!changed) return;
      await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => {});
      depth++;
    }
  };

  try {
    const staticStarts = starts.filter((s) => s.crawler !== 'browser');
    if (staticStarts.length && remaining() > 0 && !opts.signal?.aborted) {
      const crawler = new SafeCheerioCrawler(
        {
          ...common,
          httpClient: new SafeHttpClient(fetcher),
          maxRequestsPerCrawl: remaining(),
          additionalMimeTypes: ['application/xhtml+xml'],
          preNavigationHooks: [
            enterGate,
            async (_ctx, gotOptions) => {
              gotOptions.headers = { ...gotOptions.headers, 'user-agent': cfg.userAgent };
            },
          ],
          requestHandler: async (ctx) => {
            try {
              await staticPage(ctx);
            } finally {
              gate.leave(keyOf(ctx.request));
            }
          },
        },
        config(),
        robotsFor,
      );
      const unwatch = abortWatch(crawler);
      try {
        await crawler.run(staticStarts.map((s) => ({ url: s.url, userData: { depth: 0, origin: s.url } })));
      } finally {
        unwatch();
      }
    }

    if (browserQueue.length && remaining() > 0 && !opts.signal?.aborted) {
      const crawler = new SafePlaywrightCrawler(
        {
          ...common,
          maxRequestsPerCrawl: remaining(),
          headless: true,
          browserPoolOptions: { useFingerprints: false, maxOpenPagesPerBrowser: Math.max(1, cfg.concurrency) },
          launchContext: {
            launcher: chromium,
            userDataDir: join(scratch, 'chromium-profile'),
            useChrome: false,
            userAgent: cfg.userAgent,
            launchOptions: {
              executablePath: cfg.chromiumPath,
              // Chromium resolves no name itself: every request is fulfilled from the safe fetcher (a backstop
              // for anything that would slip past the routing).
              args: [...CHROMIUM_FLAGS, '--host-resolver-rules=MAP * ~NOTFOUND'],
              headless: true,
              serviceWorkers: 'block',
            },
          },
          preNavigationHooks: [
            enterGate,
            // A refused start page fails here with the rule named, before the browser is involved.
            async ({ request }) => fetcher.preflight(request.url),
            // Every request of the page through the safe fetcher; images, media and fonts are not needed to
            // read reviews (photo URLs are read from the markup) and are aborted.
            async ({ page }) =>
              routeThroughFetcher(page, fetcher, {
                skip: SKIP_RESOURCES,
                timeoutMs: cfg.pageTimeoutSeconds * 1000,
                onNavigationError: (url, error) => navErrors.set(urlKey(url), error),
                onNavigationRedirect: (url, finalUrl) => navFinal.set(urlKey(url), finalUrl),
              }),
          ],
          requestHandler: async (ctx) => {
            try {
              await browserPage(ctx);
            } finally {
              gate.leave(keyOf(ctx.request));
            }
          },
        },
        config(),
        robotsFor,
      );
      const unwatch = abortWatch(crawler);
      try {
        await crawler.run(
          browserQueue.map((b) => ({ url: b.url, userData: b.userData, uniqueKey: `browser:${b.url}` })),
        );
      } finally {
        unwatch();
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return totals;
}

/** Clicks the first visible, enabled control labelled "next page" / "more reviews"; false when there is none. */
async function clickNext(page: Page): Promise<boolean> {
  const candidates = page.locator('button, [role="button"], a:not([href]), a[href^="#"], a[href^="javascript:"]');
  const n = await candidates.count();
  for (let i = 0; i < n; i++) {
    const c = candidates.nth(i);
    const label = (await c.getAttribute('aria-label').catch(() => null)) ?? '';
    const text = (await c.textContent({ timeout: 1000 }).catch(() => '')) ?? '';
    if (!isNextLabel(text) && !isNextLabel(label)) continue;
    if (!(await c.isVisible().catch(() => false)) || !(await c.isEnabled().catch(() => false))) continue;
    await c.click({ timeout: 5000 });
    return true;
  }
  return false;
}
