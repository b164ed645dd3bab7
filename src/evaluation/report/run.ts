/**
 * Runs one model over the evaluation: every item of every set (text + photo when it can be read), the
 * robustness perturbations on a seeded sample, the behaviour suite, and glowing review texts over photos
 * of damaged and of intact products. Progress goes to `log`.
 */
import { performance } from 'node:perf_hooks';
import { seededRandom, shuffleInPlace } from '../../core/random.js';
import { SENTIMENTS } from '../../core/types.js';
import { type BehaviourCase, runBehaviourSuite } from '../behaviour.js';
import { argmax, wordCount } from './gather.js';
import {
  PHOTO_PERTURBATIONS,
  type PhotoPerturbation,
  perturbPhoto,
  perturbText,
  TEXT_PERTURBATIONS,
  type TextPerturbation,
} from './perturb.js';
import type { EvalSet, GlowingResult, ItemResult, ModelRun, ModelUnderTest, PerturbationResult } from './types.js';

/**
 * Glowing five-star texts for the damaged-photo check (the seed's signature case is the first). Each is
 * paired with every sampled photo.
 */
export const GLOWING_TEXTS = [
  'This is perfect! Love it, five stars.',
  'Arrived quickly and works great, highly recommend!',
  'Absolutely love this product, exactly as described.',
] as const;

export interface RunOptions {
  /** Seed of the robustness sample and the photo sample. */
  sampleSeed: number;
  /** Seed of the perturbations. */
  perturbationSeed: number;
  /** Items (from all sets) the text perturbations run on. */
  robustnessN: number;
  /** Items with a readable photo the photo perturbations run on. */
  photoN: number;
  /** Reads a photo reference (path or URL); throws when it cannot. */
  readImage(ref: string): Promise<Uint8Array>;
  log(message: string): void;
  /** Behaviour-suite cases; the suite is skipped when absent or empty. */
  behaviour?: readonly BehaviourCase[];
  /** Photos of damaged and of intact products (paths) for the glowing-text check; skipped when absent. */
  glowing?: { damaged: readonly string[]; intact: readonly string[] };
  /** Text perturbations (default TEXT_PERTURBATIONS) and photo perturbations (default PHOTO_PERTURBATIONS). */
  textPerturbations?: readonly TextPerturbation[];
  photoPerturbations?: readonly PhotoPerturbation[];
}

/**
 * The items the robustness part runs on: a seeded shuffle of all items (by id order first, so the sample
 * does not depend on file order), the first `n`; and of those with a readable photo, the first `photoN`.
 */
export function robustnessSample(
  items: readonly ItemResult[],
  n: number,
  photoN: number,
  seed: number,
): { text: ItemResult[]; photo: ItemResult[] } {
  const sorted = [...items].sort((a, b) => (a.set + a.id < b.set + b.id ? -1 : a.set + a.id > b.set + b.id ? 1 : 0));
  const shuffled = shuffleInPlace(sorted, seededRandom(seed));
  return {
    text: shuffled.slice(0, n),
    photo: shuffled.filter((r) => r.photo === 'used').slice(0, photoN),
  };
}

/** Scores every item: the model's text, photo and fused answers; unreadable photos are counted, the text still scored. */
export async function scoreItems(
  model: ModelUnderTest,
  sets: readonly EvalSet[],
  opts: Pick<RunOptions, 'readImage' | 'log'>,
): Promise<ItemResult[]> {
  const out: ItemResult[] = [];
  const total = sets.reduce((s, x) => s + x.items.length, 0);
  let done = 0;
  let t0 = performance.now();
  for (const set of sets) {
    for (const e of set.items) {
      let image: Uint8Array | undefined;
      let photo: ItemResult['photo'] = 'none';
      if (e.image) {
        try {
          image = await opts.readImage(e.image);
          photo = 'used';
        } catch {
          photo = 'unreadable';
        }
      }
      let a: Awaited<ReturnType<ModelUnderTest['analyze']>>;
      try {
        a = await model.analyze(e.text, image);
      } catch (err) {
        if (!image) throw err;
        // A photo the analyzer refuses (corrupt, not an image): counted, and the review scored on its text.
        photo = 'unreadable';
        a = await model.analyze(e.text);
      }
      out.push({
        id: e.id,
        set: set.name,
        label: SENTIMENTS.indexOf(e.label),
        text: a.text,
        ...(a.image ? { image: a.image } : {}),
        fused: a.fused,
        photo,
        source: e.source,
        ...(e.domain ? { domain: e.domain } : {}),
        words: wordCount(e.text),
        ...(a.damageOverride ? { damageOverride: true } : {}),
      });
      done++;
      if (performance.now() - t0 > 5000 || done === total) {
        opts.log(`  scored ${done}/${total}`);
        t0 = performance.now();
      }
    }
  }
  return out;
}

