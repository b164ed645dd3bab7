import { createHash } from 'node:crypto';
import { ValidationError } from '../core/errors.js';
import { SENTIMENTS } from '../core/types.js';
import { sentimentOfRating } from './corpus.js';
import { Deduper } from './dedup.js';
import type { SentimentJudge, SourceReview, SyntheticReview, SynthGenerator, SynthRequest } from './types.js';

export interface SynthRunOptions {
  generator: SynthGenerator;
  /** The real reviews (for exact-duplicate checks and the recipes' source texts). */
  corpus: readonly SourceReview[];
  /** The production classifier's reading; absent: no consistency check (each record's `check` is null). */
  judge?: SentimentJudge;
  /** Texts of earlier synthetic reviews to deduplicate against. */
  earlier?: readonly string[];
  /** Candidates tried at most (default 4 x count). */
  maxTries?: number;
  /** Stop after this many generator failures in a row (default 5): a failing LLM never blocks. */
  maxConsecutiveFailures?: number;
  onProgress?: (s: SynthSummary) => void;
  signal?: AbortSignal;
}

export interface SynthSummary {
  generator: string;
  requested: number;
  kept: number;
  tried: number;
  dropped: { exact: number; nearReal: number; nearSynthetic: number; labelMismatch: number; failed: number };
  /** The first few generator failures, and why the run stopped early when it did. */
  failures: string[];
  stoppedEarly?: string;
  seconds: number;
  /** Kept synthetic reviews per minute (wall clock, checks included). */
  perMinute: number;
}

/** Checks a request; throws ValidationError naming the field. */
export function checkRequest(req: SynthRequest): void {
  if (!Number.isInteger(req.count) || req.count < 1 || req.count > 100_000) {
    throw new ValidationError('count must be a whole number from 1 to 100000', 'count');
  }
  if (!(SENTIMENTS as readonly string[]).includes(req.sentiment)) {
    throw new ValidationError(`sentiment must be one of ${SENTIMENTS.join(', ')}`, 'sentiment');
  }
  if (req.rating !== undefined) {
    if (!Number.isInteger(req.rating) || req.rating < 1 || req.rating > 5) {
      throw new ValidationError('rating must be a whole number from 1 to 5', 'rating');
    }
    if (sentimentOfRating(req.rating) !== req.sentiment) {
      throw new ValidationError(
        `rating ${req.rating} reads as ${sentimentOfRating(req.rating)}, not ${req.sentiment} (1-2 negative, 3 neutral, 4-5 positive)`,
        'rating',
      );
    }
  }
  if (!Number.isInteger(req.seed)) throw new ValidationError('seed must be a whole number', 'seed');
}

/**
 * Generates `req.count` synthetic reviews: each candidate is checked for duplicates (Deduper: exact against all
 * real and earlier synthetic texts, near against its sources and the kept ones) and, with a judge, for label
 * consistency (the classifier must read the requested sentiment); what fails is dropped and counted. A generator
 * failure (an LLM timeout, an invalid answer) is counted and the run goes on; after `maxConsecutiveFailures` in a
 * row it stops and says why. A bad request (ValidationError) is thrown.
 */
export async function synthesize(
  req: SynthRequest,
  opts: SynthRunOptions,
): Promise<{ reviews: SyntheticReview[]; summary: SynthSummary }> {
  checkRequest(req);
  const started = Date.now();
  const byId = new Map(opts.corpus.map((r) => [r.id, r.text]));
  const dedup = new Deduper(
    opts.corpus.map((r) => r.text),
    opts.earlier ?? [],
  );
  const summary: SynthSummary = {
    generator: opts.generator.name,
    requested: req.count,
    kept: 0,
    tried: 0,
    dropped: { exact: 0, nearReal: 0, nearSynthetic: 0, labelMismatch: 0, failed: 0 },
    failures: [],
    seconds: 0,
    perMinute: 0,
  };
  const reviews: SyntheticReview[] = [];
  const maxTries = opts.maxTries ?? req.count * 4;
  const maxFail = opts.maxConsecutiveFailures ?? 5;
  let failedInARow = 0;
  const finish = () => {
    summary.seconds = Math.round((Date.now() - started) / 100) / 10;
    summary.perMinute = summary.seconds > 0 ? Math.round((summary.kept / summary.seconds) * 60 * 10) / 10 : 0;
  };
  for (let i = 0; reviews.length < req.count && i < maxTries; i++) {
    if (opts.signal?.aborted) {
      summary.stoppedEarly = 'cancelled';
      break;
    }
    summary.tried++;
    const seed = req.seed + i;
    let cand: Awaited<ReturnType<SynthGenerator['generate']>>;
    try {
      cand = await opts.generator.generate(req, i, seed);
      failedInARow = 0;
    } catch (e) {
      if (e instanceof ValidationError) throw e;
      summary.dropped.failed++;
      failedInARow++;
      if (summary.failures.length < 5) summary.failures.push((e as Error).message.slice(0, 300));
      if (failedInARow >= maxFail) {
        summary.stoppedEarly = `the ${opts.generator.name} generator failed ${failedInARow} times in a row: ${(e as Error).message.slice(0, 200)}`;
        break;
      }
      continue;
    }
    const dup = dedup.check(
      cand.text,
      cand.sourceIds.map((id) => byId.get(id) ?? ''),
    );
    if (dup) {
      summary.dropped[dup === 'exact' ? 'exact' : dup === 'near-real' ? 'nearReal' : 'nearSynthetic']++;
      opts.onProgress?.(summary);
      continue;
    }
    let check: SyntheticReview['check'] = null;
    if (opts.judge) {
      const j = await opts.judge.judge(cand.text);
      check = { label: j.label, confidence: Math.round(j.confidence * 1e4) / 1e4, model: opts.judge.model };
      if (j.label !== req.sentiment) {
        summary.dropped.labelMismatch++;
        opts.onProgress?.(summary);
        continue;
      }
    }
    dedup.add(cand.text);
    reviews.push({
      id: `synth:${createHash('sha256').update(cand.text).digest('hex').slice(0, 16)}`,
      text: cand.text,
      sentiment: req.sentiment,
      rating: req.rating ?? null,
      product: req.product ?? null,
      category: req.category ?? null,
      source: 'synthetic',
      generator: opts.generator.name,
      seed,
      recipe: { ...cand.recipe, request: { ...req, count: undefined } },
      check,
      createdAt: new Date().toISOString(),
    });
    summary.kept = reviews.length;
    finish();
    opts.onProgress?.(summary);
  }
  if (!summary.stoppedEarly && reviews.length < req.count) {
    summary.stoppedEarly = `${maxTries} candidates tried, ${reviews.length} kept`;
  }
  finish();
  return { reviews, summary };
}
