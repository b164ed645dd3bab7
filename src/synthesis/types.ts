import type { ClassScores, Sentiment } from '../core/types.js';

/** How long a synthetic review should be, in words: short 15-40, medium 40-90, long 90-160. */
export type SynthLength = 'short' | 'medium' | 'long';
export const LENGTH_WORDS: Record<SynthLength, [number, number]> = {
  short: [15, 40],
  medium: [40, 90],
  long: [90, 160],
};

/** What to generate. `rating` (1-5), when given, must agree with `sentiment` (1-2 negative, 3 neutral, 4-5 positive). */
export interface SynthRequest {
  count: number;
  sentiment: Sentiment;
  rating?: number;
  /** A product id or name; matched against the real reviews' product id, department and class. */
  product?: string;
  /** A category (department or class, e.g. `Dresses`, `Tops`); `any` or absent: all. */
  category?: string;
  length?: SynthLength;
  /** Aspects to mention (see ASPECTS): battery, fit, delivery, packaging, price, quality, comfort, look, service. */
  aspects?: string[];
  /** The reviewer's voice (LLM generator only), e.g. "a busy parent", "a picky tech reviewer". */
  persona?: string;
  seed: number;
}

/** A real review the generators draw on. */
export interface SourceReview {
  id: string;
  text: string;
  rating: number;
  sentiment: Sentiment;
  productId?: string;
  /** Department (e.g. `Dresses`) or `general` for sets without one. */
  category: string;
  productClass?: string;
  /** The source set cut its text off (loadSourceReviews): not a whole review's length or ending. */
  truncated?: boolean;
}

/** One generated text before the checks, with how it was made. */
export interface SynthCandidate {
  text: string;
  /** Recombine: source review ids, sentences and edits; LLM: the prompt, model, few-shot ids and settings. */
  recipe: Record<string, unknown>;
  /** Real reviews it was made from or shown (dedup checks it against them). */
  sourceIds: string[];
}

/** A kept synthetic review, one JSONL line of `reviewlens synth --out`. */
export interface SyntheticReview {
  id: string;
  text: string;
  sentiment: Sentiment;
  rating: number | null;
  product: string | null;
  category: string | null;
  source: 'synthetic';
  generator: GeneratorName;
  /** The seed of this review (the run's seed plus its index). */
  seed: number;
  recipe: Record<string, unknown>;
  /** The production classifier's reading, when the consistency check ran. */
  check: { label: Sentiment; confidence: number; model: string } | null;
  createdAt: string;
}

export type GeneratorName = 'recombine' | 'llm';

/** A text generator: one candidate per call, deterministic for a given seed (the LLM: as far as llama.cpp is). */
export interface SynthGenerator {
  readonly name: GeneratorName;
  generate(req: SynthRequest, index: number, seed: number): Promise<SynthCandidate>;
}

/** Reads a text's sentiment: the production classifier in use (src/sentiment Analyzer), or a stand-in in tests. */
export interface SentimentJudge {
  readonly model: string;
  /** The label, its probability, and (when the judge has them) all class probabilities (summing to 1). */
  judge(text: string): Promise<{ label: Sentiment; confidence: number; scores?: ClassScores }>;
}
