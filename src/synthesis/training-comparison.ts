/**
 * Does synthetic data help the model? The with/without comparison of issue 16: two models trained alike (same seed,
 * same recipe), one with synthetic reviews in its e-commerce training split (`reviewlens train --synthetic`), scored
 * on real held-out reviews only, as the server answers them. Written by `npm run bench:synthetic-training` to
 * data/synthesis/with-without.json (committed), served by `GET /api/synthesis` and shown on the web UI's Synthesis
 * page. The decision is taken on the e-commerce val split; test sets are reported, never chosen on.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SENTIMENTS, type Sentiment } from '../core/types.js';
import { type Interval, pairedBootstrapDiff, pairedMeanDiff } from '../evaluation/bootstrap.js';
import { classificationMetrics } from '../evaluation/metrics.js';

/** Where the bench writes the comparison (path from the repository root). */
export const TRAINING_COMPARISON_FILE = 'data/synthesis/with-without.json';
export const TRAINING_COMPARISON_PATH = fileURLToPath(new URL(`../../${TRAINING_COMPARISON_FILE}`, import.meta.url));

/**
 * The rule the comparison decides by: synthetic data joins the default training mix only when the paired bootstrap
 * 95% interval of (with - without) served macro-F1 on the e-commerce val split lies wholly above 0.
 */
export const DECISION_RULE =
  'synthetic data joins the default training mix only if the paired bootstrap 95% interval of the served macro-F1 ' +
  'difference (with - without) on the e-commerce val split excludes 0 in its favour; otherwise the default stays without it';

/** One model's served figures on one set. */
export interface SideFigures {
  accuracy: number;
  macro_f1: number;
  per_class_f1: Record<Sentiment, number>;
}

/** Both models on one set of real reviews, and the paired differences (with - without). */
export interface SetComparison {
  set: string;
  /** `decision`: the set the rule reads (e-commerce val); `reported`: shown, never chosen on. */
  role: 'decision' | 'reported';
  n: number;
  without: SideFigures;
  with: SideFigures;
  /** Paired bootstrap (percentile) 95% interval of macro-F1(with) - macro-F1(without). */
  macro_f1_diff: Interval;
  /** Paired bootstrap 95% interval of accuracy(with) - accuracy(without). */
  accuracy_diff: Interval;
}

export interface TrainingComparison {
  created_at: string;
  command: string;
  machine: string;
  bootstrap: { resamples: number; seed: number };
  decision_rule: string;
  /** The rule applied: `include` only when the val interval lies above 0. */
  decision: { include: boolean; reason: string };
  without: { model: string; artifact: string };
  with: {
    model: string;
    artifact: string;
    /** The synthetic rows it trained on (the artifact's `params.synthetic`). */
    synthetic: {
      file: string;
      sha256: string;
      used: number;
      by_label: Record<Sentiment, number>;
      real_by_label: Record<Sentiment, number>;
      by_generator: Record<string, number>;
    } | null;
  };
  sets: SetComparison[];
}

function side(y: readonly number[], pred: readonly number[]): SideFigures {
  const m = classificationMetrics(y, pred, 3);
  return {
    accuracy: m.accuracy,
    macro_f1: m.macro_f1,
    per_class_f1: Object.fromEntries(SENTIMENTS.map((s, i) => [s, m.per_class[i]?.f1 ?? 0])) as Record<
      Sentiment,
      number
    >,
  };
}

/**
 * Both models' figures on one set and the paired differences: `y` the gold classes and `without` / `with` the two
 * models' predicted classes (SENTIMENTS indices) on the same reviews in the same order. Intervals: paired bootstrap
 * (`pairedBootstrapDiff` for macro-F1, `pairedMeanDiff` of per-review hits for accuracy), `boot.resamples`
 * resamples from `boot.seed`.
 * @throws Error when the three lists differ in length or are empty.
 */
export function compareOnSet(
  set: string,
  role: SetComparison['role'],
  y: readonly number[],
  without: readonly number[],
  withSynthetic: readonly number[],
  boot: { resamples: number; seed: number },
): SetComparison {
  if (y.length === 0 || y.length !== without.length || y.length !== withSynthetic.length) {
    throw new Error(`compareOnSet ${set}: labels and both models' predictions must be equal, non-empty lists`);
  }
  const hits = (p: readonly number[]) => p.map((c, i) => (c === y[i] ? 1 : 0));
  return {
    set,
    role,
    n: y.length,
    without: side(y, without),
    with: side(y, withSynthetic),
    macro_f1_diff: pairedBootstrapDiff(y, withSynthetic, without, 3, boot),
    accuracy_diff: pairedMeanDiff(hits(withSynthetic), hits(without), boot),
  };
}

/** The decision rule (DECISION_RULE) applied to the set whose role is `decision`. */
export function decide(sets: readonly SetComparison[]): TrainingComparison['decision'] {
  const d = sets.find((s) => s.role === 'decision');
  if (!d) return { include: false, reason: 'no decision set was scored' };
  const iv = d.macro_f1_diff;
  const f = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(4);
  const span = `${f(iv.estimate)} [${f(iv.low)}, ${f(iv.high)}]`;
  return iv.low > 0
    ? { include: true, reason: `${d.set} macro-F1 difference ${span} excludes 0 in favour of synthetic data` }
    : {
        include: false,
        reason: `${d.set} macro-F1 difference ${span} ${iv.high < 0 ? 'excludes 0 against' : 'includes 0: no evidence for'} synthetic data`,
      };
}

/**
 * The committed comparison, or null when there is none.
 * @throws Error when the file exists but is not a readable comparison (bad JSON, no `sets` list).
 */
export function loadTrainingComparison(path = TRAINING_COMPARISON_PATH): TrainingComparison | null {
  if (!existsSync(path)) return null;
  const v = JSON.parse(readFileSync(path, 'utf8')) as TrainingComparison;
  if (typeof v !== 'object' || v === null || !Array.isArray(v.sets)) throw new Error('not a with/without comparison');
  return v;
}
