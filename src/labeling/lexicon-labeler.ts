import { argmaxSentiment, scoresFromArray } from '../core/types.js';
import { vaderCompound } from '../models/lexicon.js';
import type { Labeler, LabelerOutput, LabelInput } from './types.js';

/**
 * Probabilities from VADER's compound score c in -1..1: logits (-4c, 1.5 - 4|c|, 4c) for
 * negative / neutral / positive, so a text with no sentiment words leans neutral and a strongly worded
 * one leans to its side. Not calibrated: the ensemble's calibration takes care of that.
 */
export function lexiconProbs(compound: number): Float64Array {
  const z = [-4 * compound, 1.5 - 4 * Math.abs(compound), 4 * compound];
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return Float64Array.from(e.map((v) => v / s));
}

/** The lexicon labeler's answer for a text (synchronous: what `LexiconLabeler.label` returns). */
export function lexiconLabel(text: string): LabelerOutput {
  const c = vaderCompound(text);
  const probs = scoresFromArray(lexiconProbs(c));
  const label = argmaxSentiment(probs);
  return { label, confidence: probs[label], probs };
}

/** The lexicon labeler: VADER (valence-aware, handles negation, emphasis, emoticons); needs no model. */
export class LexiconLabeler implements Labeler {
  readonly name = 'lexicon';

  async label(input: LabelInput): Promise<LabelerOutput> {
    return lexiconLabel(input.text);
  }
}
