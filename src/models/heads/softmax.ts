import { seededRandom, shuffleInPlace } from '../../core/random.js';
import { fitTemperature, softmaxInPlace } from './calibration.js';

/** Serialized form of a trained softmax-regression head (stored inside a model artifact). */
export interface SoftmaxHeadJSON {
  kind: 'softmax';
  inputDim: number;
  classes: number;
  /** Per-feature standardisation fitted on the training data. */
  mean: number[];
  std: number[];
  /** Row-major, classes x inputDim. */
  weights: number[];
  bias: number[];
  /** Temperature fitted on held-out data (probabilities = softmax(logits / T)). */
  temperature: number;
  /**
   * Standardised features are clipped to [-clip, clip] (absent: not clipped). A feature that barely
   * varied in training (an emoji score in reviews that have almost no emoji) otherwise reaches z-scores of
   * 30 and more on an input that has it, and one weight learned from a handful of examples decides the answer.
   */
  clip?: number;
}

export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  l2?: number;
  /** Weight per class in the loss; default: balanced (n / (k * count)). */
  classWeights?: number[];
  seed?: number;
  /** Early stopping: validation set and how many epochs without improvement to wait. */
  validation?: { x: Float32Array[]; y: number[] };
  patience?: number;
  onEpoch?: (epoch: number, trainLoss: number, valLoss: number | null) => void;
  /** Clip standardised features to [-clip, clip] in training and prediction (SoftmaxHeadJSON.clip). */
  clip?: number;
}

/**
 * Multinomial logistic regression trained with mini-batch Adam, class-weighted cross-entropy, L2 and
 * early stopping. Written here rather than taken from a library: inference is one small matrix-vector
 * product per request (no runtime to load), and training over a few thousand embeddings takes seconds.
 */
export class SoftmaxHead {
  constructor(private readonly p: SoftmaxHeadJSON) {
    if (p.weights.length !== p.classes * p.inputDim) throw new Error('softmax head: weights do not match its shape');
  }

  get inputDim(): number {
    return this.p.inputDim;
  }

  toJSON(): SoftmaxHeadJSON {
    return this.p;
  }

