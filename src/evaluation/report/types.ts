/**
 * Shapes of the evaluation run and report (`reviewlens eval --report`). Class probabilities are arrays
 * in `SENTIMENTS` order (negative, neutral, positive); rates and accuracies are fractions in 0..1;
 * latencies are milliseconds.
 */
import type { Sentiment } from '../../core/types.js';
import type { BehaviourResult } from '../behaviour.js';
import type { Interval, ReliabilityBin } from '../bootstrap.js';

/** One labelled review to score: text, an optional photo (a path or http(s) URL), and its slice attributes. */
export interface EvalItem {
  id: string;
  text: string;
  image?: string;
  label: Sentiment;
  /** Where the review comes from (data set or shop). */
  source: string;
  /** Product domain or department, when the data names one. */
  domain?: string;
}

/** A data set as read: its items, and what was skipped while reading it (reason -> count). */
export interface EvalSet {
  name: string;
  /** The file it was read from, or the built-in split's name. */
  origin: string;
  items: EvalItem[];
  skipped: Array<{ reason: string; count: number }>;
  /** Things a reader should know about the set (e.g. "no photo column: photo figures skipped"). */
  notes: string[];
}

/** What a model says about one review: each modality's class probabilities. */
export interface ModelAnswer {
  text: number[];
  image?: number[];
  fused: number[];
  /** True when the photo's damaged-product check overruled the text. */
  damageOverride?: boolean;
}

/** A model under evaluation: its registry reference and a function that answers as the server does. */
export interface ModelUnderTest {
  ref: { name: string; version: string };
  analyze(text: string, image?: Uint8Array): Promise<ModelAnswer>;
}

/** One scored review, as stored in the run's JSON (every figure of the report is computed from these). */
export interface ItemResult {
  id: string;
  set: string;
  /** Index of the true class in SENTIMENTS. */
  label: number;
  text: number[];
  image?: number[];
  fused: number[];
  /** used: the photo was read and analysed; none: the item has none; unreadable: it could not be read or decoded. */
  photo: 'used' | 'none' | 'unreadable';
  source: string;
  domain?: string;
  words: number;
  damageOverride?: boolean;
}

/** One perturbation's outcome on its sample: accuracy before and after, and answers that changed. */
export interface PerturbationResult {
  id: string;
  label: string;
  kind: 'text' | 'photo';
  n: number;
  accuracy_clean: number;
  accuracy: number;
  /** Items whose answer changed under the perturbation. */
  flips: number;
  flip_rate: number;
  /** Per item (in sample order): 1 when the perturbed answer is right. Kept for paired comparisons. */
  correct: number[];
  /** Per item: the perturbed answer (class index). */
  answers: number[];
  /** Items whose photo could not be perturbed or analysed (skipped, counted). */
  skipped: number;
}

/** Glowing text over photos of damaged products (and, as the control, of intact ones). */
export interface GlowingResult {
  texts: string[];
  damaged: { n: number; negative: number; overruled: number; rate: number; answers: number[] };
  intact: { n: number; negative: number; overruled: number; rate: number; answers: number[] };
}

/** Everything measured for one model. */
export interface ModelRun {
  model: { name: string; version: string };
  items: ItemResult[];
  robustness: PerturbationResult[];
  behaviour?: BehaviourResult & { answers: number[] };
  glowing?: GlowingResult;
  seconds: number;
}

/** Classification figures of a group of items. */
export interface ClassificationFigures {
  n: number;
  accuracy: Interval;
  macro_f1: Interval;
  per_class: Array<{ label: Sentiment; precision: number; recall: number; f1: number; support: number }>;
  confusion: number[][];
}

/** One slice (a value of a dimension) of a data set. */
export interface SliceFigures {
  dimension: 'source' | 'domain' | 'length' | 'photo';
  value: string;
  n: number;
  accuracy: number;
  macro_f1: Interval;
}

export type { ReliabilityBin };

/** Expected calibration error (10 equal-width bins of top-class confidence) of one modality. */
export interface CalibrationFigures {
  modality: 'text' | 'image' | 'fused';
  n: number;
  ece: number;
  bins: ReliabilityBin[];
}

/** Text only, photo only and fused on the same items (those whose photo was read). */
export interface ModalityFigures {
  n: number;
  text: { accuracy: number; macro_f1: Interval };
  image: { accuracy: number; macro_f1: Interval };
  fused: { accuracy: number; macro_f1: Interval };
  /** Paired bootstrap of fused minus text-only on the same items. */
  fused_minus_text: { accuracy: Interval; macro_f1: Interval };
}

/** The figures of one data set for one model. */
export interface SetFigures {
  set: string;
  classification: ClassificationFigures;
  slices: SliceFigures[];
  calibration: CalibrationFigures[];
  modality?: ModalityFigures;
  photos: { used: number; none: number; unreadable: number };
}

/** A load level's result against a running server. */
export interface LoadLevel {
  connections: number;
  seconds: number;
  requests: number;
  qps: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export interface LoadFigures {
  url: string;
  path: string;
  levels: LoadLevel[];
  /** The model the server reported serving (GET /api/health), when it said. */
  served_model?: string;
}

/** A difference (candidate minus production) with its paired bootstrap 95% interval. */
export interface Difference {
  what: string;
  candidate: number;
  production: number;
  diff: Interval;
}

/** The report: what was run on what, and every figure. */
export interface EvalReport {
  format: 'reviewlens.eval-report/1';
  created_at: string;
  command: string;
  model: { name: string; version: string };
  against?: { name: string; version: string };
  seeds: { bootstrap: number; perturbation: number; sample: number };
  options: { resamples: number; limit?: number; robustness_n: number; photo_n: number; glowing_n: number };
  data: Array<{
    name: string;
    origin: string;
    sha256: string;
    n: number;
    with_photo: number;
    skipped: Array<{ reason: string; count: number }>;
    notes: string[];
  }>;
  /** Per model (the candidate first, then production when compared): the figures. */
  models: Array<{
    model: { name: string; version: string };
    seconds: number;
    sets: SetFigures[];
    overall: ClassificationFigures;
    /** Source, domain and photo slices over all data sets together (when there are several). */
    overall_slices: SliceFigures[];
    robustness: Array<Omit<PerturbationResult, 'correct' | 'answers'>>;
    behaviour?: {
      overall: { n: number; passed: number; rate: number };
      by_capability: Array<{ capability: string; n: number; passed: number; rate: number }>;
    };
    glowing?: {
      texts: string[];
      damaged: { n: number; negative: number; overruled: number; rate: number };
      intact: { n: number; negative: number; overruled: number; rate: number };
    };
  }>;
  comparison?: Difference[];
  load?: LoadFigures;
  seconds: number;
}

/**
 * What the registry stores beside a model version's report, for listings and the promotion gate
 * (`summarizeReport`). Intervals are bootstrap 95% intervals of fractions in 0..1.
 */
export interface ReportSummary {
  format: 'reviewlens.report-summary/1';
  model: { name: string; version: string };
  /** The production model the report compared it with, if any. */
  against: { name: string; version: string } | null;
  created_at: string;
  /** Items over all data sets. */
  n: number;
  accuracy: Interval;
  macro_f1: Interval;
  sets: Array<{
    set: string;
    n: number;
    macro_f1: Interval;
    /** Candidate minus production macro-F1 on the same items (paired bootstrap); null without a comparison. */
    difference: Interval | null;
    production_macro_f1?: number;
  }>;
  data: Array<{ name: string; sha256: string; n: number }>;
}
