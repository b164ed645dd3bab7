import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR, MVSA_IMAGES, ROOT, tempDir } from '../helpers/paths.js';

const run = promisify(execFile);
const BIN = join(ROOT, 'bin', 'reviewlens.js');

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      cwd: tempDir(),
      env: { ...process.env, REVIEWLENS_MODELS_DIR: MODELS_DIR, DATABASE_URL: 'memory://', ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe('reviewlens CLI', () => {
  it('analyze --json prints the same contract as the API', async () => {
    const r = await cli([
      'analyze',
      '--text',
      'The screen cracked after two days',
      '--image',
      join(MVSA_IMAGES, '100.jpg'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ modality: 'multimodal', cached: false, similar_reviews: [] });
    expect(['positive', 'negative', 'neutral']).toContain(out.sentiment);
    expect(out.model.name).toBe('reviewlens-fusion');
  });

  it('analyze prints a readable result by default', async () => {
    const r = await cli(['analyze', '--text', 'I love this phone, the battery lasts for days']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^sentiment\s+positive \(confidence \d+\.\d%, text_only\)/);
    expect(r.stdout).toContain('model       reviewlens-fusion@');
  });

  it('analyze refuses empty text and a missing photo with a clear message and exit code 1', async () => {
    const empty = await cli(['analyze', '--text', '  ']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('text must not be empty');
    const missing = await cli(['analyze', '--text', 'hi', '--image', '/nonexistent/photo.jpg']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read --image /nonexistent/photo.jpg');
  });

  it('config prints the effective config with secrets masked; a bad value stops with its name', async () => {
    const ok = await cli(['config'], {
      DATABASE_URL: 'postgres://u:topsecret@127.0.0.1:5432/db',
      REVIEWLENS_PORT: '9123',
    });
    expect(ok.code).toBe(0);
    const cfg = JSON.parse(ok.stdout);
    expect(cfg.server.port).toBe(9123);
    expect(ok.stdout).not.toContain('topsecret');
    const bad = await cli(['config'], { REVIEWLENS_THREADS: 'many' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/models\.threads.*REVIEWLENS_THREADS/);
  });

  it('models assets lists the verified assets; --help describes every command', async () => {
    const r = await cli(['models', 'assets']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok\s+all-MiniLM-L6-v2/);
    expect(r.stdout).toMatch(/ok\s+mobilenet_v2-nsfwjs/);
    const help = await cli(['--help']);
    for (const c of ['start', 'analyze', 'config', 'models', 'train', 'export']) expect(help.stdout).toContain(c);
    const broken = await cli(['models', 'assets'], { REVIEWLENS_MODELS_DIR: tempDir() });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/missing\s+all-MiniLM-L6-v2/);
  });
});
