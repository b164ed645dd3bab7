import type { ClassScores, ModelRef, Sentiment } from '../core/types.js';
import type { SentimentJudge } from './types.js';

/** What `analyzerJudge` needs of the production classifier: src/sentiment's Analyzer has this shape. */
export interface TextAnalyzer {
  readonly model: ModelRef;
  analyze(input: { text: string }): Promise<{ sentiment: Sentiment; confidence: number; scores: ClassScores }>;
}

/**
 * The production classifier as a SentimentJudge: each text analysed as the server analyses it (text only), answering
 * its label, that label's probability and all class probabilities (the recombine polarity gate reads those); the
 * judge's `model` is `name@version`. Errors of `analyze` (e.g. an empty text) propagate.
 */
export function analyzerJudge(analyzer: TextAnalyzer): SentimentJudge {
  return {
    model: `${analyzer.model.name}@${analyzer.model.version}`,
    async judge(text) {
      const a = await analyzer.analyze({ text });
      return { label: a.sentiment, confidence: a.confidence, scores: a.scores };
    },
  };
}
