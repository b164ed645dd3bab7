import { ValidationError } from '../core/errors.js';
import type { PipelineStep } from '../pipeline/types.js';
import { countsOf, runIngest } from './ingest.js';
import { StrategyMemory } from './memory.js';

/**
 * The pipeline's ingest step. Parameters: `urls` (string[]) and/or `sources` (path of a sources file),
 * `maxPages`; with neither `urls` nor `sources`, the bandit picks known sources from the strategy memory.
 * Output: the summary counts. New reviews are not indexed for search here (that needs the encoders; the
 * pipeline's index step does it).
 */
export const ingestStep: PipelineStep = {
  name: 'ingest',
  description: 'crawl shop pages and store their reviews and photos with provenance',
  async run(ctx, services) {
    const { urls, sources, maxPages } = ctx.params;
    if (urls !== undefined && (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string'))) {
      throw new ValidationError('params.urls must be a list of URLs', 'urls');
    }
    if (sources !== undefined && typeof sources !== 'string') {
      throw new ValidationError('params.sources must be the path of a sources file', 'sources');
    }
    if (maxPages !== undefined && (typeof maxPages !== 'number' || !Number.isInteger(maxPages) || maxPages < 1)) {
      throw new ValidationError('params.maxPages must be a whole number of at least 1', 'maxPages');
    }
    // A full pipeline run with nothing to crawl yet goes on to its other steps rather than failing here.
    if (
      urls === undefined &&
      sources === undefined &&
      services.config.llm.url === '' &&
      (await new StrategyMemory(services.meta.db).sources()).length === 0
    ) {
      return {
        skipped: true,
        reason: 'nothing to crawl yet: give params.urls or params.sources (the strategy memory knows no source)',
      };
    }
    const summary = await runIngest(
      {
        config: services.config,
        meta: services.meta,
        blobs: services.blobs,
        signal: ctx.signal,
        log: (level, message) => void ctx.log(level, message).catch(() => {}),
        progress: (fraction, message) => ctx.progress(fraction, message),
      },
      {
        urls: urls as string[] | undefined,
        sourcesFile: sources as string | undefined,
        maxPages: maxPages as number | undefined,
      },
    );
    for (const e of summary.errors.slice(0, 20)) await ctx.log('warn', `${e.url}: ${e.message}`);
    return countsOf(summary);
  },
};
