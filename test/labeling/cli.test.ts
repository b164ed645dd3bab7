import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR, MVSA_IMAGES, ROOT, SHARED, tempDir } from '../helpers/paths.js';

const run = promisify(execFile);
const BIN = join(ROOT, 'bin', 'reviewlens.js');
const dataDir = tempDir();
// Everything queued (review threshold 0, accept above 1) so the queue commands have work.
const ENV = { REVIEWLENS_DATA_DIR: dataDir, REVIEWLENS_LABEL_ACCEPT: '0.999', REVIEWLENS_LABEL_REVIEW: '0' };

async function cli(args: string[]) {
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, REVIEWLENS_MODELS_DIR: MODELS_DIR, ...ENV },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** Whether the bundled model ships a labeling calibration (then `label run` has one without `label calibrate`). */
const shipsCalibration = () =>
  'labeling' in (JSON.parse(readFileSync(join(ROOT, 'artifacts', 'reviewlens-fusion.json'), 'utf8')) as object);

const mvsa = (file: string, n: number) =>
  readFileSync(join(SHARED, 'mvsa-single', file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, n);

describe('reviewlens label', () => {
  it('imports real tweets with photos, labels them, and works the queue from the terminal', async () => {
    const pool = join(tempDir(), 'pool.jsonl');
    writeFileSync(pool, mvsa('unlabeled.jsonl', 8).join('\n'));
    const imp = await cli(['label', 'import', '--data', pool, '--images', MVSA_IMAGES, '--run']);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stdout).toContain('8 new reviews (8 with a photo)');
    expect(imp.stdout).toContain('8 reviews: 0 auto-labelled (>= 0.999), 8 to the review queue, 0 discarded');
    if (shipsCalibration()) expect(imp.stderr).not.toContain('no labeling calibration');
    else expect(imp.stderr).toContain('no labeling calibration');

    const q = await cli(['label', 'queue', '--json']);
    const list = JSON.parse(q.stdout);
    expect(list.counts).toEqual({ pending: 8, labelled: 0, skipped: 0, discarded: 0 });

    const next = JSON.parse((await cli(['label', 'next', '--as', 'ann', '--json'])).stdout);
    expect(next.item.id).toBe(list.items[0].id);
    expect(next.item.assignee).toBe('ann');

    const bad = await cli(['label', 'submit', String(next.item.id), '--as', 'ann', '--action', 'correct']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('label is required when action is correct');
    const ok = await cli([
      'label',
      'submit',
      String(next.item.id),
      '--as',
      'ann',
      '--action',
      'correct',
      '--label',
      'neutral',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('labelled neutral by ann');
    const stats = JSON.parse((await cli(['label', 'queue', '--stats', '--json'])).stdout);
    expect(stats.by_labeller).toEqual([{ labeller: 'ann', labelled: 1, skipped: 0 }]);
    const again = await cli(['label', 'run']);
    expect(again.stdout).toContain('0 reviews:');
  }, 180_000);

  it('calibrate reports the reliability table, ECE and proposed thresholds with their coverage', async () => {
    const file = join(tempDir(), 'labelled.jsonl');
    const rows = mvsa('labeled.jsonl', 2000)
      .slice(-80)
      .map((l) => {
        const r = JSON.parse(l) as { text: string; image: string; label: string };
        return JSON.stringify({
          text: r.text,
          image: join(MVSA_IMAGES, r.image.split('/').pop() as string),
          label: r.label,
        });
      });
    writeFileSync(file, rows.join('\n'));
    const r = await cli(['label', 'calibrate', '--data', file, '--target-precision', '0.8']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/80 labelled reviews; ensemble accuracy 0\.\d+/);
    expect(r.stdout).toMatch(/ECE \(held out, 2-fold cross-fitted\): uncalibrated 0\.\d+, calibrated 0\.\d+/);
    expect(r.stdout).toContain('confidence  n raw');
    expect(r.stdout).toMatch(/proposed for precision 0\.8: accept >= [\d.]+, review >= [\d.]+ -> coverage [\d.]+%/);
    expect(r.stdout).toContain('calibration written to');
    const cal = JSON.parse(readFileSync(join(dataDir, 'labeling', 'calibration.json'), 'utf8'));
    expect(cal).toMatchObject({ method: 'temperature+isotonic', labelers: ['classifier', 'lexicon'] });
    expect(cal.fittedOn.n).toBe(80);
  }, 180_000);

  it('noise lists likely wrong labels, and refuses a file too small to judge', async () => {
    const file = join(tempDir(), 'labelled.jsonl');
    writeFileSync(file, mvsa('labeled.jsonl', 300).join('\n'));
    const r = await cli(['label', 'noise', '--data', file, '--top', '5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\d+ of 300 labels \([\d.]+%\) look wrong; per-class thresholds negative/);
    const small = join(tempDir(), 'small.jsonl');
    writeFileSync(small, mvsa('labeled.jsonl', 10).join('\n'));
    const s = await cli(['label', 'noise', '--data', small]);
    expect(s.code).not.toBe(0);
    expect(s.stderr).toContain('at least 30 labelled rows');
  }, 120_000);
});
