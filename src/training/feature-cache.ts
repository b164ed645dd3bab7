import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../core/ids.js';

/**
 * A disk cache of feature vectors, keyed by (encoder id, sha256 of the input), so that re-running
 * training does not re-encode thousands of texts and photos. One binary file per encoder.
 */
export class FeatureCache {
  private readonly map = new Map<string, Float32Array>();
  private dirty = false;
  private readonly file: string;

  constructor(
    dir: string,
    encoderId: string,
    private readonly dim: number,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, `${encoderId}.bin`);
    if (existsSync(this.file)) this.load();
  }

  static key(input: string | Uint8Array): string {
    return sha256(input);
  }

  private load(): void {
    const buf = readFileSync(this.file);
    const n = buf.readUInt32LE(0);
    const rec = 32 + this.dim * 4;
    for (let i = 0; i < n; i++) {
      const off = 4 + i * rec;
      const key = buf.subarray(off, off + 32).toString('hex');
      const v = new Float32Array(this.dim);
      for (let d = 0; d < this.dim; d++) v[d] = buf.readFloatLE(off + 32 + d * 4);
      this.map.set(key, v);
    }
  }

  get(key: string): Float32Array | undefined {
    return this.map.get(key);
  }

  set(key: string, v: Float32Array): void {
    this.map.set(key, v);
    this.dirty = true;
  }

  save(): void {
    if (!this.dirty) return;
    const rec = 32 + this.dim * 4;
    const buf = Buffer.alloc(4 + this.map.size * rec);
    buf.writeUInt32LE(this.map.size, 0);
    let i = 0;
    for (const [k, v] of this.map) {
      const off = 4 + i * rec;
      Buffer.from(k, 'hex').copy(buf, off);
      for (let d = 0; d < this.dim; d++) buf.writeFloatLE(v[d] as number, off + 32 + d * 4);
      i++;
    }
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, buf);
    renameSync(tmp, this.file);
    this.dirty = false;
  }
}
