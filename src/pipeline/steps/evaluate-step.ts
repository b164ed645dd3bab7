import { readFile } from 'node:fs/promises';
import { seededRandom, shuffleInPlace } from '../../core/random.js';
import { SENTIMENTS, type Sentiment } from '../../core/types.js';
import { loadBehaviourSuite } from '../../evaluation/index.js';
import {
  analyzerUnderTest,
  buildReport,
  type EvalItem,
  type EvalSet,
  type ModelRun,
  type ModelUnderTest,
  renderReport,
  runJson,
  runModel,
  summarizeReport,
} from '../../evaluation/report/index.js';
import type { ModelArtifact } from '../../models/artifact.js';
import { type Encoders, loadArtifactEncoders } from '../../models/index.js';
import { Analyzer } from '../../sentiment/index.js';
import {
  ECOMMERCE_SPLIT_FILE,
  evalRecordOf,
  loadEcommerce,
  loadMvsa,
  loadProductPhotos,
  MVSA_SPLIT_FILE,
  mvsaSplit,
  PRODUCTION,
  type StoredReport,
} from '../../training/index.js';
import type { PipelineServices, PipelineStep } from '../types.js';
import { candidateOf, noCandidateReason } from './candidate.js';

/** Seed of the evaluate step's samples, perturbations and bootstrap (recorded in the report). */
export const EVALUATE_SEED = 17;
/** Bootstrap resamples of the report's 95% intervals (as `reviewlens eval`'s default). */
export const EVALUATE_RESAMPLES = 1000;

/** A photo reference of a stored review: its blob id. */
const BLOB_REF = 'blob:';

/** The path of a version's report in the API (HTML; `?format=json` for the run JSON). */
export const reportPath = (name: string, version: string): string =>
  `/api/models/${encodeURIComponent(name)}/${encodeURIComponent(version)}/report`;

/** The first `n` of a seeded shuffle of the items (by id order first, so file order does not matter), in their order. */
function sampleItems<T extends { id: string }>(items: T[], n: number, seed: number): T[] {
  if (items.length <= n) return items;
  const keep = new Set(shuffleInPlace(items.map((e) => e.id).sort(), seededRandom(seed)).slice(0, n));
  return items.filter((e) => keep.has(e.id));
}

/**
 * The candidate's held-out reviews in the store: the examples its recorded evaluation (`metrics.gate_eval`) was
 * scored on, as the store holds them now (text, first photo, a label among the three classes). Undefined when the
 * candidate was not evaluated on stored reviews (e.g. a model trained on the built-in sets).
 */
async function storeHeldOut(artifact: ModelArtifact, services: PipelineServices): Promise<EvalSet | undefined> {
  const record = evalRecordOf(artifact.metrics);
  if (!record) return undefined;
  const present = await services.meta.reviews.existing(record.ids);
  if (present.size === 0) return undefined;
  const items: EvalItem[] = [];
  let unlabelled = 0;
  for (const id of record.ids) {
    if (!present.has(id)) continue;
    const r = await services.meta.reviews.get(id);
    if (!r) continue;
    if (!r.label || !(SENTIMENTS as readonly string[]).includes(r.label)) {
      unlabelled++;
      continue;
    }
    const photo = r.photoBlobs[0];
    items.push({
      id: r.id,
      text: r.text,
      label: r.label as Sentiment,
      source: r.source,
      ...(photo ? { image: `${BLOB_REF}${photo}` } : {}),
    });
  }
  const missing = record.ids.length - present.size;
  return {
    name: 'store: held-out reviews',
    origin: `the candidate's held-out split (${record.set}) of the reviews in the store`,
    items,
    skipped: [
      ...(missing > 0 ? [{ reason: 'no longer in the store', count: missing }] : []),
      ...(unlabelled > 0 ? [{ reason: 'label outside the three classes', count: unlabelled }] : []),
    ],
    notes: [
      'held out from the candidate’s training; the production model may have been trained on some of these reviews',
    ],
  };
}

/** A built-in held-out set (the e-commerce star-balanced test split, MVSA-Single's test split), as `reviewlens eval` reads it. */
function builtinSet(name: 'ecommerce-test' | 'mvsa-test'): EvalSet {
  if (name === 'ecommerce-test') {
    return {
      name: 'e-commerce test (star-balanced)',
      origin: `ecommerce-test (${ECOMMERCE_SPLIT_FILE})`,
      items: loadEcommerce().test.map((e) => ({
        id: e.id,
        text: e.text,
        label: e.label,
        source: e.source,
        ...(e.domain ? { domain: e.domain } : {}),
      })),
      skipped: [],
      notes: ['text only: these reviews have no photos'],
    };
  }
  const mvsa = loadMvsa();
  const ids = new Set(mvsaSplit(mvsa).test);
  return {
    name: 'MVSA-Single test',
    origin: `mvsa-test (${MVSA_SPLIT_FILE})`,
    items: mvsa.filter((e) => ids.has(e.id)).map((e) => ({ ...e })),
    skipped: [],
    notes: [],
  };
}

