import { type AnalysisResult, type AnalyzeInput, type ModelRef, SENTIMENTS } from '../../core/types.js';
import type { ModelUnderTest } from './types.js';

/** What the evaluation needs of an analyzer (`Analyzer` in src/sentiment satisfies it). */
export interface AnswersLikeTheServer {
  readonly model: ModelRef;
  analyze(input: AnalyzeInput): Promise<Pick<AnalysisResult, 'scores' | 'evidence'>>;
}

/**
 * An analyzer as a model under evaluation: each modality's class probabilities in SENTIMENTS order
 * (text, photo when one was read, fused), and whether the photo's damaged-product check overruled the text.
 * Used by `reviewlens eval` and the pipeline's `evaluate` step, so both score a model exactly as the server answers.
 */
export function analyzerUnderTest(analyzer: AnswersLikeTheServer): ModelUnderTest {
  const arr = (s: Record<(typeof SENTIMENTS)[number], number>) => SENTIMENTS.map((k) => s[k]);
  return {
    ref: analyzer.model,
    async analyze(text, image) {
      const a = await analyzer.analyze({ text, ...(image ? { image } : {}) });
      return {
        text: arr(a.evidence.text.scores),
        ...(a.evidence.image ? { image: arr(a.evidence.image.scores) } : {}),
        fused: arr(a.scores),
        ...(a.evidence.photo_damage?.damaged ? { damageOverride: true } : {}),
      };
    },
  };
}
