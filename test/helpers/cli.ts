import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MODELS_DIR, ROOT, tempDir } from './paths.js';

const run = promisify(execFile);
export const BIN = join(ROOT, 'bin', 'reviewlens.js');

/** Runs `reviewlens ARGS` with its data directory (embedded PGlite in `<dataDir>/db`) set to `dataDir`. */
export async function cli(
  dataDir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      cwd: tempDir(),
      env: {
        ...process.env,
        REVIEWLENS_MODELS_DIR: MODELS_DIR,
        REVIEWLENS_DATA_DIR: dataDir,
        DATABASE_URL: '',
        REVIEWLENS_DATABASE_URL: '',
        REVIEWLENS_CONFIG: '',
        ...env,
      },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}
