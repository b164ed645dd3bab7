import { type Kysely, sql } from 'kysely';
import { closeAbandonedRuns, type Database, thisProcess } from '../storage/index.js';
import type { CachedSelectors } from './extract.js';
import type { SelectorSet } from './types.js';

/**
 * Strategy memory in the metadata store (tables of migration 0006_ingest): statistics per source URL and
 * per domain, the selectors discovered per domain, the LLM's proposals and crawl runs. The bandit that
 * picks the next sources reads the statistics; `recordCrawl` writes them after every crawl of a source.
 */

export interface SourceStats {
  url: string;
  domain: string;
  addedBy: string;
  crawler: string;
  crawls: number;
  rewardSum: number;
  pagesFetched: number;
  reviewsFound: number;
  newReviews: number;
  duplicateReviews: number;
  errors: number;
  lastSuccessAt: Date | null;
  lastCrawlAt: Date | null;
  /** Derived: new reviews per fetched page, duplicates among reviews found, errors per attempt. */
  newPerPage: number;
  duplicateRate: number;
  errorRate: number;
}

/** What one crawl of a source found. */
export interface CrawlOutcome {
  pages: number;
  reviews: number;
  newReviews: number;
  duplicates: number;
  errors: number;
}

/** A crawl's reward in 0..1: new reviews per page (10 or more counts as full), discounted by errors. */
export function crawlReward(o: CrawlOutcome): number {
  const attempts = o.pages + o.errors;
  if (attempts === 0) return 0;
  const perPage = o.pages > 0 ? o.newReviews / o.pages : 0;
  return Math.min(1, perPage / 10) * (o.pages / attempts);
}

export function domainOf(url: string): string {
  return new URL(url).hostname.toLowerCase();
}

export class StrategyMemory {
  constructor(private readonly db: Kysely<Database>) {}

  /** Adds sources the memory does not know yet (known ones keep their statistics). */
  async addSources(sources: { url: string; addedBy?: string; crawler?: string }[]): Promise<void> {
    if (sources.length === 0) return;
    await this.db
      .insertInto('ingest_sources')
      .values(
        sources.map((s) => ({
          url: s.url,
          domain: domainOf(s.url),
          added_by: s.addedBy ?? 'user',
          crawler: s.crawler ?? 'auto',
        })),
      )
      .onConflict((oc) => oc.column('url').doNothing())
      .execute();
  }

  async sources(): Promise<SourceStats[]> {
    const rows = await this.db.selectFrom('ingest_sources').selectAll().orderBy('url').execute();
    return rows.map((r) => {
      const found = r.new_reviews + r.duplicate_reviews;
      return {
        url: r.url,
        domain: r.domain,
        addedBy: r.added_by,
        crawler: r.crawler,
        crawls: r.crawls,
        rewardSum: r.reward_sum,
        pagesFetched: r.pages_fetched,
        reviewsFound: r.reviews_found,
        newReviews: r.new_reviews,
        duplicateReviews: r.duplicate_reviews,
        errors: r.errors,
        lastSuccessAt: r.last_success_at,
        lastCrawlAt: r.last_crawl_at,
        newPerPage: r.pages_fetched ? r.new_reviews / r.pages_fetched : 0,
        duplicateRate: found ? r.duplicate_reviews / found : 0,
        errorRate: r.pages_fetched + r.errors ? r.errors / (r.pages_fetched + r.errors) : 0,
      };
    });
  }

  async domains() {
    return this.db.selectFrom('ingest_domains').selectAll().orderBy('domain').execute();
  }

  /** Adds one crawl's outcome to the source's and its domain's statistics, in one transaction. */
  async recordCrawl(url: string, o: CrawlOutcome, usedBrowserForReviews = false): Promise<void> {
    const domain = domainOf(url);
    const reward = crawlReward(o);
    const now = new Date();
    const success = o.pages > 0 ? now : null;
    await this.db.transaction().execute(async (tx) => {
      const add = {
        crawls: sql<number>`crawls + 1`,
        reward_sum: sql<number>`reward_sum + ${reward}`,
        pages_fetched: sql<number>`pages_fetched + ${o.pages}`,
        reviews_found: sql<number>`reviews_found + ${o.reviews}`,
        new_reviews: sql<number>`new_reviews + ${o.newReviews}`,
        duplicate_reviews: sql<number>`duplicate_reviews + ${o.duplicates}`,
        errors: sql<number>`errors + ${o.errors}`,
        last_crawl_at: now,
        ...(success ? { last_success_at: success } : {}),
      };
      await tx
        .insertInto('ingest_sources')
        .values({ url, domain })
        .onConflict((oc) => oc.column('url').doNothing())
        .execute();
      await tx.updateTable('ingest_sources').set(add).where('url', '=', url).execute();
      await tx
        .insertInto('ingest_domains')
        .values({ domain })
        .onConflict((oc) => oc.column('domain').doNothing())
        .execute();
      await tx
        .updateTable('ingest_domains')
        .set({ ...add, ...(usedBrowserForReviews ? { needs_browser: true } : {}) })
        .where('domain', '=', domain)
        .execute();
    });
  }

