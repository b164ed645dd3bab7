import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isAppError, ValidationError } from '../../core/errors.js';
import { reviewContentId } from '../../core/ids.js';
import { SENTIMENTS, type Sentiment } from '../../core/types.js';
import { textLlmClient, textLlmStatus } from '../../llm/index.js';
import { Analyzer } from '../../sentiment/index.js';
import type { NewReview } from '../../storage/index.js';
import {
  analyzerJudge,
  attachPhotos,
  httpImageGenerator,
  type ImageGenerator,
  LlmGenerator,
  loadSourceReviews,
  type PairablePhoto,
  productPhotoPool,
  RealPhotoPairing,
  RecombineGenerator,
  type SourceReview,
  type SyntheticReview,
  type SynthSummary,
  storeSourceReview,
  synthesize,
  topUpPlan,
} from '../../synthesis/index.js';
import { sharedDataDir } from '../../training/datasets.js';
import type { PipelineServices, PipelineStep, StepContext } from '../types.js';

/** The `source` of every synthetic review in the store (real ones never carry it). */
export const SYNTHETIC_SOURCE = 'synthetic';
/** The `label_source` of a synthetic review's label: the sentiment it was made for, checked by the classifier. */
export const SYNTHETIC_LABEL_SOURCE = 'synthetic';
/** A class with at least this many real reviews in the store is recombined from the store's reviews alone. */
export const MIN_STORE_POOL = 20;
/** Store photos scanned by the damage check for the photo pool, per run. */
const STORE_PHOTO_SCAN = 100;

const PAGE = 500;

/** The real labelled reviews of the store (source other than synthetic) as generator sources; and the synthetic texts. */
async function storeReviews(services: PipelineServices): Promise<{ real: SourceReview[]; synthetic: string[] }> {
  const real: SourceReview[] = [];
  const total = await services.meta.reviews.count({ unlabelled: false, excludeSource: SYNTHETIC_SOURCE });
  for (let offset = 0; offset < total; offset += PAGE) {
    const page = await services.meta.reviews.list({
      unlabelled: false,
      excludeSource: SYNTHETIC_SOURCE,
      limit: PAGE,
      offset,
    });
    for (const r of page) {
      const s = storeSourceReview(r);
      if (s) real.push(s);
    }
  }
  const synthetic: string[] = [];
  const nSynth = await services.meta.reviews.count({ source: SYNTHETIC_SOURCE });
  for (let offset = 0; offset < nSynth; offset += PAGE) {
    const page = await services.meta.reviews.list({ source: SYNTHETIC_SOURCE, limit: PAGE, offset });
    synthetic.push(...page.map((r) => r.text));
  }
  return { real, synthetic };
}

/**
 * Photos of real labelled reviews in the store whose condition the production model's damaged-product check is
 * sure of: damaged at or above its threshold, intact at or below half of it; the photos in between, and all of
 * them when the model has no damage check, are not used. At most STORE_PHOTO_SCAN photos are checked per run.
 */
async function storePhotoPool(
  services: PipelineServices,
  analyzer: Analyzer,
  signal: AbortSignal,
): Promise<{ photos: PairablePhoto[]; scanned: number; note?: string }> {
  const photos: PairablePhoto[] = [];
  let scanned = 0;
  const total = await services.meta.reviews.count({ excludeSource: SYNTHETIC_SOURCE });
  for (let offset = 0; offset < total && scanned < STORE_PHOTO_SCAN; offset += PAGE) {
    const page = await services.meta.reviews.list({ excludeSource: SYNTHETIC_SOURCE, limit: PAGE, offset });
    for (const r of page) {
      const blob = r.photoBlobs[0];
      if (!blob || scanned >= STORE_PHOTO_SCAN || signal.aborted) continue;
      scanned++;
      try {
        const a = await analyzer.analyze({ text: r.text, image: await services.blobs.get(blob) });
        const d = a.evidence.photo_damage;
        if (!d) return { photos: [], scanned, note: 'the production model has no damaged-product check' };
        const condition =
          d.probability >= d.threshold ? 'damaged' : d.probability <= d.threshold / 2 ? 'intact' : undefined;
        if (!condition) continue;
        photos.push({
          id: `blob:${blob}`,
          condition,
          category: 'store',
          origin: 'store',
          blob,
          conditionFrom: {
            check: `damaged-product check of ${analyzer.model.name}@${analyzer.model.version}`,
            probability: d.probability,
            threshold: d.threshold,
            review: r.id,
          },
        });
      } catch {
        // A photo the model cannot read is not paired.
      }
    }
  }
  return { photos, scanned };
}

