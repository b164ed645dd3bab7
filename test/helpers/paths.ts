import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Repository root (tests run from it). */
export const ROOT = resolve(import.meta.dirname, '..', '..');
/** The real, read-only data sets beside the repository. */
export const SHARED = resolve(process.env.REVIEWLENS_SHARED_DATA ?? join(ROOT, '..', 'shared', 'data'));
export const MVSA_IMAGES = join(SHARED, 'mvsa-single', 'images');
/** The models directory that `npm ci` (postinstall: `reviewlens models fetch`) fills. */
export const MODELS_DIR = resolve(process.env.REVIEWLENS_MODELS_DIR ?? join(ROOT, '.reviewlens', 'models'));

export function tempDir(prefix = 'reviewlens-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
