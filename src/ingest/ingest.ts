import type { Config } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import { type ChatClient, isLocalClient, localLlmClient, remoteTextLlmClient } from '../llm/index.js';
import { fetcherFromConfig, type SafeFetcher } from '../net/index.js';
import type { BlobStore, MetadataStore } from '../storage/index.js';
import { type CrawlerKind, crawl, type FetchedPage } from './crawl.js';
import { extractReviews } from './extract.js';
import { type CrawlOutcome, domainOf, pickSources, StrategyMemory } from './memory.js';
import { proposeSources } from './proposals.js';
import { parseUrls, readSourcesFile, type SourceSpec } from './sources.js';
import { storePageReviews } from './store.js';

export interface IngestRequest {
  /** Start pages. */
  urls?: string[] | undefined;
  /** A sources file (YAML or JSON). */
  sourcesFile?: string | undefined;
  /** Pages fetched in all (default `ingest.maxPages`). */
  maxPages?: number | undefined;
  /** Overrides `ingest.crawler` for every source that does not name its own. */
  crawler?: CrawlerKind | undefined;
}

export interface IngestDeps {
  config: Config;
  meta: MetadataStore;
  blobs: BlobStore;
  /** The LLM for selector discovery and proposals; by default built from `llm.*` when `llm.url` is set. */
  llm?: ChatClient | null | undefined;
  /** Fetches pages, robots.txt and photos; by default the SSRF-safe fetcher built from `ingest.*` (allowHosts, caps). */
  fetcher?: SafeFetcher | undefined;
  log?: ((level: 'info' | 'warn' | 'error', message: string) => void) | undefined;
  progress?: ((fraction: number, message: string) => void | Promise<void>) | undefined;
  signal?: AbortSignal | undefined;
}

export interface PageReport {
  url: string;
  crawler: 'static' | 'browser';
  reviews: number;
  new: number;
  duplicate: number;
  extractor: string | null;
}

export interface IngestSummary {
  runId: number;
  /** How the start pages were chosen: given (`urls`/`sources`) or picked by the bandit. */
  mode: 'given' | 'bandit';
  sources: string[];
  pages: number;
  browserPages: number;
  reviews: { found: number; new: number; duplicate: number };
  byExtractor: Record<string, number>;
  photos: { downloaded: number; failed: number };
  errors: { url: string; message: string }[];
  skipped: { url: string; reason: string }[];
  perPage: PageReport[];
  proposals: { kind: string; url: string; reason: string }[];
  cancelled: boolean;
}

/**
 * One ingestion: choose the start pages (given, or picked by the bandit over the strategy memory, widened
 * by the LLM's proposals when one is configured), crawl them, extract and store every review with its
 * provenance and photos, and update the strategy memory. Safe to run again: reviews are keyed by content
 * hash, so what is already stored counts as a duplicate and is not written or downloaded again.
 */
