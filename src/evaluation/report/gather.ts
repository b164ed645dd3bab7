/**
 * The report's figures as small pure functions of scored items (`ItemResult`): classification with
 * bootstrap 95% intervals (percentile bootstrap, Efron and Tibshirani 1993), slices, calibration
 * (expected calibration error, Naeini et al. 2015, Guo et al. 2017: 10 equal-width bins of the top-class
 * confidence), modality contribution with paired bootstrap intervals, and candidate-minus-production
 * differences. Same items and seeds in, same figures out.
 */
import { createHash } from 'node:crypto';
import { seededRandom } from '../../core/random.js';
import { SENTIMENTS } from '../../core/types.js';
import type { BehaviourResult } from '../behaviour.js';
import {
  bootstrapMacroF1,
  expectedCalibrationError,
  type Interval,
  pairedBootstrapDiff,
  pairedMeanDiff,
} from '../bootstrap.js';
import { classificationMetrics } from '../metrics.js';
import type {
  CalibrationFigures,
  ClassificationFigures,
  Difference,
  EvalItem,
  ItemResult,
  ModalityFigures,
  ModelRun,
  SetFigures,
  SliceFigures,
} from './types.js';

/** Bootstrap settings shared by every interval of a report. */
export interface BootstrapOptions {
  resamples: number;
  seed: number;
}

/** Index of the largest probability (ties: the first). */
export function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if ((p[i] as number) > (p[best] as number)) best = i;
  return best;
}

