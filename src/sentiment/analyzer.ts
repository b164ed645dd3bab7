import { PayloadTooLargeError, ValidationError } from '../core/errors.js';
import {
  type AnalysisResult,
  type AnalyzeInput,
  argmaxSentiment,
  type ClassScores,
  type ModalityEvidence,
  type ModelRef,
  scoresFromArray,
} from '../core/types.js';
import { type LoadedHeads, loadHeads, type ModelArtifact } from '../models/artifact.js';
import { decodeImage, type ImageLimits } from '../models/image-input.js';
import type { Encoders } from '../models/index.js';

export interface AnalyzerLimits extends ImageLimits {
  maxTextChars: number;
}

export type Analysis = Omit<AnalysisResult, 'similar_reviews' | 'processing_time_ms' | 'cached'>;

/** What every analyzer backend offers: the local trained model, or a vision-language model behind an API. */
export interface SentimentAnalyzer {
  readonly model: ModelRef;
  analyze(input: AnalyzeInput): Promise<Analysis>;
}

function evidence(p: ArrayLike<number>): ModalityEvidence {
  const scores: ClassScores = scoresFromArray(p);
  return { sentiment: argmaxSentiment(scores), scores };
}

/** Checks the text field: present, not blank, within the configured length. */
export function checkText(text: unknown, maxChars: number): string {
  if (typeof text !== 'string') throw new ValidationError('text is required and must be a string', 'text');
  if (text.trim() === '') throw new ValidationError('text must not be empty or whitespace', 'text');
  if (text.length > maxChars) {
    throw new PayloadTooLargeError(`text is ${text.length} characters; the limit is ${maxChars}`, 'text');
  }
  return text;
}

/**
 * The analyzer: text (and a photo, when given) -> sentiment, calibrated class probabilities and
 * per-modality evidence, from one trained model artifact and its encoders.
 */
export class Analyzer implements SentimentAnalyzer {
  private readonly heads: LoadedHeads;

  constructor(
    readonly artifact: ModelArtifact,
    private readonly encoders: Encoders,
    private readonly limits: AnalyzerLimits,
    private readonly useImage = true,
  ) {
    if (encoders.text.id !== artifact.encoders.text || encoders.image.id !== artifact.encoders.image) {
      throw new Error(
        `model ${artifact.name}@${artifact.version} needs encoders ${artifact.encoders.text} + ${artifact.encoders.image}`,
      );
    }
    this.heads = loadHeads(artifact);
  }

  get model(): ModelRef {
    return { name: this.artifact.name, version: this.artifact.version };
  }

  async analyze(input: AnalyzeInput): Promise<Analysis> {
    const text = checkText(input.text, this.limits.maxTextChars);
    const withImage = this.useImage && input.image !== undefined;
    // Validate and decode the photo before any model work, so bad input fails fast.
    const decoded = withImage
      ? await decodeImage(
          input.image as Uint8Array,
          this.encoders.image.inputSize,
          this.limits,
          input.imageField ?? 'image',
        )
      : undefined;
    const [enc] = await this.encoders.text.encodeWithInfo([text]);
    if (!enc) throw new Error('text encoder returned nothing');
    const textEv = evidence(this.heads.text.predict(enc.vector));
    if (!decoded) {
      return {
        sentiment: textEv.sentiment,
        confidence: textEv.scores[textEv.sentiment],
        modality: 'text_only',
        scores: textEv.scores,
        model: this.model,
        evidence: { text: textEv, fused: textEv, text_chunks: enc.chunks },
      };
    }
    const [img] = await this.encoders.image.encode([decoded]);
    if (!img) throw new Error('image encoder returned nothing');
    const imageEv = evidence(this.heads.image.predict(img));
    const both = new Float32Array(enc.vector.length + img.length);
    both.set(enc.vector);
    both.set(img, enc.vector.length);
    const fusedEv = evidence(this.heads.fused.predict(both));
    return {
      sentiment: fusedEv.sentiment,
      confidence: fusedEv.scores[fusedEv.sentiment],
      modality: 'multimodal',
      scores: fusedEv.scores,
      model: this.model,
      evidence: { text: textEv, image: imageEv, fused: fusedEv, text_chunks: enc.chunks },
    };
  }
}