export async function runIngest(deps: IngestDeps, req: IngestRequest = {}): Promise<IngestSummary> {
  const cfg = deps.config.ingest;
  const log = deps.log ?? (() => {});
  const memory = new StrategyMemory(deps.meta.db);
  // The local model only on request (ingest.llmSelectorsLocal): see that setting for why.
  const llm =
    deps.llm === undefined
      ? (remoteTextLlmClient(deps.config) ??
        (cfg.llmSelectorsLocal && cfg.llmSelectors ? localLlmClient(deps.config) : undefined))
      : (deps.llm ?? undefined);
  const fetcher = deps.fetcher ?? fetcherFromConfig(deps.config);
  const maxPages = req.maxPages ?? cfg.maxPages;
  if (!Number.isInteger(maxPages) || maxPages < 1)
    throw new ValidationError('maxPages must be a whole number of at least 1', 'maxPages');

  const summary: IngestSummary = {
    runId: 0,
    mode: 'given',
    sources: [],
    pages: 0,
    browserPages: 0,
    reviews: { found: 0, new: 0, duplicate: 0 },
    byExtractor: {},
    photos: { downloaded: 0, failed: 0 },
    errors: [],
    skipped: [],
    perPage: [],
    proposals: [],
    cancelled: false,
  };

  // 1. What to crawl.
  let specs: SourceSpec[] = [];
  if (req.urls?.length) specs.push(...parseUrls(req.urls));
  if (req.sourcesFile) specs.push(...readSourcesFile(req.sourcesFile));
  if (specs.length) {
    await memory.addSources(
      specs.map((s) => ({
        url: s.url,
        addedBy: req.sourcesFile ? 'sources-file' : 'user',
        crawler: s.crawler ?? 'auto',
      })),
    );
  } else {
    summary.mode = 'bandit';
    const known = await memory.sources();
    specs = pickSources(known, cfg.banditSources).map((s) => ({ url: s.url, crawler: s.crawler as CrawlerKind }));
    // A 1B local model proposes invented shop URLs, which would then be crawled: proposals need llm.url.
    if (llm && !isLocalClient(llm)) {
      try {
        const proposals = await proposeSources(llm, memory, known);
        summary.proposals = proposals;
        await memory.addSources(proposals.map((p) => ({ url: p.url, addedBy: 'llm' })));
        for (const p of proposals) if (!specs.some((s) => s.url === p.url)) specs.push({ url: p.url });
      } catch (e) {
        summary.errors.push({ url: deps.config.llm.url, message: `LLM proposals: ${(e as Error).message}` });
      }
    }
    if (specs.length === 0) {
      throw new ValidationError(
        'nothing to crawl: give URLs or a sources file (the strategy memory knows no source yet)',
        'urls',
      );
    }
  }
  specs = [...new Map(specs.map((s) => [s.url, s])).values()];
  summary.sources = specs.map((s) => s.url);
  summary.runId = await memory.startRun({ sources: summary.sources, maxPages, mode: summary.mode });
  log('info', `ingest run ${summary.runId}: ${specs.length} source(s), up to ${maxPages} page(s)`);

  // 2. Crawler per source: its own, the request's, the memory's (a domain that needed the browser), the config's.
  const starts = [];
  for (const s of specs) {
    let kind: CrawlerKind = s.crawler && s.crawler !== 'auto' ? s.crawler : (req.crawler ?? cfg.crawler);
    if (kind === 'auto' && (await memory.needsBrowser(domainOf(s.url)))) kind = 'browser';
    starts.push({ url: s.url, crawler: kind });
  }

  // 3. Crawl; each page is extracted and stored as it arrives.
  const outcomes = new Map<string, CrawlOutcome & { browserFound: boolean }>(
    specs.map((s) => [s.url, { pages: 0, reviews: 0, newReviews: 0, duplicates: 0, errors: 0, browserFound: false }]),
  );
  const outcome = (origin: string) => {
    let o = outcomes.get(origin);
    if (!o) {
      o = { pages: 0, reviews: 0, newReviews: 0, duplicates: 0, errors: 0, browserFound: false };
      outcomes.set(origin, o);
    }
    return o;
  };
  const onPage = async (page: FetchedPage) => {
    const o = outcome(page.origin);
    o.pages++;
    const domain = domainOf(page.url);
    const rawBlob = cfg.keepRawPages ? await deps.blobs.put(Buffer.from(page.html, 'utf8')) : null;
    const cached = await memory.cachedSelectors(domain);
    const ex = await extractReviews(page.html, page.url, {
      $: page.$,
      cached,
      llm: cfg.llmSelectors ? llm : undefined,
      // The local model's context (2048 tokens by default) holds about 3 characters of HTML a token, minus the prompt.
      llmMaxChars: isLocalClient(llm)
        ? Math.min(cfg.llmMaxChars, Math.max(1000, (deps.config.llm.local.contextSize - 700) * 3))
        : cfg.llmMaxChars,
    });
    if (ex.llmError) summary.errors.push({ url: page.url, message: `LLM selector discovery: ${ex.llmError}` });
    if (ex.selectors) await memory.saveSelectors(domain, ex.selectors);
    else if (ex.cacheStale) await memory.selectorMiss(domain);

    const stored = await storePageReviews(
      { meta: deps.meta, blobs: deps.blobs, ingest: cfg, fetcher, signal: deps.signal },
      page,
      ex.reviews,
      ex.product,
      rawBlob,
    );
    summary.photos.downloaded += stored.photosDownloaded;
    summary.photos.failed += stored.photoErrors.length;
    summary.errors.push(...stored.photoErrors);
    const { found, inserted, duplicates } = stored;
    o.reviews += found;
    o.newReviews += inserted;
    o.duplicates += duplicates;
    if (page.crawler === 'browser' && found) o.browserFound = true;
    summary.pages++;
    if (page.crawler === 'browser') summary.browserPages++;
    summary.reviews.found += found;
    summary.reviews.new += inserted;
    summary.reviews.duplicate += duplicates;
    for (const r of ex.reviews) summary.byExtractor[r.extractor] = (summary.byExtractor[r.extractor] ?? 0) + 1;
    summary.perPage.push({
      url: page.url,
      crawler: page.crawler,
      reviews: found,
      new: inserted,
      duplicate: duplicates,
      extractor: ex.reviews[0]?.extractor ?? null,
    });
    const msg = `${page.url} [${page.crawler}]: ${found} reviews (${inserted} new)${found ? ` by ${ex.reviews[0]?.extractor}` : ''}`;
    log('info', msg);
    await deps.progress?.(Math.min(1, summary.pages / maxPages), msg);
    return { reviews: found };
  };

  let failed: unknown;
  try {
    await crawl(
      starts,
      {
        onPage,
        onError: (url, origin, message) => {
          outcome(origin).errors++;
          summary.errors.push({ url, message });
          log('warn', `${url}: ${message}`);
        },
        onSkipped: (url, reason) => {
          summary.skipped.push({ url, reason });
          log('info', `${url}: skipped (${reason})`);
        },
      },
      { ingest: cfg, dataDir: deps.config.dataDir, maxPages, fetcher, signal: deps.signal },
    );
  } catch (e) {
    failed = e;
  } finally {
    if (!deps.fetcher) fetcher.close();
  }
  summary.cancelled = deps.signal?.aborted ?? false;

  // 4. The strategy memory learns from what each source gave.
  for (const [url, o] of outcomes) {
    if (o.pages + o.errors === 0) continue;
    await memory.recordCrawl(url, o, o.browserFound);
  }
  const status = failed ? 'failed' : summary.cancelled ? 'cancelled' : 'succeeded';
  await memory.finishRun(summary.runId, status, countsOf(summary));
  if (failed) throw failed;
  return summary;
}

/** The summary without the per-page and per-error lists (what the pipeline step stores as its output). */
export function countsOf(s: IngestSummary): Record<string, unknown> {
  return {
    run_id: s.runId,
    mode: s.mode,
    sources: s.sources.length,
    pages: s.pages,
    browser_pages: s.browserPages,
    reviews_found: s.reviews.found,
    reviews_new: s.reviews.new,
    reviews_duplicate: s.reviews.duplicate,
    by_extractor: s.byExtractor,
    photos_downloaded: s.photos.downloaded,
    photos_failed: s.photos.failed,
    errors: s.errors.length,
    skipped: s.skipped.length,
    proposals: s.proposals.length,
    cancelled: s.cancelled,
  };
}