/** Words of a text (runs of non-space characters). */
export function wordCount(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

/** The text-length slice of a review by its word count: "1-20", "21-60", "61-150" or "151+" words. */
export function lengthBucket(words: number): string {
  if (words <= 20) return '1-20 words';
  if (words <= 60) return '21-60 words';
  if (words <= 150) return '61-150 words';
  return '151+ words';
}

/**
 * sha256 (hex) of a data set's rows as scored: id, text, photo reference and label of each item, in order,
 * tab-separated, one line each. The photo bytes are not hashed (the reference is).
 */
export function dataHash(items: readonly EvalItem[]): string {
  const h = createHash('sha256');
  for (const e of items) h.update(`${e.id}\t${e.text}\t${e.image ?? ''}\t${e.label}\n`);
  return h.digest('hex');
}

/**
 * Bootstrap (percentile) 95% interval of the mean of 0/1 outcomes, resampling items with a fixed seed:
 * accuracy with its interval when `hits` are per-item correctness.
 */
export function meanInterval(hits: readonly number[], boot: BootstrapOptions): Interval {
  if (hits.length === 0) return { estimate: 0, low: 0, high: 0 };
  // pairedMeanDiff against zeros is the plain bootstrap of the mean.
  return pairedMeanDiff(
    hits,
    hits.map(() => 0),
    boot,
  );
}

/** Accuracy, per-class precision/recall/F1, macro-F1 (over classes present) with 95% intervals, confusion matrix. */
export function classificationFigures(
  yTrue: readonly number[],
  yPred: readonly number[],
  boot: BootstrapOptions,
): ClassificationFigures {
  const m = classificationMetrics(yTrue, yPred, 3);
  return {
    n: m.n,
    accuracy: meanInterval(
      yTrue.map((t, i) => (t === yPred[i] ? 1 : 0)),
      boot,
    ),
    macro_f1: yTrue.length ? bootstrapMacroF1(yTrue, yPred, 3, boot) : { estimate: 0, low: 0, high: 0 },
    per_class: m.per_class.map((c, i) => ({ label: SENTIMENTS[i] as (typeof SENTIMENTS)[number], ...c })),
    confusion: m.confusion,
  };
}

const fusedPred = (items: readonly ItemResult[]) => items.map((r) => argmax(r.fused));

/** Slices with fewer items than this are left out of the slice table (their figures would be noise). */
export const MIN_SLICE = 20;
/** At most this many domains are listed (the largest). */
export const MAX_DOMAINS = 12;

/**
 * The fused answer's figures per slice: source, domain (when the data names domains; the largest
 * MAX_DOMAINS), text length bucket, and photo (with / without / unreadable). Slices under MIN_SLICE items are
 * left out.
 */
export function sliceFigures(items: readonly ItemResult[], boot: BootstrapOptions): SliceFigures[] {
  const dims: Array<[SliceFigures['dimension'], (r: ItemResult) => string | undefined]> = [
    ['source', (r) => r.source],
    ['domain', (r) => r.domain],
    ['length', (r) => lengthBucket(r.words)],
    ['photo', (r) => (r.photo === 'used' ? 'with photo' : r.photo === 'none' ? 'without photo' : 'photo unreadable')],
  ];
  const out: SliceFigures[] = [];
  for (const [dimension, key] of dims) {
    const groups = new Map<string, ItemResult[]>();
    for (const r of items) {
      const k = key(r);
      if (k === undefined) continue;
      const g = groups.get(k) ?? [];
      g.push(r);
      groups.set(k, g);
    }
    let entries = [...groups.entries()].filter(([, g]) => g.length >= MIN_SLICE);
    if (dimension === 'domain') entries = entries.sort((a, b) => b[1].length - a[1].length).slice(0, MAX_DOMAINS);
    else entries.sort((a, b) => a[0].localeCompare(b[0], 'en', { numeric: true }));
    // One value only says nothing a slice table should (e.g. every item is from one source).
    if (entries.length < 2) continue;
    for (const [value, g] of entries) {
      const yTrue = g.map((r) => r.label);
      const yPred = fusedPred(g);
      const m = classificationMetrics(yTrue, yPred, 3);
      out.push({
        dimension,
        value,
        n: g.length,
        accuracy: m.accuracy,
        macro_f1: bootstrapMacroF1(yTrue, yPred, 3, boot),
      });
    }
  }
  return out;
}

/** ECE and reliability bins of each modality that has answers: text (all items), image (photos read), fused (all). */
export function calibrationFigures(items: readonly ItemResult[], bins = 10): CalibrationFigures[] {
  const out: CalibrationFigures[] = [];
  for (const modality of ['text', 'image', 'fused'] as const) {
    const withP = items.filter((r) => r[modality] !== undefined);
    if (withP.length === 0) continue;
    const e = expectedCalibrationError(
      withP.map((r) => r[modality] as number[]),
      withP.map((r) => r.label),
      bins,
    );
    out.push({ modality, n: withP.length, ece: e.ece, bins: e.bins });
  }
  return out;
}

/**
 * Text only, photo only and fused on the same items (those whose photo was read), and the paired
 * bootstrap of fused minus text-only (accuracy and macro-F1). Undefined when no item had a photo.
 */
export function modalityFigures(items: readonly ItemResult[], boot: BootstrapOptions): ModalityFigures | undefined {
  const g = items.filter((r) => r.photo === 'used' && r.image !== undefined);
  if (g.length === 0) return undefined;
  const y = g.map((r) => r.label);
  const pred = (m: 'text' | 'image' | 'fused') => g.map((r) => argmax(r[m] as number[]));
  const fig = (p: number[]) => ({
    accuracy: classificationMetrics(y, p, 3).accuracy,
    macro_f1: bootstrapMacroF1(y, p, 3, boot),
  });
  const t = pred('text');
  const f = pred('fused');
  const hits = (p: number[]) => p.map((c, i) => (c === y[i] ? 1 : 0));
  return {
    n: g.length,
    text: fig(t),
    image: fig(pred('image')),
    fused: fig(f),
    fused_minus_text: {
      accuracy: pairedMeanDiff(hits(f), hits(t), boot),
      macro_f1: pairedBootstrapDiff(y, f, t, 3, boot),
    },
  };
}

/** All figures of one data set's items. */
export function setFigures(set: string, items: readonly ItemResult[], boot: BootstrapOptions): SetFigures {
  const modality = modalityFigures(items, boot);
  return {
    set,
    classification: classificationFigures(
      items.map((r) => r.label),
      fusedPred(items),
      boot,
    ),
    slices: sliceFigures(items, boot),
    calibration: calibrationFigures(items),
    ...(modality ? { modality } : {}),
    photos: {
      used: items.filter((r) => r.photo === 'used').length,
      none: items.filter((r) => r.photo === 'none').length,
      unreadable: items.filter((r) => r.photo === 'unreadable').length,
    },
  };
}

/** The behaviour suite's result as the report lists it (capabilities in suite order). */
export function behaviourFigures(b: BehaviourResult) {
  return {
    overall: b.overall,
    by_capability: Object.entries(b.byCapability).map(([capability, r]) => ({
      capability,
      n: r?.n ?? 0,
      passed: r?.passed ?? 0,
      rate: r?.rate ?? 0,
    })),
  };
}

/** One model's figures for the report: per set, all sets together, robustness, behaviour, glowing text. */
export function modelFigures(run: ModelRun, setNames: readonly string[], boot: BootstrapOptions) {
  return {
    model: run.model,
    seconds: run.seconds,
    sets: setNames.map((s) =>
      setFigures(
        s,
        run.items.filter((r) => r.set === s),
        boot,
      ),
    ),
    overall: classificationFigures(
      run.items.map((r) => r.label),
      fusedPred(run.items),
      boot,
    ),
    overall_slices: setNames.length > 1 ? sliceFigures(run.items, boot).filter((s) => s.dimension !== 'length') : [],
    robustness: run.robustness.map(({ correct: _c, answers: _a, ...rest }) => rest),
    ...(run.behaviour ? { behaviour: behaviourFigures(run.behaviour) } : {}),
    ...(run.glowing
      ? {
          glowing: {
            texts: run.glowing.texts,
            damaged: strip(run.glowing.damaged),
            intact: strip(run.glowing.intact),
          },
        }
      : {}),
  };
}

const strip = ({
  answers: _a,
  ...rest
}: {
  answers: number[];
  n: number;
  negative: number;
  overruled: number;
  rate: number;
}) => rest;

/**
 * Candidate minus production on the same items, each with a paired bootstrap 95% interval: per set
 * accuracy and macro-F1 of the fused answer, and fused minus text-only's gain; per perturbation the
 * accuracy; the behaviour suite's pass rate; the damaged-photo-under-glowing-text rate. Both runs must
 * have scored the same items in the same order (same sets, seeds and sample).
 */
export function compareRuns(
  cand: ModelRun,
  prod: ModelRun,
  setNames: readonly string[],
  boot: BootstrapOptions,
): Difference[] {
  const out: Difference[] = [];
  const hits = (rs: readonly ItemResult[], m: 'fused' | 'text') => rs.map((r) => (argmax(r[m]) === r.label ? 1 : 0));
  const diffMean = (what: string, a: number[], b: number[]) => {
    if (a.length === 0 || a.length !== b.length) return;
    const d = pairedMeanDiff(a, b, boot);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    out.push({ what, candidate: mean(a), production: mean(b), diff: d });
  };
  for (const s of setNames) {
    const a = cand.items.filter((r) => r.set === s);
    const b = prod.items.filter((r) => r.set === s);
    if (a.length === 0 || a.length !== b.length || a.some((r, i) => r.id !== b[i]?.id)) {
      throw new Error(`cannot compare ${s}: the two runs scored different items`);
    }
    diffMean(`${s}: accuracy`, hits(a, 'fused'), hits(b, 'fused'));
    const y = a.map((r) => r.label);
    const pa = a.map((r) => argmax(r.fused));
    const pb = b.map((r) => argmax(r.fused));
    out.push({
      what: `${s}: macro-F1`,
      candidate: classificationMetrics(y, pa, 3).macro_f1,
      production: classificationMetrics(y, pb, 3).macro_f1,
      diff: pairedBootstrapDiff(y, pa, pb, 3, boot),
    });
    const ca = calibrationFigures(a).find((c) => c.modality === 'fused');
    const cb = calibrationFigures(b).find((c) => c.modality === 'fused');
    if (ca && cb) {
      // ECE's interval: bootstrap of the difference, resampling items for both models together.
      out.push({ what: `${s}: ECE (fused)`, candidate: ca.ece, production: cb.ece, diff: pairedEceDiff(a, b, boot) });
    }
  }
  for (const p of cand.robustness) {
    const q = prod.robustness.find((x) => x.id === p.id);
    if (q && q.correct.length === p.correct.length) diffMean(`robustness: ${p.label} accuracy`, p.correct, q.correct);
  }
  if (cand.behaviour && prod.behaviour) {
    diffMean('behaviour suite: pass rate', cand.behaviour.answers, prod.behaviour.answers);
  }
  if (cand.glowing && prod.glowing) {
    const neg = (xs: number[]) => xs.map((c) => (c === 0 ? 1 : 0));
    diffMean(
      'glowing text, damaged photo: answered negative',
      neg(cand.glowing.damaged.answers),
      neg(prod.glowing.damaged.answers),
    );
  }
  return out;
}

/** Paired bootstrap interval of ECE(a) - ECE(b) (fused), resampling the same items for both. */
function pairedEceDiff(a: readonly ItemResult[], b: readonly ItemResult[], boot: BootstrapOptions): Interval {
  const ece = (rs: readonly ItemResult[], idx: number[]) =>
    expectedCalibrationError(
      idx.map((i) => (rs[i] as ItemResult).fused),
      idx.map((i) => (rs[i] as ItemResult).label),
    ).ece;
  const all = a.map((_, i) => i);
  const estimate = ece(a, all) - ece(b, all);
  const rand = seededRandom(boot.seed ^ 0x9e3779b9);
  const stats: number[] = [];
  const R = Math.min(boot.resamples, 500);
  for (let r = 0; r < R; r++) {
    const idx = all.map(() => Math.floor(rand() * all.length));
    stats.push(ece(a, idx) - ece(b, idx));
  }
  stats.sort((x, y) => x - y);
  const q = (p: number) => stats[Math.min(stats.length - 1, Math.max(0, Math.round((stats.length - 1) * p)))] as number;
  return { estimate, low: q(0.025), high: q(0.975) };
}
