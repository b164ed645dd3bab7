import type { Command } from 'commander';
import type { Config } from '../../core/config.js';
import { ValidationError } from '../../core/errors.js';
import type { IngestSummary } from '../../ingest/index.js';
import type { MetadataStore } from '../../storage/index.js';
import { cliConfig } from '../shared.js';

const say = (m: string) => process.stdout.write(`${m}\n`);
const err = (m: string) => process.stderr.write(`${m}\n`);

function positiveInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new ValidationError(`${name} must be a whole number of at least 1, got "${v}"`);
  return n;
}

async function withStore<T>(cfg: Config, fn: (meta: MetadataStore) => Promise<T>): Promise<T> {
  const { MetadataStore } = await import('../../storage/index.js');
  const meta = await MetadataStore.open({ url: cfg.database.url, dataDir: cfg.dataDir });
  try {
    return await fn(meta);
  } finally {
    await meta.close();
  }
}

function printSummary(s: IngestSummary): void {
  const extractors = Object.entries(s.byExtractor)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  say(
    `ingest run ${s.runId}${s.mode === 'bandit' ? ' (sources picked by the bandit)' : ''}${s.cancelled ? ' (cancelled)' : ''}: ` +
      `${s.pages} pages (${s.browserPages} in the browser), ${s.reviews.found} reviews: ${s.reviews.new} new, ` +
      `${s.reviews.duplicate} already stored${extractors ? ` [${extractors}]` : ''}; ` +
      `${s.photos.downloaded} photos stored, ${s.photos.failed} failed; ${s.errors.length} errors, ${s.skipped.length} skipped`,
  );
  for (const p of s.proposals) say(`  LLM proposed ${p.kind} ${p.url}: ${p.reason}`);
  for (const k of s.skipped.slice(0, 10)) say(`  skipped ${k.url}: ${k.reason}`);
  for (const e of s.errors.slice(0, 20)) say(`  error ${e.url}: ${e.message}`);
  if (s.errors.length > 20) say(`  ... and ${s.errors.length - 20} more errors (--json lists them all)`);
}

/** `reviewlens ingest ...`: crawl shop pages and store their reviews; `ingest sources`: the strategy memory. */
export function registerIngestCommands(program: Command): void {
  const ingest = program
    .command('ingest')
    .description(
      'crawl shop pages, extract every review (text, rating, title, author, date, photos, product, URL)\n' +
        'with no site-specific rules, and store the new ones with provenance (reviews already stored are\n' +
        'skipped). With no URL and no --sources, the bandit picks known sources from the strategy memory.\n' +
        'Loopback, private, link-local, multicast and cloud metadata addresses are refused (pages, redirects,\n' +
        'photos) unless REVIEWLENS_INGEST_ALLOW_HOSTS (ingest.allowHosts) lists them, e.g. 127.0.0.1,intranet.example.',
    )
    .argument('[urls...]', 'product or review pages (http:// or https://)')
    .option('-s, --sources <file>', 'a YAML/JSON sources file: a list of URLs or of { url, crawler }')
    .option('-n, --max-pages <n>', 'pages to fetch in all, followed review pages included (default: ingest.maxPages)')
    .option('-c, --crawler <kind>', 'auto (browser when a page with scripts shows no reviews), static or browser')
    .option('--no-photos', 'do not download review photos')
    .option('--no-llm', 'do not use the configured LLM (selector discovery, proposals)')
    .option('--json', 'print the full summary as JSON')
    .action(
      async (
        urls: string[],
        o: { sources?: string; maxPages?: string; crawler?: string; photos: boolean; llm: boolean; json?: boolean },
      ) => {
        const maxPages = positiveInt(o.maxPages, '--max-pages');
        if (o.crawler !== undefined && !['auto', 'static', 'browser'].includes(o.crawler)) {
          throw new ValidationError(`--crawler must be auto, static or browser, got "${o.crawler}"`);
        }
        const cfg = cliConfig(program, { 'log.level': 'silent', ...(o.photos ? {} : { 'ingest.photos': false }) });
        const { parseUrls, readSourcesFile, runIngest } = await import('../../ingest/index.js');
        // Bad input is refused before any store is opened.
        if (urls.length) parseUrls(urls);
        if (o.sources) readSourcesFile(o.sources);
        const { openBlobStore } = await import('../../storage/index.js');
        const controller = new AbortController();
        const stop = () => {
          err('stopping the crawl (Ctrl-C again to quit at once)');
          controller.abort();
          process.once('SIGINT', () => process.exit(130));
        };
        process.once('SIGINT', stop);
        try {
          const summary = await withStore(cfg, (meta) =>
            runIngest(
              {
                config: cfg,
                meta,
                blobs: openBlobStore(cfg),
                signal: controller.signal,
                ...(o.llm ? {} : { llm: null }),
                progress: (fraction, message) => {
                  err(`[${(fraction * 100).toFixed(0).padStart(3)}%] ${message}`);
                },
              },
              {
                urls,
                sourcesFile: o.sources,
                maxPages,
                crawler: o.crawler as 'auto' | 'static' | 'browser' | undefined,
              },
            ),
          );
          if (o.json) say(JSON.stringify(summary, null, 2));
          else printSummary(summary);
          if (summary.pages === 0) {
            err('reviewlens: no page could be fetched');
            process.exitCode = 1;
          }
        } finally {
          process.removeListener('SIGINT', stop);
        }
      },
    );

  ingest
    .command('sources')
    .description('the strategy memory: statistics per source, in the order the bandit would pick them')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const cfg = cliConfig(program, { 'log.level': 'silent' });
      const { StrategyMemory, pickSources } = await import('../../ingest/index.js');
      await withStore(cfg, async (meta) => {
        const memory = new StrategyMemory(meta.db);
        const all = await memory.sources();
        const ranked = pickSources(all, all.length);
        if (o.json) {
          say(JSON.stringify({ sources: ranked, proposals: await memory.proposals(50) }, null, 2));
          return;
        }
        if (ranked.length === 0) {
          say('no source yet: run `reviewlens ingest <url>` first');
          return;
        }
        for (const s of ranked) {
          say(
            `${s.url}\n  crawls ${s.crawls}, pages ${s.pagesFetched}, new reviews/page ${s.newPerPage.toFixed(2)}, ` +
              `duplicate rate ${(s.duplicateRate * 100).toFixed(0)}%, error rate ${(s.errorRate * 100).toFixed(0)}%, ` +
              `last success ${s.lastSuccessAt?.toISOString() ?? 'never'}`,
          );
        }
      });
    });
}
