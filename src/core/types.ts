/** Domain types shared by every folder. */

export const SENTIMENTS = ['negative', 'neutral', 'positive'] as const;
export type Sentiment = (typeof SENTIMENTS)[number];

export type Modality = 'text_only' | 'multimodal';

/** A probability per class; the three sum to 1. */
export type ClassScores = Record<Sentiment, number>;

export interface ModelRef {
  name: string;
  version: string;
}

/** What the analyzer is asked: review text and, optionally, the photo's bytes. */
export interface AnalyzeInput {
  text: string;
  image?: Uint8Array | undefined;
  /** The request field the photo came in (`image` or `image_base64`), named in errors. */
  imageField?: string;
}

export interface ModalityEvidence {
  sentiment: Sentiment;
  scores: ClassScores;
}

export interface WordWeight {
  token: string;
  weight: number;
}

export interface SimilarReview {
  id: string;
  text: string;
  /** The fused (RRF) score of the similar-review search. */
  score: number;
  /** The review's stored label, when it has one. */
  sentiment?: Sentiment;
  product?: string;
  rating?: number;
  thumbnail_url?: string;
}

/** The analyzer's answer, in the seed system's contract plus `scores`, `model` and `evidence`. */
export interface AnalysisResult {
  sentiment: Sentiment;
  confidence: number;
  modality: Modality;
  scores: ClassScores;
  model: ModelRef;
  evidence: {
    text: ModalityEvidence;
    image?: ModalityEvidence;
    fused: ModalityEvidence;
    /** How many encoder windows the text was split into (long reviews are chunked, never cut). */
    text_chunks: number;
    /** The words and word pairs that pushed the text toward the answer, and against it. */
    top_words?: { for: WordWeight[]; against: WordWeight[] };
    /** The photo's damaged-product check: calibrated probability, and whether it overruled the text. */
    photo_damage?: { probability: number; damaged: boolean; threshold: number };
    /** A rating the reviewer states in words ("Five out of five", "2/5"), as stars out of 5. */
    stated_rating?: { stars: number; phrase: string };
    /** The clause a contrast marker puts in charge ("... but the seam ripped on day two"). */
    contrast_clause?: string;
    /** Why the answer is what it is, in words (e.g. "the photo shows a damaged product (93%)"). */
    reasons?: string[];
  };
  /** True when the text and the photo point opposite ways (e.g. "perfect!" under a shattered product). */
  mismatch: boolean;
  mismatch_reason?: string;
  /** Probability that the text is sarcastic, and whether it passes the model's threshold. */
  sarcasm?: { probability: number; flag: boolean };
  similar_reviews: SimilarReview[];
  /** What went wrong around the analysis without stopping it (e.g. the search index was unreachable). */
  warnings?: string[];
  processing_time_ms: number;
  cached: boolean;
}

export function argmaxSentiment(scores: ClassScores): Sentiment {
  let best: Sentiment = 'neutral';
  let bestP = -1;
  for (const s of SENTIMENTS) {
    if (scores[s] > bestP) {
      best = s;
      bestP = scores[s];
    }
  }
  return best;
}

export function scoresFromArray(p: ArrayLike<number>): ClassScores {
  return { negative: p[0] ?? 0, neutral: p[1] ?? 0, positive: p[2] ?? 0 };
}
