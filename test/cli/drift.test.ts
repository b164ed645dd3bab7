import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReference } from '../../src/drift/index.js';
import { BUNDLED_ARTIFACT } from '../../src/server/index.js';
import { cli } from '../helpers/cli.js';
import { SHARED, tempDir } from '../helpers/paths.js';

const bundled = JSON.parse(readFileSync(BUNDLED_ARTIFACT, 'utf8')) as { name: string; version: string };

describe('reviewlens drift reference', () => {
  it('writes a valid reference from the model’s answers on the e-commerce val split', async () => {
    const out = join(tempDir(), 'ref.json');
    const r = await cli(tempDir(), ['drift', 'reference', '--limit', '40', '--out', out, '--data', SHARED]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    const ref = parseReference(readFileSync(out, 'utf8'), out);
    expect(ref.n).toBe(40);
    expect(ref.model).toEqual({ name: bundled.name, version: bundled.version });
    expect(ref.source).toMatch(/e-commerce val split \(40 /);
    // Answers on real reviews: more than one class, confidences spread over several deciles.
    expect(ref.features.predicted_class.proportions.filter((p) => p > 0).length).toBeGreaterThan(1);
    expect(ref.features.confidence.bins.length).toBeGreaterThan(5);
  }, 180_000);

  it('refuses bad options with a clear message and writes nothing', async () => {
    const out = join(tempDir(), 'ref.json');
    const bad = await cli(tempDir(), ['drift', 'reference', '--limit', 'abc', '--out', out]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('reviewlens: --limit must be a positive number, got abc');
    const missing = await cli(tempDir(), ['drift', 'reference', '--artifact', '/nonexistent.json', '--out', out]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('reviewlens: --artifact /nonexistent.json: no such file');
    const noData = await cli(tempDir(), ['drift', 'reference', '--data', tempDir(), '--out', out]);
    expect(noData.code).toBe(1);
    expect(noData.stderr).toMatch(/no e-commerce reviews in .*pass --data DIR or set REVIEWLENS_SHARED_DATA/);
    expect(existsSync(out)).toBe(false);
  }, 240_000);
});