  logits(x: ArrayLike<number>): Float64Array {
    const { inputDim: d, classes: k, mean, std, weights, bias, clip } = this.p;
    if (x.length !== d) throw new Error(`softmax head expects ${d} features, got ${x.length}`);
    const lim = clip ?? Number.POSITIVE_INFINITY;
    const z = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      let s = bias[c] as number;
      const off = c * d;
      for (let j = 0; j < d; j++) {
        const v = ((x[j] as number) - (mean[j] as number)) / (std[j] as number);
        s += (weights[off + j] as number) * Math.max(-lim, Math.min(lim, v));
      }
      z[c] = s;
    }
    return z;
  }

  /** Calibrated class probabilities. */
  predict(x: ArrayLike<number>, temperature = this.p.temperature): Float64Array {
    const z = this.logits(x);
    for (let c = 0; c < z.length; c++) z[c] = (z[c] as number) / temperature;
    softmaxInPlace(z);
    return z;
  }

  /** Fits the temperature on held-out data (see fitTemperature) and keeps it. */
  fitTemperature(x: Float32Array[], y: number[]): number {
    this.p.temperature = fitTemperature(
      x.map((v) => this.logits(v)),
      y,
    );
    return this.p.temperature;
  }

  static train(x: Float32Array[], y: number[], classes: number, opts: TrainOptions = {}): SoftmaxHead {
    const n = x.length;
    if (n === 0) throw new Error('softmax head: no training data');
    const d = (x[0] as Float32Array).length;
    const epochs = opts.epochs ?? 200;
    const batchSize = opts.batchSize ?? 64;
    const lr = opts.learningRate ?? 0.01;
    const l2 = opts.l2 ?? 1e-3;
    const patience = opts.patience ?? 10;
    const rand = seededRandom(opts.seed ?? 42);

    const mean = new Float64Array(d);
    const std = new Float64Array(d);
    for (const v of x) for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (v[j] as number) / n;
    for (const v of x)
      for (let j = 0; j < d; j++) std[j] = (std[j] as number) + ((v[j] as number) - (mean[j] as number)) ** 2 / n;
    for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j] as number) || 1;

    const counts = new Array<number>(classes).fill(0);
    for (const c of y) counts[c] = (counts[c] as number) + 1;
    const cw = opts.classWeights ?? counts.map((c) => (c ? n / (classes * c) : 0));

    const head = new SoftmaxHead({
      kind: 'softmax',
      inputDim: d,
      classes,
      mean: Array.from(mean),
      std: Array.from(std),
      weights: new Array<number>(classes * d).fill(0),
      bias: new Array<number>(classes).fill(0),
      temperature: 1,
      ...(opts.clip !== undefined ? { clip: opts.clip } : {}),
    });
    const W = head.p.weights;
    const B = head.p.bias;
    const mW = new Float64Array(W.length);
    const vW = new Float64Array(W.length);
    const mB = new Float64Array(classes);
    const vB = new Float64Array(classes);
    const b1 = 0.9;
    const b2 = 0.999;
    let step = 0;

    const cl = opts.clip ?? Number.POSITIVE_INFINITY;
    const zs = x.map((v) =>
      Float64Array.from(v, (val, j) => Math.max(-cl, Math.min(cl, (val - (mean[j] as number)) / (std[j] as number)))),
    );
    const idx = Array.from({ length: n }, (_, i) => i);
    const valLoss = (): number => {
      if (!opts.validation) return 0;
      let s = 0;
      opts.validation.x.forEach((v, i) => {
        const p = head.predict(v, 1);
        s -= Math.log(Math.max(1e-12, p[opts.validation?.y[i] as number] as number));
      });
      return s / opts.validation.x.length;
    };

    let bestLoss = Infinity;
    let bestW = W.slice();
    let bestB = B.slice();
    let sinceBest = 0;
    const gW = new Float64Array(W.length);
    const gB = new Float64Array(classes);
    const z = new Float64Array(classes);
    for (let epoch = 0; epoch < epochs; epoch++) {
      shuffleInPlace(idx, rand);
      let trainLoss = 0;
      for (let s = 0; s < n; s += batchSize) {
        const batch = idx.slice(s, s + batchSize);
        gW.fill(0);
        gB.fill(0);
        let wsum = 0;
        for (const i of batch) {
          const xi = zs[i] as Float64Array;
          const yi = y[i] as number;
          const w = cw[yi] as number;
          wsum += w;
          for (let c = 0; c < classes; c++) {
            let acc = B[c] as number;
            const off = c * d;
            for (let j = 0; j < d; j++) acc += (W[off + j] as number) * (xi[j] as number);
            z[c] = acc;
          }
          softmaxInPlace(z);
          trainLoss -= w * Math.log(Math.max(1e-12, z[yi] as number));
          for (let c = 0; c < classes; c++) {
            const g = w * ((z[c] as number) - (c === yi ? 1 : 0));
            if (g === 0) continue;
            gB[c] = (gB[c] as number) + g;
            const off = c * d;
            for (let j = 0; j < d; j++) gW[off + j] = (gW[off + j] as number) + g * (xi[j] as number);
          }
        }
        step++;
        const corr1 = 1 - b1 ** step;
        const corr2 = 1 - b2 ** step;
        for (let q = 0; q < W.length; q++) {
          const g = (gW[q] as number) / wsum + l2 * (W[q] as number);
          mW[q] = b1 * (mW[q] as number) + (1 - b1) * g;
          vW[q] = b2 * (vW[q] as number) + (1 - b2) * g * g;
          W[q] = (W[q] as number) - (lr * ((mW[q] as number) / corr1)) / (Math.sqrt((vW[q] as number) / corr2) + 1e-8);
        }
        for (let c = 0; c < classes; c++) {
          const g = (gB[c] as number) / wsum;
          mB[c] = b1 * (mB[c] as number) + (1 - b1) * g;
          vB[c] = b2 * (vB[c] as number) + (1 - b2) * g * g;
          B[c] = (B[c] as number) - (lr * ((mB[c] as number) / corr1)) / (Math.sqrt((vB[c] as number) / corr2) + 1e-8);
        }
      }
      const vl = opts.validation ? valLoss() : null;
      opts.onEpoch?.(epoch, trainLoss / n, vl);
      if (vl !== null) {
        if (vl < bestLoss - 1e-5) {
          bestLoss = vl;
          bestW = W.slice();
          bestB = B.slice();
          sinceBest = 0;
        } else if (++sinceBest >= patience) {
          break;
        }
      }
    }
    if (opts.validation) {
      head.p.weights = bestW;
      head.p.bias = bestB;
    }
    return head;
  }
}
