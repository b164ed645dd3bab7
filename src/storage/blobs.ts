import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { sha256 } from '../core/ids.js';

/** Port: a content-addressed blob store. Ids are the sha256 of the bytes, so equal content is stored once. */
export interface BlobStore {
  put(bytes: Uint8Array): Promise<string>;
  get(id: string): Promise<Buffer>;
  has(id: string): Promise<boolean>;
  delete(id: string): Promise<void>;
  status(): Promise<{ backend: string; ok: boolean; error?: string }>;
}

const ID_RE = /^[0-9a-f]{64}$/;

function checkId(id: string): void {
  if (!ID_RE.test(id)) throw new ValidationError(`not a blob id (64 hex characters): ${id.slice(0, 80)}`, 'id');
}

/**
 * Embedded adapter: files under `<dir>/<id[0..2]>/<id>`. Writes go to a temporary file that is
 * renamed into place, so a crash never leaves a half-written blob under a valid id.
 */
export class LocalBlobStore implements BlobStore {
  constructor(readonly dir: string) {}

  private pathOf(id: string): string {
    return join(this.dir, id.slice(0, 2), id);
  }

  async put(bytes: Uint8Array): Promise<string> {
    const id = sha256(bytes);
    const path = this.pathOf(id);
    if (await this.has(id)) return id;
    await mkdir(join(this.dir, id.slice(0, 2)), { recursive: true });
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return id;
  }

  async get(id: string): Promise<Buffer> {
    checkId(id);
    try {
      return await readFile(this.pathOf(id));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`blob ${id} not found`);
      throw e;
    }
  }

  async has(id: string): Promise<boolean> {
    checkId(id);
    try {
      await stat(this.pathOf(id));
      return true;
    } catch {
      return false;
    }
  }

  async delete(id: string): Promise<void> {
    checkId(id);
    await rm(this.pathOf(id), { force: true });
  }

  async status(): Promise<{ backend: string; ok: boolean; error?: string }> {
    try {
      await mkdir(this.dir, { recursive: true });
      return { backend: 'local', ok: true };
    } catch (e) {
      return { backend: 'local', ok: false, error: (e as Error).message };
    }
  }
}