/** Applies the text length limit and the sample size to a set, counting and noting what was left out. */
function bound(set: EvalSet, maxTextChars: number, sample: number, seed: number): EvalSet {
  const tooLong = set.items.filter((e) => e.text.length > maxTextChars).length;
  let items = set.items.filter((e) => e.text.length <= maxTextChars);
  const skipped = [...set.skipped];
  if (tooLong > 0) skipped.push({ reason: `text over limits.maxTextChars (${maxTextChars})`, count: tooLong });
  const notes = [...set.notes];
  if (items.length > sample) {
    notes.push(
      `a seeded sample of ${sample} of ${items.length} reviews (pipeline.evaluate.sample ${sample}, seed ${seed})`,
    );
    items = sampleItems(items, sample, seed);
  }
  return { ...set, items, skipped, notes };
}

/** What the step returns for a stored report (new or reused). */
function outputOf(stored: StoredReport, reused: boolean, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const s = stored.summary;
  return {
    candidate: `${stored.name}@${stored.version}`,
    reused,
    report: reportPath(stored.name, stored.version),
    against: s.against ? `${s.against.name}@${s.against.version}` : null,
    n: s.n,
    macro_f1: s.macro_f1,
    accuracy: s.accuracy,
    sets: s.sets,
    created_at: stored.createdAt.toISOString(),
    ...extra,
  };
}

/**
 * `evaluate`: the evaluation report (`reviewlens eval --report`, src/evaluation/report) of the candidate the train
 * step registered (or `params.candidate`, `name@version`), stored with the model version in the registry (HTML and
 * run JSON as blobs, the figures in `model_reports`; `GET /api/models/:name/:version/report`).
 *
 * Data: the candidate's held-out reviews in the store (the test split its recorded evaluation was scored on) and
 * the built-in held-out sets of `pipeline.evaluate.sets` (default the e-commerce test split), each a seeded sample
 * of at most `pipeline.evaluate.sample` (200) reviews; robustness on `robustnessN` (40) texts and `photoN` (10)
 * photos, the behaviour suite, and the glowing-text check on `glowingN` (5) damaged and intact product photos.
 * With `pipeline.evaluate.againstProduction` (default), production answers the same items and the report gives
 * every difference with a paired-bootstrap interval — the figures the gate reads with `training.gate.useReport`.
 *
 * Idempotent: a version that already has a stored report keeps it (the step says `reused: true`), unless the run's
 * `params.reevaluate` is true. Skipped, with the reason, when the run registered no candidate or there is no
 * held-out data. Nothing is stored until the report is complete.
 */