  async needsBrowser(domain: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('ingest_domains')
      .select('needs_browser')
      .where('domain', '=', domain)
      .executeTakeFirst();
    return r?.needs_browser ?? false;
  }

  async cachedSelectors(domain: string): Promise<CachedSelectors | undefined> {
    const r = await this.db.selectFrom('ingest_selectors').selectAll().where('domain', '=', domain).executeTakeFirst();
    if (!r) return undefined;
    const set = r.selectors as unknown as SelectorSet;
    if (typeof set.review !== 'string' || typeof set.text !== 'string') return undefined;
    return { set, extractor: r.extractor === 'llm' ? 'llm' : 'repeated-structure' };
  }

  /** Stores (or replaces, after re-validation) the selectors that found reviews on a page of the domain. */
  async saveSelectors(domain: string, s: CachedSelectors): Promise<void> {
    const selectors = JSON.stringify(Object.fromEntries(Object.entries(s.set).filter(([, v]) => v !== undefined)));
    await this.db
      .insertInto('ingest_selectors')
      .values({ domain, selectors, extractor: s.extractor, hits: 1 })
      .onConflict((oc) =>
        oc.column('domain').doUpdateSet({
          selectors,
          extractor: s.extractor,
          hits: sql<number>`ingest_selectors.hits + 1`,
          validated_at: new Date(),
        }),
      )
      .execute();
  }

  async selectorMiss(domain: string): Promise<void> {
    await this.db
      .updateTable('ingest_selectors')
      .set({ misses: sql<number>`misses + 1` })
      .where('domain', '=', domain)
      .execute();
  }

  async logProposal(p: {
    kind: 'source' | 'deep-crawl';
    url: string;
    reason: string;
    accepted: boolean;
    note?: string;
    model?: string;
  }): Promise<void> {
    await this.db
      .insertInto('ingest_llm_proposals')
      .values({ ...p, note: p.note ?? null, model: p.model ?? null })
      .execute();
  }

  async proposals(limit = 100) {
    return this.db.selectFrom('ingest_llm_proposals').selectAll().orderBy('id', 'desc').limit(limit).execute();
  }

  /** Records an ingestion run (with this process, `_process`), closing runs whose process died first. */
  async startRun(params: Record<string, unknown>): Promise<number> {
    await closeAbandonedRuns(this.db, 'ingest_runs');
    const r = await this.db
      .insertInto('ingest_runs')
      .values({ status: 'running', params: JSON.stringify({ ...params, _process: thisProcess() }) })
      .returning('id')
      .executeTakeFirstOrThrow();
    return r.id;
  }

  async finishRun(id: number, status: string, summary: Record<string, unknown>): Promise<void> {
    await this.db
      .updateTable('ingest_runs')
      .set({ status, summary: JSON.stringify(summary), finished_at: new Date() })
      .where('id', '=', id)
      .execute();
  }
}

/**
 * UCB1 over the sources' crawl rewards: a source never crawled comes first; otherwise mean reward plus
 * an exploration bonus that shrinks as the source is crawled more. Returns the `k` best, best first.
 */
export function pickSources(sources: SourceStats[], k: number, explore = Math.SQRT2): SourceStats[] {
  const total = sources.reduce((n, s) => n + s.crawls, 0);
  const score = (s: SourceStats) =>
    s.crawls === 0
      ? Number.POSITIVE_INFINITY
      : s.rewardSum / s.crawls + explore * Math.sqrt(Math.log(Math.max(1, total)) / s.crawls);
  return [...sources]
    .map((s) => ({ s, v: score(s) }))
    .sort((a, b) => b.v - a.v || a.s.url.localeCompare(b.s.url))
    .slice(0, Math.max(0, k))
    .map((x) => x.s);
}
