import { performance } from 'node:perf_hooks';
import { PayloadTooLargeError, ValidationError } from '../core/errors.js';
import {
  type AnalysisResult,
  type AnalyzeInput,
  argmaxSentiment,
  type ClassScores,
  type ModalityEvidence,
  type ModelRef,
  SENTIMENTS,
  scoresFromArray,
} from '../core/types.js';
import type { ModelArtifact } from '../models/artifact.js';
import { FusionModel } from '../models/fusion.js';
import { decodeImage, type ImageLimits } from '../models/image-input.js';
import type { Encoders } from '../models/index.js';
import { contrastTail } from '../models/review-text.js';

export interface AnalyzerLimits extends ImageLimits {
  maxTextChars: number;
}

/** The encoders' vectors of the analyzed text and photo, kept so a similar-review search need not encode again. */
export interface AnalysisVectors {
  text: Float32Array;
  image?: Float32Array;
}

export type Analysis = Omit<AnalysisResult, 'similar_reviews' | 'processing_time_ms' | 'cached'> & {
  /** Internal: never part of an answer (the service strips it). */
  vectors?: AnalysisVectors;
};

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
 * The analyzer: text (and a photo, when given) -> sentiment, calibrated class probabilities,
 * per-modality evidence, the words behind the text score, a text/photo mismatch flag and a sarcasm
 * score, from one trained model artifact and its encoders.
 */
export class Analyzer implements SentimentAnalyzer {
  private readonly fusion: FusionModel;

  constructor(
    readonly artifact: ModelArtifact,
    private readonly encoders: Encoders,
    private readonly limits: AnalyzerLimits,
    private readonly useImage = true,
    /** Told how long each stage took (text_encoder, image_encoder, classifier), in seconds. */
    private readonly observe: (stage: string, seconds: number) => void = () => {},
  ) {
    if (encoders.text.id !== artifact.encoders.text || encoders.image.id !== artifact.encoders.image) {
      throw new Error(
        `model ${artifact.name}@${artifact.version} needs encoders ${artifact.encoders.text} + ${artifact.encoders.image}`,
      );
    }
    this.fusion = new FusionModel(artifact.components, encoders.words ? { words: encoders.words } : {});
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
    let t = performance.now();
    const lap = (stage: string) => {
      const now = performance.now();
      this.observe(stage, (now - t) / 1000);
      t = now;
    };
    const [enc] = await this.encoders.text.encodeWithInfo([text]);
    if (!enc) throw new Error('text encoder returned nothing');
    lap('text_encoder');
    const img = decoded ? (await this.encoders.image.encodeWithInfo([decoded]))[0] : undefined;
    if (decoded && !img) throw new Error('image encoder returned nothing');
    if (decoded) lap('image_encoder');
    const s = this.fusion.predict(text, enc.vector, img);
    const textEv = evidence(s.text);
    const imageEv = s.image ? evidence(s.image) : undefined;
    const fusedEv = evidence(s.fused);
    const out: Analysis = {
      sentiment: fusedEv.sentiment,
      confidence: fusedEv.scores[fusedEv.sentiment],
      modality: decoded ? 'multimodal' : 'text_only',
      scores: fusedEv.scores,
      model: this.model,
      evidence: { text: textEv, ...(imageEv ? { image: imageEv } : {}), fused: fusedEv, text_chunks: enc.chunks },
      mismatch: false,
      vectors: { text: enc.vector, ...(img ? { image: img.vector } : {}) },
    };
    const { mismatch, sarcasm } = this.artifact.thresholds;
    // The words behind the text's own reading when the photo overruled it (they did not decide the answer).
    const wordsFor = s.damageOverride ? textEv.sentiment : fusedEv.sentiment;
    out.evidence.top_words = this.fusion.topWords(text, SENTIMENTS.indexOf(wordsFor));
    if (imageEv) {
      const reason = mismatchReason(textEv.scores, imageEv.scores, mismatch);
      if (reason) {
        out.mismatch = true;
        out.mismatch_reason = reason;
      }
    }
    const p = s.parts.sarcasm;
    if (p !== undefined) out.sarcasm = { probability: p, flag: p >= sarcasm };
    const reasons: string[] = [];
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    if (s.damage !== undefined && this.fusion.damage) {
      out.evidence.photo_damage = {
        probability: round4(s.damage),
        damaged: s.damageOverride === true,
        threshold: this.fusion.damage.threshold,
      };
      if (s.damageOverride) {
        reasons.push(`the photo shows a damaged product (${pct(s.damage)}), which overrules the text`);
        if (textEv.sentiment === 'positive' && !out.mismatch) {
          out.mismatch = true;
          out.mismatch_reason = `the text reads positive (${pct(textEv.scores.positive)}) but the photo shows a damaged product (${pct(s.damage)})`;
        }
      }
    }
    const rating = s.statedRating;
    if (rating) {
      out.evidence.stated_rating = { stars: Math.round(rating.value * 50) / 10, phrase: rating.phrase };
      reasons.push(`the reviewer states a rating: "${rating.phrase}", which the answer follows`);
    }
    if (s.negatedComplaint) {
      reasons.push(
        `the review negates a complaint: "${s.negatedComplaint.slice(0, 80)}", which counts toward positive`,
      );
    }
    const tail = contrastTail(text);
    if (tail) {
      out.evidence.contrast_clause = tail.slice(0, 300);
      reasons.push(`after the contrast, the review says: "${tail.slice(0, 120)}"`);
    }
    if (out.sarcasm?.flag) reasons.push(`the text reads as sarcastic (${pct(out.sarcasm.probability)})`);
    if (reasons.length) out.evidence.reasons = reasons;
    lap('classifier');
    return out;
  }
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** Says why text and photo disagree when one is confidently positive and the other confidently negative. */
export function mismatchReason(text: ClassScores, image: ClassScores, threshold: number): string | undefined {
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  if (text.positive >= threshold && image.negative >= threshold) {
    return `the text reads positive (${pct(text.positive)}) but the photo looks negative (${pct(image.negative)})`;
  }
  if (text.negative >= threshold && image.positive >= threshold) {
    return `the text reads negative (${pct(text.negative)}) but the photo looks positive (${pct(image.positive)})`;
  }
  return undefined;
}