/** The photo generator the step uses, or why it has none. */
async function photoGenerator(
  ctx: StepContext,
  services: PipelineServices,
  analyzer: Analyzer,
  kind: 'pair' | 'http',
): Promise<{ generator?: ImageGenerator; note: string }> {
  if (kind === 'http') {
    try {
      const g = httpImageGenerator(services.config);
      return { generator: g, note: `http: ${services.config.synthesis.imageUrl}` };
    } catch (e) {
      return { note: `no photos: ${(e as Error).message}` };
    }
  }
  const dir = sharedDataDir();
  let shared: PairablePhoto[] = [];
  let sharedNote = '';
  try {
    shared = productPhotoPool(dir);
  } catch (e) {
    sharedNote = `; product-photos not read (${(e as Error).message.slice(0, 120)})`;
  }
  const store = await storePhotoPool(services, analyzer, ctx.signal);
  const pool = [...shared, ...store.photos];
  const note =
    `pair: ${shared.length} product-photos, ${store.photos.length} store photos of ${store.scanned} checked` +
    `${store.note ? ` (${store.note})` : ''}${sharedNote}`;
  if (pool.length === 0) return { note: `no photos: ${note}` };
  return {
    generator: new RealPhotoPairing(pool, {
      relativeTo: dir,
      readBlob: (id) => services.blobs.get(id),
      maxPixels: services.config.limits.maxImagePixels,
    }),
    note,
  };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * `synthesize`: tops up the thinnest sentiment classes of the store with synthetic reviews (src/synthesis). It
 * counts the labelled reviews per class (real and synthetic), plans up to `synthesis.pipeline.perRun` new ones
 * for the classes below the largest (topUpPlan: the thinnest first), generates them — recombined from real
 * reviews of the store (a class with at least MIN_STORE_POOL of them) or of the store and
 * `../shared/data/ecommerce-reviews`, or written by the LLM with `generator: llm` — drops duplicates of real and
 * earlier synthetic reviews and those the production classifier does not read as the class asked for, and stores
 * the rest with `source: synthetic`, label source `synthetic`, and the generator, recipe, seed and check in
 * `provenance`; with `photos`, each gets a photo of the matching condition in the blob store.
 *
 * Never blocked by an LLM: a missing one, one that answers garbage or times out (per call `llm.timeoutMs`, per run
 * `llmBudgetSeconds`) is recorded in the output and the rest is recombined. A failing photo generator leaves
 * reviews without photos, recorded. Re-runs add no duplicates (dedup against every stored synthetic text; the
 * review id is the content hash) and plan from the counts of the moment, so a balanced store gets nothing.
 * Params: `synthesize` (true: run even when `synthesis.pipeline.enabled` is false), `synth_per_run`,
 * `synth_generator` (`recombine`/`llm`), `synth_photos` (boolean), `synth_seed` (default: run id × 10000).
 */
export const synthesizeStep: PipelineStep = {
  name: 'synthesize',
  description:
    'top up the thinnest sentiment classes with checked, deduplicated synthetic reviews (source synthetic); ' +
    'recombined from real reviews, or LLM-written when asked (never blocking)',
  async run(ctx, services) {
    const conf = services.config.synthesis.pipeline;
    const p = ctx.params;
    if (!conf.enabled && p.synthesize !== true) {
      return { skipped: true, reason: 'synthesis.pipeline.enabled is false (a run with synthesize: true runs it)' };
    }
    const perRun = num(p.synth_per_run) ?? conf.perRun;
    if (!Number.isInteger(perRun) || perRun < 0 || perRun > 10_000) {
      throw new ValidationError('synth_per_run must be a whole number from 0 to 10000', 'synth_per_run');
    }
    const generatorName = p.synth_generator ?? conf.generator;
    if (generatorName !== 'recombine' && generatorName !== 'llm') {
      throw new ValidationError('synth_generator must be recombine or llm', 'synth_generator');
    }
    const withPhotos = typeof p.synth_photos === 'boolean' ? p.synth_photos : conf.photos;

    const counts = { negative: 0, neutral: 0, positive: 0 } as Record<Sentiment, number>;
    const real = { negative: 0, neutral: 0, positive: 0 } as Record<Sentiment, number>;
    for (const c of await services.meta.reviews.labelCounts()) {
      if (!(SENTIMENTS as readonly string[]).includes(c.label)) continue;
      counts[c.label as Sentiment] += c.real + c.synthetic;
      real[c.label as Sentiment] += c.real;
    }
    const plan = topUpPlan(counts, perRun);
    const planned = SENTIMENTS.reduce((n, s) => n + plan[s], 0);
    const before = { ...counts };
    if (SENTIMENTS.every((s) => real[s] === 0)) {
      return { skipped: true, reason: 'no labelled real review in the store: no class to top up', counts };
    }
    if (planned === 0) {
      return {
        skipped: true,
        reason: perRun === 0 ? 'synth_per_run is 0' : 'the classes are balanced: nothing to top up',
        counts,
      };
    }
    await ctx.log('info', `labelled reviews ${JSON.stringify(counts)}; adding ${JSON.stringify(plan)}`);

    const store = await storeReviews(services);
    const dataDir = sharedDataDir();
    const shared = existsSync(join(dataDir, 'ecommerce-reviews')) ? loadSourceReviews(dataDir) : [];
    const corpus = [...store.real, ...shared];
    const earlier = [...store.synthetic];

    const artifact = await services.registry.production();
    const analyzer = new Analyzer(artifact, await services.encoders(), { ...services.config.limits }, true);
    const judge = analyzerJudge(analyzer);

    // The LLM, when asked for and available; every way it can fail ends in recombination.
    const notes: string[] = [];
    let llm: LlmGenerator | undefined;
    if (generatorName === 'llm') {
      const client = textLlmClient(services.config);
      if (client) llm = new LlmGenerator(client, corpus, { maxAttempts: 1 });
      else notes.push(`no LLM: ${textLlmStatus(services.config).reason ?? 'none configured'}; recombined instead`);
    }
    const llmDeadline = AbortSignal.timeout(conf.llmBudgetSeconds * 1000);
    const recombine = new RecombineGenerator(corpus, { judge });
    const baseSeed = num(p.synth_seed) ?? ctx.runId * 10_000;

    const kept: SyntheticReview[] = [];
    const classes: Record<string, Record<string, unknown>> = {};
    const order = [...SENTIMENTS].filter((s) => plan[s] > 0).sort((a, b) => counts[a] - counts[b]);
    let done = 0;
    for (const sentiment of order) {
      const want = plan[sentiment];
      const fromStore = store.real.filter((r) => r.sentiment === sentiment).length >= MIN_STORE_POOL;
      const seed = baseSeed + SENTIMENTS.indexOf(sentiment) * 1000;
      const req = {
        count: want,
        sentiment,
        length: 'medium' as const,
        seed,
        ...(fromStore ? { category: 'store' } : {}),
      };
      const runs: Array<Omit<SynthSummary, 'failures'> & { failures?: string[] }> = [];
      const mine: SyntheticReview[] = [];
      const go = async (
        generator: LlmGenerator | RecombineGenerator,
        count: number,
        s: number,
        signal: AbortSignal,
      ) => {
        const r = await synthesize(
          { ...req, count, seed: s },
          {
            generator,
            corpus,
            earlier,
            judge,
            signal,
            maxConsecutiveFailures: 3,
            onProgress: (x) =>
              void ctx.progress(
                Math.min(0.9, (done + mine.length + x.kept) / planned),
                `${sentiment}: ${x.kept}/${count}`,
              ),
          },
        );
        if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('cancelled');
        mine.push(...r.reviews);
        earlier.push(...r.reviews.map((x) => x.text));
        runs.push(r.summary);
        return r.summary;
      };
      try {
        if (llm && !llmDeadline.aborted) {
          const s = await go(llm, want, seed, AbortSignal.any([ctx.signal, llmDeadline]));
          if (mine.length < want) {
            const why =
              s.stoppedEarly === 'cancelled' && llmDeadline.aborted
                ? `the LLM time budget of ${conf.llmBudgetSeconds} s ran out`
                : (s.stoppedEarly ?? 'too few candidates kept');
            notes.push(`${sentiment}: the LLM made ${mine.length} of ${want} (${why}); the rest recombined`);
            if (s.stoppedEarly?.includes('in a row')) llm = undefined;
          }
        }
        if (mine.length < want) await go(recombine, want - mine.length, seed + 500, ctx.signal);
      } catch (e) {
        // A class the generators cannot serve (too few real reviews to draw on) is recorded; the others go on.
        if (!isAppError(e)) throw e;
        notes.push(`${sentiment}: ${e.message}`);
      }
      kept.push(...mine);
      done += mine.length;
      classes[sentiment] = { planned: want, kept: mine.length, pool: fromStore ? 'store' : 'store+shared', runs };
      await ctx.log(
        'info',
        `${sentiment}: kept ${mine.length} of ${want} (${runs.map((r) => `${r.generator} ${r.kept}/${r.requested}, tried ${r.tried}`).join('; ')})`,
      );
    }

    // Photos: one per kept review, of the condition its class calls for; failures leave a review without one.
    let photos: Record<string, unknown> | undefined;
    const blobs = new Map<string, { blob: string; recipe: Record<string, unknown> }>();
    if (withPhotos && kept.length > 0) {
      const { generator, note } = await photoGenerator(ctx, services, analyzer, conf.photoGenerator);
      photos = { source: note };
      if (generator) {
        const made = await attachPhotos(kept, generator, { signal: ctx.signal });
        for (const [id, ph] of made.photos) {
          blobs.set(id, { blob: await services.blobs.put(ph.jpeg), recipe: { ...ph.recipe, sha256: ph.sha256 } });
        }
        photos = { ...photos, ...made.summary };
        if (made.summary.failed) notes.push(`photos: ${made.summary.failed} failed (${made.summary.failures[0]})`);
      } else notes.push(note);
    }

    const rows: NewReview[] = kept.map((r) => {
      const ph = blobs.get(r.id);
      return {
        id: reviewContentId({ text: r.text, product: r.product }, ph?.blob),
        text: r.text,
        source: SYNTHETIC_SOURCE,
        rating: r.rating,
        product: r.product,
        label: r.sentiment,
        labelSource: SYNTHETIC_LABEL_SOURCE,
        photoBlobs: ph ? [ph.blob] : [],
        provenance: {
          synthetic: true,
          synth_id: r.id,
          generator: r.generator,
          seed: r.seed,
          recipe: r.recipe,
          check: r.check,
          pipeline_run: ctx.runId,
          created_at: r.createdAt,
          ...(ph ? { photo_recipe: ph.recipe } : {}),
        },
      };
    });
    const { inserted, duplicates } = await services.meta.reviews.insertMany(rows);
    const after = { ...before };
    for (const r of kept) after[r.sentiment]++;
    await ctx.log('info', `stored ${inserted.length} synthetic reviews (${duplicates.length} already stored)`);
    return {
      ...(notes.length ? { reason: notes.join('; ').slice(0, 500) } : {}),
      generator: generatorName,
      planned: plan,
      before,
      after,
      added: inserted.length,
      duplicates: duplicates.length,
      classes,
      corpus: { store: store.real.length, shared: shared.length, earlierSynthetic: store.synthetic.length },
      judge: judge.model,
      seed: baseSeed,
      ...(photos ? { photos } : {}),
      notes,
    };
  },
};
