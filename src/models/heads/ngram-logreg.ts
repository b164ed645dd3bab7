import { seededRandom, shuffleInPlace } from '../../core/random.js';
import { ngrams, tokenize } from '../tokenize.js';
import { softmaxInPlace } from './calibration.js';

/** Serialized n-gram model: vocabulary and a weight row per class for each n-gram. */
export interface NgramModelJSON {
  kind: 'ngram-logreg';
  classes: number;
  vocab: string[];
  /** Row-major, vocab.length x classes. */
  weights: number[];
  bias: number[];
  temperature: number;
  /**
   * Negation back-off: a negated n-gram the model never learned (`neg_scratch`) takes the weights of the
   * plain n-gram (`scratch`) with the polarity classes swapped (negative <-> positive) and scaled by this
   * factor. Off (absent or 0) in older models.
   */
  negation_backoff?: number;
}

export interface NgramTrainOptions {
  minCount?: number;
  epochs?: number;
  learningRate?: number;
  l2?: number;
  classWeights?: number[];
  sampleWeights?: number[];
  seed?: number;
  maxVocab?: number;
  /** See NgramModelJSON.negation_backoff (3-class models only). */
  negationBackoff?: number;
}

export interface TokenContribution {
  token: string;
  /** How much this n-gram moved the predicted class's logit against the mean of the others. */
  weight: number;
}

/**
 * Multinomial logistic regression over binary unigram+bigram features, trained with sparse AdaGrad
 * and L2. Written here: no maintained JS library trains sparse text classifiers; this one is small,
 * fast (sparse dot products), and its weights explain a prediction word by word.
 */
export class NgramLogReg {
  private readonly index: Map<string, number>;

  constructor(private readonly p: NgramModelJSON) {
    this.index = new Map(p.vocab.map((t, i) => [t, i]));
  }

  toJSON(): NgramModelJSON {
    return this.p;
  }

  private features(text: string): number[] {
    const ids: number[] = [];
    for (const g of ngrams(tokenize(text))) {
      const i = this.index.get(g);
      if (i !== undefined) ids.push(i);
    }
    return ids;
  }

  logits(text: string): Float64Array {
    const k = this.p.classes;
    const z = Float64Array.from(this.p.bias);
    const back = this.p.negation_backoff ?? 0;
    for (const g of ngrams(tokenize(text))) {
      const i = this.index.get(g);
      if (i !== undefined) {
        for (let c = 0; c < k; c++) z[c] = (z[c] as number) + (this.p.weights[i * k + c] as number);
        continue;
      }
      if (back <= 0 || k !== 3 || !g.includes('neg_')) continue;
      const j = this.index.get(g.replace(/\bneg_/g, ''));
      if (j === undefined) continue;
      // Negative and positive swap; neutral keeps its weight.
      z[0] = (z[0] as number) + back * (this.p.weights[j * 3 + 2] as number);
      z[1] = (z[1] as number) + back * (this.p.weights[j * 3 + 1] as number);
      z[2] = (z[2] as number) + back * (this.p.weights[j * 3] as number);
    }
    return z;
  }

  predict(text: string, temperature = this.p.temperature): Float64Array {
    const z = this.logits(text);
    for (let c = 0; c < z.length; c++) z[c] = (z[c] as number) / temperature;
    return softmaxInPlace(z);
  }

  /**
   * Log-odds of class 1 against class 0 at temperature 1, log p1 - log p0 with each probability floored at
   * 1e-9 (so at most about +-20.7): the margin a Platt scaling reads (binary models such as the sarcasm model).
   */
  logOdds(text: string): number {
    const p = this.predict(text, 1);
    return Math.log(Math.max(1e-9, p[1] as number)) - Math.log(Math.max(1e-9, p[0] as number));
  }

  /** The n-grams that pushed hardest toward `cls` (positive weight) and against it (negative). */
  contributions(text: string, cls: number, top = 5): { for: TokenContribution[]; against: TokenContribution[] } {
    const k = this.p.classes;
    const rows = this.features(text).map((i) => {
      let others = 0;
      for (let c = 0; c < k; c++) if (c !== cls) others += this.p.weights[i * k + c] as number;
      const w = (this.p.weights[i * k + cls] as number) - others / (k - 1);
      return { token: (this.p.vocab[i] as string).replace(/\bneg_/g, 'not '), weight: Math.round(w * 1000) / 1000 };
    });
    rows.sort((a, b) => b.weight - a.weight);
    return {
      for: rows.filter((r) => r.weight > 0).slice(0, top),
      against: rows
        .filter((r) => r.weight < 0)
        .reverse()
        .slice(0, top),
    };
  }

  static train(texts: string[], y: number[], classes: number, opts: NgramTrainOptions = {}): NgramLogReg {
    const minCount = opts.minCount ?? 2;
    const epochs = opts.epochs ?? 8;
    const lr = opts.learningRate ?? 0.2;
    const l2 = opts.l2 ?? 1e-5;
    const rand = seededRandom(opts.seed ?? 42);
    const docs = texts.map((t) => ngrams(tokenize(t)));
    const counts = new Map<string, number>();
    for (const d of docs) for (const g of d) counts.set(g, (counts.get(g) ?? 0) + 1);
    let vocab = [...counts.entries()].filter(([, c]) => c >= minCount);
    vocab.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    if (opts.maxVocab) vocab = vocab.slice(0, opts.maxVocab);
    const index = new Map(vocab.map(([t], i) => [t, i]));
    const X = docs.map((d) => d.map((g) => index.get(g)).filter((i): i is number => i !== undefined));
    const k = classes;
    const W = new Float64Array(vocab.length * k);
    const G = new Float64Array(vocab.length * k).fill(1e-8);
    const B = new Float64Array(k);
    const GB = new Float64Array(k).fill(1e-8);
    const n = texts.length;
    const cc = new Array<number>(k).fill(0);
    for (const c of y) cc[c] = (cc[c] as number) + 1;
    const cw = opts.classWeights ?? cc.map((c) => (c ? n / (k * c) : 0));
    const order = Array.from({ length: n }, (_, i) => i);
    const z = new Float64Array(k);
    for (let epoch = 0; epoch < epochs; epoch++) {
      shuffleInPlace(order, rand);
      for (const i of order) {
        const xi = X[i] as number[];
        const yi = y[i] as number;
        const w = (cw[yi] as number) * (opts.sampleWeights?.[i] ?? 1);
        for (let c = 0; c < k; c++) {
          let s = B[c] as number;
          for (const f of xi) s += W[f * k + c] as number;
          z[c] = s;
        }
        softmaxInPlace(z);
        for (let c = 0; c < k; c++) {
          const g = w * ((z[c] as number) - (c === yi ? 1 : 0));
          GB[c] = (GB[c] as number) + g * g;
          B[c] = (B[c] as number) - (lr * g) / Math.sqrt(GB[c] as number);
          for (const f of xi) {
            const q = f * k + c;
            const gq = g + l2 * (W[q] as number);
            G[q] = (G[q] as number) + gq * gq;
            W[q] = (W[q] as number) - (lr * gq) / Math.sqrt(G[q] as number);
          }
        }
      }
    }
    const r = (x: number) => Number(x.toPrecision(5));
    return new NgramLogReg({
      kind: 'ngram-logreg',
      classes: k,
      vocab: vocab.map(([t]) => t),
      weights: Array.from(W, r),
      bias: Array.from(B, r),
      temperature: 1,
      ...(opts.negationBackoff ? { negation_backoff: opts.negationBackoff } : {}),
    });
  }
}