export const evaluateStep: PipelineStep = {
  name: 'evaluate',
  description:
    'evaluate the registered candidate (classification, calibration, robustness, modalities, against production) and store its HTML report with the model version',
  async run(ctx, services) {
    const cand = await candidateOf(ctx, services);
    if (!cand) return { skipped: true, reason: noCandidateReason(ctx) };
    const existing = await services.registry.report(cand.name, cand.version);
    if (existing && ctx.params.reevaluate !== true) {
      await ctx.log(
        'info',
        `${cand.name}@${cand.version} has a stored report already (reevaluate: true makes a new one)`,
      );
      return outputOf(existing, true);
    }
    const t0 = Date.now();
    const cfg = services.config;
    const opts = cfg.pipeline.evaluate;
    const seed = EVALUATE_SEED;
    const candidate = await services.registry.load(cand.name, cand.version);

    // The held-out data: the store's part first, then the built-in sets.
    const sets: EvalSet[] = [];
    const add = (set: EvalSet) => {
      const b = bound(set, cfg.limits.maxTextChars, opts.sample, seed);
      if (b.items.length > 0) sets.push(b);
    };
    const fromStore = await storeHeldOut(candidate, services);
    if (fromStore) add(fromStore);
    else await ctx.log('info', 'the candidate was not evaluated on stored reviews: no store held-out set');
    for (const name of opts.sets) {
      try {
        add(builtinSet(name));
      } catch (e) {
        await ctx.log('warn', `built-in set ${name} skipped: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    if (sets.length === 0) {
      return {
        skipped: true,
        reason: `no held-out data to evaluate ${cand.name}@${cand.version} on (no held-out store reviews; pipeline.evaluate.sets: ${opts.sets.join(', ') || 'none'})`,
      };
    }
    for (const s of sets) {
      await ctx.log(
        'info',
        `${s.name}: ${s.items.length} reviews (${s.items.filter((e) => e.image).length} with a photo)` +
          (s.skipped.length ? `, skipped ${s.skipped.map((x) => `${x.count} ${x.reason}`).join(', ')}` : ''),
      );
    }

    // The production model answers the same items when asked for and when it is another version.
    const prodRef = await services.registry.alias(PRODUCTION);
    let production: ModelArtifact | undefined;
    if (opts.againstProduction && prodRef && !(prodRef.name === cand.name && prodRef.version === cand.version)) {
      try {
        production = await services.registry.load(prodRef.name, prodRef.version);
      } catch (e) {
        await ctx.log(
          'warn',
          `production ${prodRef.name}@${prodRef.version} cannot be read: not compared (${(e as Error).message})`,
        );
      }
    }

    let behaviour: ReturnType<typeof loadBehaviourSuite> = [];
    try {
      behaviour = loadBehaviourSuite();
    } catch (e) {
      await ctx.log('warn', `behaviour suite skipped: ${(e as Error).message}`);
    }
    let glowing: { damaged: string[]; intact: string[] } | undefined;
    if (opts.glowingN > 0) {
      try {
        const photos = loadProductPhotos();
        const pick = (c: 'damaged' | 'intact') =>
          sampleItems(
            photos.filter((p) => p.condition === c).map((p) => ({ ...p, id: p.image })),
            opts.glowingN,
            seed,
          ).map((p) => p.image);
        glowing = { damaged: pick('damaged'), intact: pick('intact') };
      } catch (e) {
        await ctx.log('warn', `glowing-text check skipped: product photos unavailable (${(e as Error).message})`);
      }
    }

    const readImage = async (ref: string): Promise<Uint8Array> =>
      ref.startsWith(BLOB_REF) ? services.blobs.get(ref.slice(BLOB_REF.length)) : readFile(ref);
    const models = production ? [candidate, production] : [candidate];
    const shared = await services.encoders();
    const loaded: Encoders[] = [];
    const runs: ModelRun[] = [];
    try {
      for (const [k, artifact] of models.entries()) {
        let enc = shared;
        if (enc.text.id !== artifact.encoders.text || enc.image.id !== artifact.encoders.image) {
          enc = await loadArtifactEncoders(cfg.models, artifact);
          loaded.push(enc);
        }
        const inner = analyzerUnderTest(new Analyzer(artifact, enc, { ...cfg.limits }, cfg.models.useImage));
        // Stops at the next review once the run is cancelled.
        const model: ModelUnderTest = {
          ref: inner.ref,
          analyze(text, image) {
            if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('cancelled');
            return inner.analyze(text, image);
          },
        };
        const base = 0.05 + (0.85 * k) / models.length;
        await ctx.progress(base, `scoring ${artifact.name}@${artifact.version}`);
        runs.push(
          await runModel(model, sets, {
            sampleSeed: seed,
            perturbationSeed: seed,
            robustnessN: opts.robustnessN,
            photoN: opts.photoN,
            readImage,
            log: (m) => void ctx.log('info', m.trim()),
            behaviour,
            ...(glowing ? { glowing } : {}),
          }),
        );
        if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('cancelled');
      }
    } finally {
      for (const enc of loaded) {
        await enc.text.dispose();
        await enc.image.dispose();
      }
    }

    await ctx.progress(0.92, 'computing figures (bootstrap intervals)');
    const report = buildReport({
      command: `reviewlens pipeline run ${ctx.runId}: evaluate ${cand.name}@${cand.version}`,
      createdAt: new Date().toISOString(),
      sets,
      runs,
      boot: { resamples: EVALUATE_RESAMPLES, seed },
      seeds: { bootstrap: seed, perturbation: seed, sample: seed },
      options: {
        resamples: EVALUATE_RESAMPLES,
        limit: opts.sample,
        robustness_n: opts.robustnessN,
        photo_n: opts.photoN,
        glowing_n: opts.glowingN,
      },
      seconds: (Date.now() - t0) / 1000,
    });
    const html = renderReport(report, { jsonFile: `GET ${reportPath(cand.name, cand.version)}?format=json` });
    const stored = await services.registry.storeReport({
      name: cand.name,
      version: cand.version,
      html,
      json: runJson(report, runs),
      summary: summarizeReport(report),
      runId: ctx.runId,
    });
    const m = stored.summary.macro_f1;
    await ctx.log(
      'info',
      `report stored for ${cand.name}@${cand.version}: macro-F1 ${m.estimate.toFixed(3)} [${m.low.toFixed(3)}, ${m.high.toFixed(3)}] on ${stored.summary.n} reviews` +
        (production ? `, compared with production ${production.name}@${production.version}` : ''),
    );
    return outputOf(stored, false, { html_bytes: Buffer.byteLength(html), seconds: (Date.now() - t0) / 1000 });
  },
};
