/** One interface for every encoder: a batch of inputs in, one vector per input out. */
export interface Encoder<I> {
  /** Asset name of the weights, recorded in every model artifact trained on this encoder's output. */
  readonly id: string;
  readonly dim: number;
  encode(inputs: readonly I[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}
