import type { ClassScores, Sentiment } from '../core/types.js';

/** What a labeler is asked to label: the review's text and, when it has one, its photo. */
export interface LabelInput {
  id: string;
  text: string;
  photo?: Uint8Array;
}

/** A labeler's answer: a label, its confidence (0..1) and, when it has them, the class probabilities. */
export interface LabelerOutput {
  label: Sentiment;
  confidence: number;
  probs?: ClassScores;
  /** The text embedding the labeler computed on the way (the production classifier gives it), for diversity. */
  embedding?: Float32Array;
}

/** One source of labels: the production classifier, the lexicons, an LLM. */
export interface Labeler {
  readonly name: string;
  label(input: LabelInput): Promise<LabelerOutput>;
}

/** A labeler's vote as stored with a decision; a labeler that failed has `error` and no say. */
export interface Vote {
  labeler: string;
  label: Sentiment | null;
  confidence: number;
  probs?: ClassScores;
  error?: string;
}

/** Gating thresholds on the ensemble's calibrated confidence. */
export interface Thresholds {
  /** At or above: the label is accepted without a human. */
  accept: number;
  /** At or above (and below `accept`): the review goes to the human queue; below: discarded. */
  review: number;
}

export type Decision = 'accepted' | 'queued' | 'discarded';

export const QUEUE_STATUSES = ['pending', 'labelled', 'skipped', 'discarded'] as const;
export type QueueStatus = (typeof QUEUE_STATUSES)[number];
