import { z } from 'zod';
import { NgramLogReg, type NgramModelJSON, type TokenContribution } from './heads/ngram-logreg.js';
import { SoftmaxHead, type SoftmaxHeadJSON } from './heads/softmax.js';
import { lexiconFeatures } from './lexicon.js';

/**
 * The multimodal sentiment model: stacked generalisation. Base models each give class probabilities —
 * general text models (MiniLM head, word n-grams, lexicons) trained on a broad review/tweet corpus, an
 * in-domain text head, and a photo head. A text-only review is answered by the mean of the general
 * text models (reviews in general, not one data set's tweets); with a photo, a small meta head over
 * all of them answers. The trainer and the analyzer build the meta features with the same functions.
 */
export interface FusionComponents {
  general_text: SoftmaxHeadJSON;
  ngram: NgramModelJSON;
  lexicon: SoftmaxHeadJSON;
  domain_text: SoftmaxHeadJSON;
  image: SoftmaxHeadJSON;
  fused_meta: SoftmaxHeadJSON;
  /** Temperature of the text answer (the mean of the general text models), fitted on held-out text. */
  text_temperature: number;
  sarcasm?: NgramModelJSON;
}

export interface TextParts {
  general: Float64Array;
  ngram: Float64Array;
  lexicon: Float64Array;
  lexiconRaw: Float32Array;
  domain: Float64Array;
}

const EPS = 1e-4;
const logs = (p: ArrayLike<number>) => Array.from(p, (v) => Math.log(Math.max(EPS, v)));

/** Meta features of the text: log-probabilities of each text base model and the raw lexicon scores. */
export function textMetaFeatures(t: TextParts): Float32Array {
  return Float32Array.from([
    ...logs(t.general),
    ...logs(t.ngram),
    ...logs(t.lexicon),
    ...t.lexiconRaw,
    ...logs(t.domain),
  ]);
}

/** Meta features of text and photo: the text's, then the photo head's log-probabilities. */
export function fusedMetaFeatures(t: TextParts, image: ArrayLike<number>): Float32Array {
  const a = textMetaFeatures(t);
  const out = new Float32Array(a.length + 3);
  out.set(a);
  out.set(logs(image), a.length);
  return out;
}

/**
 * Mean of the general text models, sharpened or softened by a temperature (p^(1/T), renormalised):
 * the text score that does not depend on the in-domain data.
 */
export function generalMean(t: TextParts, temperature = 1): Float64Array {
  const out = new Float64Array(3);
  let sum = 0;
  for (let c = 0; c < 3; c++) {
    const m = ((t.general[c] as number) + (t.ngram[c] as number) + (t.lexicon[c] as number)) / 3;
    out[c] = m ** (1 / temperature);
    sum += out[c] as number;
  }
  for (let c = 0; c < 3; c++) out[c] = (out[c] as number) / sum;
  return out;
}

const anyJson = z.custom<SoftmaxHeadJSON>(
  (v) => typeof v === 'object' && v !== null && (v as { kind?: string }).kind === 'softmax',
);
const ngramJson = z.custom<NgramModelJSON>(
  (v) => typeof v === 'object' && v !== null && (v as { kind?: string }).kind === 'ngram-logreg',
);
export const fusionComponentsSchema = z.object({
  general_text: anyJson,
  ngram: ngramJson,
  lexicon: anyJson,
  domain_text: anyJson,
  image: anyJson,
  fused_meta: anyJson,
  text_temperature: z.number().positive(),
  sarcasm: ngramJson.optional(),
});

export interface FusionOutput {
  text: Float64Array;
  image?: Float64Array;
  fused: Float64Array;
  parts: TextParts;
}

export class FusionModel {
  readonly general: SoftmaxHead;
  readonly ngram: NgramLogReg;
  readonly lexicon: SoftmaxHead;
  readonly domain: SoftmaxHead;
  readonly image: SoftmaxHead;
  readonly fusedMeta: SoftmaxHead;
  readonly textTemperature: number;
  readonly sarcasm: NgramLogReg | undefined;

  constructor(c: FusionComponents) {
    this.general = new SoftmaxHead(c.general_text);
    this.ngram = new NgramLogReg(c.ngram);
    this.lexicon = new SoftmaxHead(c.lexicon);
    this.domain = new SoftmaxHead(c.domain_text);
    this.image = new SoftmaxHead(c.image);
    this.textTemperature = c.text_temperature;
    this.fusedMeta = new SoftmaxHead(c.fused_meta);
    this.sarcasm = c.sarcasm ? new NgramLogReg(c.sarcasm) : undefined;
  }

  textParts(text: string, embedding: Float32Array): TextParts {
    const lexiconRaw = lexiconFeatures(text);
    return {
      general: this.general.predict(embedding),
      ngram: this.ngram.predict(text),
      lexicon: this.lexicon.predict(lexiconRaw),
      lexiconRaw,
      domain: this.domain.predict(embedding),
    };
  }

  predict(text: string, embedding: Float32Array, imageFeatures?: Float32Array): FusionOutput {
    const parts = this.textParts(text, embedding);
    const textP = generalMean(parts, this.textTemperature);
    if (!imageFeatures) return { text: textP, fused: textP, parts };
    const imageP = this.image.predict(imageFeatures);
    return { text: textP, image: imageP, fused: this.fusedMeta.predict(fusedMetaFeatures(parts, imageP)), parts };
  }

  /** The words and word pairs that pushed the text toward (and against) a class, from the n-gram model. */
  topWords(text: string, cls: number, top = 5): { for: TokenContribution[]; against: TokenContribution[] } {
    return this.ngram.contributions(text, cls, top);
  }

  /** Probability that the text is sarcastic, when the model has a sarcasm component. */
  sarcasmProbability(text: string): number | undefined {
    return this.sarcasm ? (this.sarcasm.predict(text)[1] as number) : undefined;
  }
}
