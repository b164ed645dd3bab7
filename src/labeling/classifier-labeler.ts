import type { SentimentAnalyzer } from '../sentiment/index.js';
import type { ShippedLabeling } from './shipped.js';
import type { Labeler, LabelerOutput, LabelInput } from './types.js';

/**
 * The production classifier as a labeler: the multimodal model (text + photo) the registry calls
 * `production`, through the same analyzer the API serves. Its scores are temperature-calibrated already.
 * `shipped` is the model artifact's `labeling` block (calibration and thresholds fitted at train time for the
 * classifier + lexicon ensemble), when it has one; `buildEnsemble` reads it.
 */
export class ClassifierLabeler implements Labeler {
  readonly name = 'classifier';

  constructor(
    private readonly analyzer: SentimentAnalyzer,
    readonly shipped?: ShippedLabeling,
  ) {}

  async label(input: LabelInput): Promise<LabelerOutput> {
    let a: Awaited<ReturnType<SentimentAnalyzer['analyze']>>;
    try {
      a = await this.analyzer.analyze({
        text: input.text,
        ...(input.photo ? { image: input.photo, imageField: 'photo' } : {}),
      });
    } catch (e) {
      // A photo that cannot be decoded costs the vote its photo, not the vote.
      if (!input.photo) throw e;
      a = await this.analyzer.analyze({ text: input.text });
    }
    return {
      label: a.sentiment,
      confidence: a.confidence,
      probs: a.scores,
      ...(a.vectors?.text ? { embedding: a.vectors.text } : {}),
    };
  }
}
