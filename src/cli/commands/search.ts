import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../core/config.js';
import { ValidationError } from '../../core/errors.js';
import { SENTIMENTS, type Sentiment } from '../../core/types.js';
import type { Retrieval, ReviewInput, SearchFilters, SearchMode } from '../../retrieval/index.js';
import { cliConfig } from '../shared.js';

const say = (m: string) => process.stdout.write(`${m}\n`);
const err = (m: string) => process.stderr.write(`${m}\n`);

/** Opens the served model's encoders and the search index, runs `fn`, and closes everything. */
async function withIndex<T>(cfg: Config, fn: (r: Retrieval) => Promise<T>): Promise<T> {
  const { createContext } = await import('../../server/context.js');
  const ctx = await createContext({ ...cfg, retrieval: { ...cfg.retrieval, similarK: 0 } });
  try {
    if (!ctx.retrieval) throw new Error(ctx.retrievalError ?? 'the search index is not available');
    return await fn(ctx.retrieval);
  } finally {
    await ctx.close();
  }
}

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ValidationError(`${name} must be a number, got "${v}"`, name);
  return n;
}

const kb = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} kB`);

/** `reviewlens index ...` and `reviewlens search`. */
export function registerSearchCommands(program: Command): void {
  const index = program
    .command('index')
    .description(
      'add reviews to the search index from a file: .jsonl, .csv or .tsv with text (required), title, product,\n' +
        'rating, date (ISO 8601), source, label (positive/negative/neutral or 1-5 stars) and image (a path or URL).\n' +
        'Reviews already indexed (same text, product and photo) are skipped. Image URLs on loopback, private,\n' +
        'link-local or metadata addresses are refused unless REVIEWLENS_INGEST_ALLOW_HOSTS lists them.',
    )
    .option('-d, --data <file>', 'the reviews to index')
    .option('--images <dir>', "folder that relative image paths are resolved against (default: the file's)")
    .option('--source <name>', 'source recorded for rows without a source column')
    .option('--limit <n>', 'index at most this many rows')
    .option('--batch <n>', 'reviews encoded and written per batch', '64')
    .option(
      '--threads <n>',
      'inference threads of the encoders (default: REVIEWLENS_THREADS if set, else every core: a bulk load is bound by\n' +
        'the encoders, ~100 reviews/s text-only on 2 cores against ~72 on 1, docs/benchmarks.md)',
    )
    .option('--json', 'print the summary as JSON')
    .action(
      async (o: {
        data?: string;
        images?: string;
        source?: string;
        limit?: string;
        batch: string;
        threads?: string;
        json?: boolean;
      }) => {
        if (!o.data) {
          index.help({ error: true });
          return;
        }
        const threads = o.threads
          ? num(o.threads, '--threads')
          : process.env.REVIEWLENS_THREADS
            ? undefined
            : availableParallelism();
        const cfg = cliConfig(program, { 'log.level': 'silent', ...(threads ? { 'models.threads': threads } : {}) });
        const { readReviewFile } = await import('../../retrieval/review-file.js');
        const { readImageSource } = await import('../../training/image-source.js');
        // Photo URLs in --data go through the SSRF guard, with ingest.allowHosts as its allow list.
        const fetcher = (await import('../../net/index.js')).fetcherFromConfig(cfg);
        const file = resolve(o.data);
        const { rows: all, skipped } = readReviewFile(file, {
          ...(o.images ? { imagesDir: o.images } : {}),
          ...(o.source ? { source: o.source } : {}),
        });
        const rows = o.limit ? all.slice(0, num(o.limit, '--limit')) : all;
        err(`${o.data}: ${all.length + skipped.length} rows, ${rows.length} to index, ${skipped.length} skipped`);
        for (const s of skipped.slice(0, 10)) err(`  row ${s.row} skipped: ${s.reason}`);
        const photoErrors: { row: number; error: string }[] = [];
        const summary = await withIndex(cfg, async (r) => {
          const batch = Math.max(1, num(o.batch, '--batch') ?? 64);
          const total = { added: 0, duplicate: 0, withPhoto: 0, failed: [] as { row: number; error: string }[] };
          const t0 = Date.now();
          for (let s = 0; s < rows.length; s += batch) {
            const part = rows.slice(s, s + batch);
            const inputs: ReviewInput[] = [];
            for (const row of part) {
              const { image, row: _n, ...fields } = row;
              let bytes: Uint8Array | undefined;
              if (image) {
                try {
                  bytes = await readImageSource(image, { maxBytes: cfg.limits.maxImageBytes, fetcher });
                } catch (e) {
                  // The review is indexed without its photo; the failure is reported, not hidden.
                  photoErrors.push({ row: row.row, error: `photo ${image}: ${(e as Error).message}` });
                }
              }
              inputs.push({ ...fields, ...(bytes ? { image: bytes } : {}) });
            }
            const rep = await r.indexer.index(inputs, { batchSize: batch });
            total.added += rep.added;
            total.duplicate += rep.duplicate;
            total.withPhoto += rep.withPhoto;
            for (const f of rep.failed) total.failed.push({ row: (part[f.index]?.row ?? 0) as number, error: f.error });
            const done = Math.min(s + batch, rows.length);
            const rate = done / Math.max(0.001, (Date.now() - t0) / 1000);
            err(
              `  ${done}/${rows.length} (${total.added} new, ${total.duplicate} already indexed, ${total.failed.length} failed) ${rate.toFixed(1)}/s`,
            );
          }
          return { ...total, stats: await r.backend.stats() };
        });
        const out = { file: o.data, skipped, photo_errors: photoErrors, ...summary };
        if (o.json) {
          say(JSON.stringify(out, null, 2));
          return;
        }
        say(
          `indexed ${summary.added} new reviews (${summary.withPhoto} with a photo), ${summary.duplicate} already there, ` +
            `${summary.failed.length} failed, ${photoErrors.length} photos unreadable; the index now holds ${summary.stats.reviews}`,
        );
        for (const f of [...summary.failed, ...photoErrors].slice(0, 10)) say(`  row ${f.row}: ${f.error}`);
      },
    );

  index
    .command('stats')
    .description('counts and sizes of the search index')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const cfg = cliConfig(program, { 'log.level': 'silent' });
      const s = await withIndex(cfg, (r) => r.backend.stats());
      if (o.json) {
        say(JSON.stringify(s, null, 2));
        return;
      }
      say(`backend      ${s.backend}${s.uri ? ` at ${s.uri} (table ${s.table})` : ''}`);
      say(`reviews      ${s.reviews}${s.withPhoto !== undefined ? ` (${s.withPhoto} with a photo)` : ''}`);
      if (s.bytes !== undefined) say(`data         ${kb(s.bytes)}${s.diskBytes ? `, ${kb(s.diskBytes)} on disk` : ''}`);
      for (const i of s.indices ?? []) {
        say(
          `index        ${i.name} (${i.type} on ${i.columns.join(', ')}): ${i.indexedRows} rows indexed, ${i.unindexedRows} not yet`,
        );
      }
    });

  index
    .command('optimize')
    .description('compact the index files and drop old table versions (the embedded LanceDB index)')
    .action(async () => {
      const cfg = cliConfig(program, { 'log.level': 'silent' });
      const s = await withIndex(cfg, async (r) => {
        if (!r.backend.compact) throw new Error(`the ${r.backend.name} backend manages its own storage`);
        await r.backend.compact();
        return r.backend.stats();
      });
      say(`compacted: ${s.reviews} reviews${s.diskBytes ? `, ${kb(s.diskBytes)} on disk` : ''}`);
    });

  index
    .command('delete')
    .description('remove reviews from the index by id')
    .argument('<ids...>', 'review ids (content hashes)')
    .action(async (ids: string[]) => {
      const cfg = cliConfig(program, { 'log.level': 'silent' });
      const removed = await withIndex(cfg, async (r) => {
        const there = await r.backend.existing(ids);
        await r.backend.delete([...there]);
        return there;
      });
      for (const id of ids) say(`${removed.has(id) ? 'deleted  ' : 'not found'} ${id}`);
      if (removed.size < ids.length) process.exitCode = 1;
    });

  program
    .command('search')
    .description('search indexed reviews by text, by photo, or both (hybrid: BM25 + text vectors + photo vectors, RRF)')
    .argument('[query]', 'the text query')
    .option('-i, --image <path>', 'a photo to search by')
    .option('-k, --k <n>', 'hits per page', '10')
    .option('--offset <n>', 'hits to skip (paging)', '0')
    .option('--mode <mode>', 'hybrid, bm25 or dense', 'hybrid')
    .option('--rerank', 'rerank the top candidates (retrieval.rerank.kind must not be none)')
    .option('--product <id>', 'only this product')
    .option('--sentiment <label>', 'only reviews labelled positive, negative or neutral')
    .option('--rating-min <n>', 'lowest rating')
    .option('--rating-max <n>', 'highest rating')
    .option('--date-from <date>', 'earliest date (ISO 8601)')
    .option('--date-to <date>', 'latest date (ISO 8601, inclusive)')
    .option('--source <name>', 'only this source')
    .option('--json', 'print JSON (the same answer as POST /api/search)')
    .action(async (query: string | undefined, o: Record<string, string | boolean | undefined>) => {
      const cfg = cliConfig(program, { 'log.level': 'silent' });
      if (!['hybrid', 'bm25', 'dense'].includes(o.mode as string))
        throw new Error('--mode must be hybrid, bm25 or dense');
      if (o.sentiment !== undefined && !SENTIMENTS.includes(o.sentiment as Sentiment)) {
        throw new Error('--sentiment must be positive, negative or neutral');
      }
      let image: Buffer | undefined;
      if (typeof o.image === 'string') {
        try {
          image = await readFile(o.image);
        } catch (e) {
          throw new Error(`cannot read --image ${o.image}: ${(e as Error).message}`);
        }
      }
      const filters: SearchFilters = {};
      if (typeof o.product === 'string') filters.product = o.product;
      if (typeof o.sentiment === 'string') filters.sentiment = o.sentiment as Sentiment;
      if (typeof o.source === 'string') filters.source = o.source;
      if (typeof o.dateFrom === 'string') filters.dateFrom = o.dateFrom;
      if (typeof o.dateTo === 'string') filters.dateTo = o.dateTo;
      const rmin = num(o.ratingMin as string | undefined, '--rating-min');
      const rmax = num(o.ratingMax as string | undefined, '--rating-max');
      if (rmin !== undefined) filters.ratingMin = rmin;
      if (rmax !== undefined) filters.ratingMax = rmax;
      const res = await withIndex(cfg, (r) =>
        r.searcher.search({
          ...(query ? { text: query } : {}),
          ...(image ? { image } : {}),
          filters,
          k: num(o.k as string, '--k') ?? 10,
          offset: num(o.offset as string, '--offset') ?? 0,
          mode: o.mode as SearchMode,
          ...(o.rerank ? { rerank: true } : {}),
        }),
      );
      if (o.json) {
        say(JSON.stringify(res, null, 2));
        return;
      }
      say(
        `${res.hits.length} hits (${res.candidates} candidates; ${res.stages.join(' + ')}${res.reranker ? `, reranked by ${res.reranker}` : ''}; ${res.timings_ms.total} ms)`,
      );
      if (res.rerank_error) say(`warning: ${res.rerank_error}`);
      res.hits.forEach((h, i) => {
        const r = h.review;
        const s = h.scores;
        const stages = [
          s.bm25_rank ? `bm25 #${s.bm25_rank}` : '',
          s.dense_rank ? `dense #${s.dense_rank} (${s.dense_score?.toFixed(3)})` : '',
          s.image_rank ? `photo #${s.image_rank} (${s.image_score?.toFixed(3)})` : '',
          `rrf ${s.fused_score.toFixed(4)}`,
          s.rerank_score !== undefined ? `rerank ${s.rerank_score.toFixed(3)}` : '',
        ].filter(Boolean);
        const meta = [
          r.product,
          r.rating != null ? `${r.rating}★` : '',
          r.label,
          r.date,
          r.source,
          r.imageId ? 'photo' : '',
        ]
          .filter(Boolean)
          .join(' · ');
        say(`${String(res.offset + i + 1).padStart(3)}. ${r.text.replace(/\s+/g, ' ').slice(0, 160)}`);
        say(`     ${meta ? `${meta} | ` : ''}${stages.join(', ')} | ${h.id.slice(0, 12)}`);
      });
    });
}
