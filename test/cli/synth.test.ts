/** `reviewlens synth` end to end: the real CLI, the real shared reviews, the bundled production classifier as checker. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { SHARED, tempDir } from '../helpers/paths.js';

const ENV = { REVIEWLENS_SHARED_DATA: SHARED };

describe('reviewlens synth', () => {
  it('writes checked, deduplicated synthetic reviews with their recipe and seed, appends on a second run, reports as JSON', {
    timeout: 600_000,
  }, async () => {
    const data = tempDir();
    const out = join(tempDir(), 'synth.jsonl');
    const args = ['synth', '-n', '3', '-s', 'positive', '--category', 'Tops', '--length', 'short', '-o', out, '--json'];
    const a = await cli(data, args, ENV);
    expect(a.code, a.stderr).toBe(0);
    const sa = JSON.parse(a.stdout) as {
      kept: number;
      generator: string;
      dropped: Record<string, number>;
      perMinute: number;
    };
    expect(sa).toMatchObject({ kept: 3, generator: 'recombine' });
    expect(a.stderr).toMatch(/synth: kept 3\/3/);
    const first = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(first).toHaveLength(3);
    for (const r of first) {
      expect(r).toMatchObject({ source: 'synthetic', generator: 'recombine', sentiment: 'positive', category: 'Tops' });
      expect(r.check).toMatchObject({ label: 'positive', model: expect.stringMatching(/^reviewlens-fusion@/) });
      expect(Number.isInteger(r.seed)).toBe(true);
      expect(r.recipe.sentences.length).toBeGreaterThan(0);
    }
    // Same seed again: the same candidates come out, are duplicates of the file's, and new seeds fill the count.
    const b = await cli(data, [...args.slice(0, 2), '2', ...args.slice(3)], ENV);
    expect(b.code, b.stderr).toBe(0);
    const sb = JSON.parse(b.stdout) as { kept: number; dropped: { exact: number; nearSynthetic: number } };
    expect(sb.kept).toBe(2);
    expect(sb.dropped.exact + sb.dropped.nearSynthetic).toBeGreaterThanOrEqual(1);
    const all = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(all).toHaveLength(5);
    expect(new Set(all.map((r) => r.text)).size).toBe(5);
  });

  it('refuses bad input with a clear error and writes nothing', { timeout: 120_000 }, async () => {
    const out = join(tempDir(), 'none.jsonl');
    const r1 = await cli(tempDir(), ['synth', '-n', '2', '-s', 'negative', '--rating', '5', '-o', out, '--no-check']);
    expect(r1.code).not.toBe(0);
    expect(r1.stderr).toMatch(/rating 5 reads as positive, not negative/);
    const r2 = await cli(tempDir(), [
      'synth',
      '-n',
      '2',
      '-s',
      'negative',
      '--aspects',
      'wheels',
      '-o',
      out,
      '--no-check',
    ]);
    expect(r2.stderr).toMatch(/unknown aspect\(s\) wheels/);
    const r3 = await cli(tempDir(), ['synth', '-n', '2', '-s', 'angry', '-o', out]);
    expect(r3.stderr).toMatch(/expected one of negative, neutral, positive/);
    expect(existsSync(out)).toBe(false);
  });
});
