/** `reviewlens synth validate` end to end: the real CLI, real shared reviews, the real MiniLM encoder. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { SHARED, tempDir } from '../helpers/paths.js';

const ENV = { REVIEWLENS_SHARED_DATA: SHARED };

describe('reviewlens synth validate', () => {
  it('validates a synth file: progress on stderr, the report as JSON, saved as the last report with --save', {
    timeout: 600_000,
  }, async () => {
    const data = tempDir();
    const out = join(tempDir(), 'synth.jsonl');
    for (const s of ['positive', 'negative']) {
      const g = await cli(data, ['synth', '-n', '8', '-s', s, '-o', out, '--no-check', '--seed', '11'], ENV);
      expect(g.code, g.stderr).toBe(0);
    }
    const args = ['synth', 'validate', '--synthetic', out, '--folds', '4', '--seed', '2', '--top', '2'];
    const v = await cli(data, [...args, '--json', '--save'], ENV);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).toMatch(/synth validate: 16 synthetic reviews paired with as many real ones \(recombine 16\)/);
    expect(v.stderr).toMatch(/embedded 32\/32 texts \(all-MiniLM-L6-v2\)/);
    const report = JSON.parse(v.stdout);
    expect(report).toMatchObject({ kind: 'adversarial-validator', folds: 4, seed: 2, goal: 0.5 });
    const g = report.byGenerator.recombine;
    expect(g.pairs).toBe(16);
    expect(g.accuracy.estimate).toBeGreaterThanOrEqual(0);
    expect(g.accuracy.estimate).toBeLessThanOrEqual(1);
    expect(g.mostReal).toHaveLength(2);
    const saved = join(data, 'synthesis', 'validator-report.json');
    expect(existsSync(saved)).toBe(true);
    expect(JSON.parse(readFileSync(saved, 'utf8'))).toEqual(report);

    // Human-readable, style features only: same pairs, no encoder.
    const h = await cli(data, [...args, '--no-embedding'], ENV);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toMatch(/features: no embedding \+ 17 style features/);
    expect(h.stdout).toMatch(/recombine: 16 synthetic vs 16 real: accuracy \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]/);
    expect(h.stdout).toMatch(/most real \(P\(synthetic\) [\d.]+\): "/);
    expect(h.stderr).not.toMatch(/embedded/);
  });

  it('refuses a missing, empty, malformed or too small file with a clear error and saves nothing', {
    timeout: 300_000,
  }, async () => {
    const data = tempDir();
    const dir = tempDir();
    const run = (file: string, extra: string[] = []) =>
      cli(data, ['synth', 'validate', '--synthetic', file, '--save', '--no-embedding', ...extra], ENV);
    const missing = await run(join(dir, 'none.jsonl'));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/synthetic file .*none\.jsonl does not exist/);
    writeFileSync(join(dir, 'empty.jsonl'), '');
    expect((await run(join(dir, 'empty.jsonl'))).stderr).toMatch(/synthetic file .*empty\.jsonl is empty/);
    writeFileSync(join(dir, 'bad.jsonl'), '{"text": "A fine review of a dress."}\n{oops\n');
    expect((await run(join(dir, 'bad.jsonl'))).stderr).toMatch(/bad\.jsonl line 2 is not JSON/);
    writeFileSync(
      join(dir, 'two.jsonl'),
      '{"text": "A fine dress, it fits.", "sentiment": "positive", "generator": "llm"}\n{"text": "Too small, sent it back.", "sentiment": "negative", "generator": "llm"}\n',
    );
    const few = await run(join(dir, 'two.jsonl'));
    expect(few.code).not.toBe(0);
    expect(few.stderr).toMatch(
      /too few synthetic reviews: 5-fold cross-validation needs at least 5 of one generator \(have llm 2\)/,
    );
    const folds = await run(join(dir, 'two.jsonl'), ['--folds', '30']);
    expect(folds.stderr).toMatch(/--folds must be a whole number from 2 to 20/);
    expect(existsSync(join(data, 'synthesis', 'validator-report.json'))).toBe(false);
  });
});