/** Runs text and photo perturbations on the sample; accuracy and flips are against the item's clean answer. */
export async function runRobustness(
  model: ModelUnderTest,
  sets: readonly EvalSet[],
  items: readonly ItemResult[],
  opts: RunOptions,
): Promise<PerturbationResult[]> {
  const byKey = new Map(sets.flatMap((s) => s.items.map((e) => [`${s.name}\u0000${e.id}`, e] as const)));
  const sample = robustnessSample(items, opts.robustnessN, opts.photoN, opts.sampleSeed);
  const out: PerturbationResult[] = [];
  for (const p of opts.textPerturbations ?? TEXT_PERTURBATIONS) {
    const r = emptyResult(p.id, p.label, 'text');
    for (const it of sample.text) {
      const e = byKey.get(`${it.set}\u0000${it.id}`);
      if (!e) continue;
      const changed = perturbText(p, e.text, opts.perturbationSeed, `${it.set}:${it.id}`);
      // Text perturbations are scored on the text alone, against the clean text-only answer.
      const clean = argmax(it.text);
      const text = changed.trim() === '' ? e.text : changed;
      const got = argmax((await model.analyze(text)).text);
      record(r, it.label, clean, got);
    }
    out.push(finish(r));
    opts.log(`  robustness ${p.label}: accuracy ${pct(r.accuracy)}, ${r.flips} flips of ${r.n}`);
  }
  for (const p of opts.photoPerturbations ?? PHOTO_PERTURBATIONS) {
    const r = emptyResult(p.id, p.label, 'photo');
    for (const it of sample.photo) {
      const e = byKey.get(`${it.set}\u0000${it.id}`);
      if (!e?.image) continue;
      try {
        const bytes = await perturbPhoto(p, await opts.readImage(e.image), opts.perturbationSeed, `${it.set}:${it.id}`);
        const got = argmax((await model.analyze(e.text, bytes)).fused);
        record(r, it.label, argmax(it.fused), got);
      } catch {
        r.skipped++;
      }
    }
    out.push(finish(r));
    opts.log(`  robustness ${p.label}: accuracy ${pct(r.accuracy)}, ${r.flips} flips of ${r.n}`);
  }
  return out;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

type Acc = PerturbationResult & { cleanHits: number };
function emptyResult(id: string, label: string, kind: 'text' | 'photo'): Acc {
  return {
    id,
    label,
    kind,
    n: 0,
    accuracy_clean: 0,
    accuracy: 0,
    flips: 0,
    flip_rate: 0,
    correct: [],
    answers: [],
    skipped: 0,
    cleanHits: 0,
  };
}
function record(r: Acc, label: number, clean: number, got: number): void {
  r.n++;
  r.cleanHits += clean === label ? 1 : 0;
  r.correct.push(got === label ? 1 : 0);
  r.answers.push(got);
  if (got !== clean) r.flips++;
}
function finish(r: Acc): PerturbationResult {
  const { cleanHits, ...rest } = r;
  rest.accuracy_clean = r.n ? cleanHits / r.n : 0;
  rest.accuracy = r.n ? r.correct.reduce((s, x) => s + x, 0) / r.n : 0;
  rest.flip_rate = r.n ? r.flips / r.n : 0;
  Object.assign(r, rest);
  return rest;
}

/**
 * Each glowing text over each photo: how often the answer is negative, and how often the photo's
 * damaged-product check overruled the text. On intact photos both should be rare (false alarms).
 */
export async function runGlowing(
  model: ModelUnderTest,
  photos: { damaged: readonly string[]; intact: readonly string[] },
  opts: Pick<RunOptions, 'readImage' | 'log'>,
): Promise<GlowingResult> {
  const one = async (paths: readonly string[]) => {
    const answers: number[] = [];
    let overruled = 0;
    for (const path of paths) {
      let bytes: Uint8Array;
      try {
        bytes = await opts.readImage(path);
      } catch {
        continue;
      }
      for (const text of GLOWING_TEXTS) {
        const a = await model.analyze(text, bytes);
        answers.push(argmax(a.fused));
        if (a.damageOverride) overruled++;
      }
    }
    const negative = answers.filter((c) => c === 0).length;
    return { n: answers.length, negative, overruled, rate: answers.length ? negative / answers.length : 0, answers };
  };
  const damaged = await one(photos.damaged);
  const intact = await one(photos.intact);
  opts.log(
    `  glowing text: damaged photo answered negative ${pct(damaged.rate)} (n=${damaged.n}), intact ${pct(intact.rate)} (n=${intact.n})`,
  );
  return { texts: [...GLOWING_TEXTS], damaged, intact };
}

/** Everything for one model: scores, robustness, behaviour suite, glowing text. */
export async function runModel(model: ModelUnderTest, sets: readonly EvalSet[], opts: RunOptions): Promise<ModelRun> {
  const t0 = performance.now();
  const tag = `${model.ref.name}@${model.ref.version}`;
  opts.log(`${tag}: scoring ${sets.map((s) => `${s.name} (${s.items.length})`).join(', ')}`);
  const items = await scoreItems(model, sets, opts);
  opts.log(`${tag}: robustness`);
  const robustness = await runRobustness(model, sets, items, opts);
  let behaviour: ModelRun['behaviour'];
  if (opts.behaviour && opts.behaviour.length > 0) {
    opts.log(`${tag}: behaviour suite (${opts.behaviour.length} cases)`);
    const answers: number[] = [];
    const res = await runBehaviourSuite(opts.behaviour, async (text) => {
      const s = SENTIMENTS[argmax((await model.analyze(text)).fused)] as (typeof SENTIMENTS)[number];
      return { sentiment: s };
    });
    // Per-case pass/fail, in suite order, for paired comparisons.
    const failed = new Set(Object.values(res.byCapability).flatMap((c) => c?.failures.map((f) => f.id) ?? []));
    for (const c of opts.behaviour) answers.push(failed.has(c.id) ? 0 : 1);
    behaviour = { ...res, answers };
    opts.log(`  behaviour suite: ${res.overall.passed}/${res.overall.n} passed`);
  }
  let glowing: GlowingResult | undefined;
  if (opts.glowing && opts.glowing.damaged.length + opts.glowing.intact.length > 0) {
    opts.log(`${tag}: glowing text over damaged and intact product photos`);
    glowing = await runGlowing(model, opts.glowing, opts);
  }
  return {
    model: model.ref,
    items,
    robustness,
    ...(behaviour ? { behaviour } : {}),
    ...(glowing ? { glowing } : {}),
    seconds: (performance.now() - t0) / 1000,
  };
}
