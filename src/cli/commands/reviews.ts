import type { Command } from 'commander';
import { UnavailableError, ValidationError } from '../../core/errors.js';
import type { EraseReport } from '../../privacy/index.js';
import { cliConfig } from '../shared.js';

const say = (m: string) => process.stdout.write(`${m}\n`);

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The report as lines a person reads. */
export function describeErase(r: EraseReport): string[] {
  const who = [
    r.selector.author !== undefined ? `by author "${r.selector.author}"` : '',
    r.selector.source !== undefined ? `from source "${r.selector.source}"` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  if (r.reviews === 0) return [`no reviews ${who}: nothing to erase`];
  const verb = r.dryRun ? 'would erase' : 'erased';
  const lines = [
    `${verb} ${plural(r.reviews, 'review')} ${who}:`,
    `  ${plural(r.photos, 'photo')}${r.sharedPhotosKept ? ` (${plural(r.sharedPhotosKept, 'shared photo')} kept: other reviews use them)` : ''}`,
    `  ${plural(r.rawPages, 'raw crawled page')}${r.otherReviewsDetachedFromRawPages ? ` (${plural(r.otherReviewsDetachedFromRawPages, 'other review')} from them lose the link to the page)` : ''}`,
    `  ${plural(r.labelDecisions, 'label decision')}, ${plural(r.queueItems, 'review-queue item')}, ${plural(r.auditRows, 'audit row')}`,
    r.indexSkipped
      ? '  search index: skipped (--skip-index): its entries for these reviews are still there'
      : `  ${plural(r.indexEntries, 'search-index entry', 'search-index entries')}`,
  ];
  if (r.dryRun) lines.push('dry run: nothing was changed; run again without --dry-run to erase');
  else lines.push('Models trained before now may still reflect these reviews: retrain to drop them (docs/privacy.md).');
  return lines;
}

/** `reviewlens reviews delete`: erase a person's or a source's reviews and everything kept about them. */
export function registerReviewsCommands(program: Command): void {
  const reviews = program.command('reviews').description('stored reviews: erase them on request (privacy)');

  reviews
    .command('delete')
    .description(
      'erase reviews by author or source, with their photos (unless another review uses the same photo), the raw ' +
        'crawled pages they were on, their labels, review-queue items and audit rows, and their search-index entries. ' +
        'Prints what it erased (or, with --dry-run, what it would). Trained models are not changed: retrain.',
    )
    .option('-a, --author <name>', 'the author name exactly as stored')
    .option(
      '-s, --source <url|source>',
      "a source id (a shop's domain for crawled reviews, dataset:NAME for imports), a review page URL, or a crawl's start URL",
    )
    .option('-n, --dry-run', 'count what would be erased; change nothing')
    .option('--skip-index', 'go on when the search index cannot be opened (its entries for these reviews stay)')
    .option('--json', 'print the report as JSON')
    .action(async (o: { author?: string; source?: string; dryRun?: boolean; skipIndex?: boolean; json?: boolean }) => {
      if (!o.author?.trim() && !o.source?.trim()) {
        // Checked before the models and stores are loaded (eraseReviews checks it too).
        throw new ValidationError(
          'say whose reviews to erase: --author NAME and/or --source URL_OR_SOURCE',
          'selector',
        );
      }
      const cfg = cliConfig(program, { 'log.level': 'silent' });
      const { eraseReviews } = await import('../../privacy/index.js');
      const { createContext } = await import('../../server/context.js');
      const ctx = await createContext({ ...cfg, retrieval: { ...cfg.retrieval, similarK: 0 } });
      let report: EraseReport;
      try {
        if (!ctx.retrieval && !o.skipIndex) {
          throw new UnavailableError(
            `the search index could not be opened (${ctx.retrievalError ?? 'not configured'}); nothing was erased. ` +
              'Fix that, or pass --skip-index to erase from the database and blob store only.',
          );
        }
        report = await eraseReviews(
          { meta: ctx.meta, blobs: ctx.blobs, ...(ctx.retrieval ? { index: ctx.retrieval.backend } : {}) },
          {
            ...(o.author !== undefined ? { author: o.author } : {}),
            ...(o.source !== undefined ? { source: o.source } : {}),
          },
          { dryRun: o.dryRun === true },
        );
      } finally {
        await ctx.close();
      }
      if (o.json) say(JSON.stringify(report, null, 2));
      else for (const line of describeErase(report)) say(line);
    });
}
