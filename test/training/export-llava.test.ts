import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadMvsa } from '../../src/training/datasets.js';
import { exportLlava, LLAVA_INSTRUCTION } from '../../src/training/export-llava.js';
import { MVSA_SPLIT_PATH } from '../../src/training/features.js';
import { ROOT, SHARED, tempDir } from '../helpers/paths.js';

const split = JSON.parse(readFileSync(MVSA_SPLIT_PATH, 'utf8')) as Record<'train' | 'val' | 'test', string[]>;
const gold = new Map(loadMvsa(SHARED).map((e) => [e.id, e]));

function readJsonl(file: string): any[] {
  const text = readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('export of MVSA-Single in LLaVA conversation format', () => {
  it('writes valid JSONL for the test split: the split’s examples, existing photos, gold labels', async () => {
    const dir = tempDir();
    const out = join(dir, 'nested', 'mvsa-test.jsonl');
    const logs: string[] = [];
    const summary = await exportLlava({ out, split: 'test', dataDir: SHARED, log: (m) => logs.push(m) });
    const rows = readJsonl(out);

    expect(summary.count).toBe(split.test.length);
    expect(summary.missingImages).toEqual([]);
    expect(rows).toHaveLength(split.test.length);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(split.test));
    expect(summary.byLabel.negative + summary.byLabel.neutral + summary.byLabel.positive).toBe(rows.length);
    for (const r of rows) {
      const g = gold.get(r.id)!;
      expect(Object.keys(r).sort()).toEqual(['conversations', 'id', 'image']);
      expect(isAbsolute(r.image)).toBe(true);
      expect(existsSync(r.image)).toBe(true);
      expect(r.conversations).toHaveLength(2);
      expect(r.conversations[0].from).toBe('human');
      expect(r.conversations[0].value).toBe(`<image>\n${LLAVA_INSTRUCTION}\nText: ${g.text}`);
      expect(r.conversations[1]).toEqual({ from: 'gpt', value: g.label });
    }
    expect(logs.at(-1)).toMatch(new RegExp(`wrote ${rows.length} records`));
    // Written atomically: no temp file is left beside the output.
    expect(readdirSync(join(dir, 'nested'))).toEqual(['mvsa-test.jsonl']);
  });

  it('counts match each split, the splits do not overlap, and all is every labelled example', async () => {
    const dir = tempDir();
    const ids: Record<string, string[]> = {};
    for (const s of ['train', 'val', 'all'] as const) {
      const out = join(dir, `${s}.jsonl`);
      const summary = await exportLlava({ out, split: s, dataDir: SHARED });
      ids[s] = readJsonl(out).map((r) => r.id);
      expect(summary.count).toBe(ids[s]!.length);
    }
    expect(ids.train).toHaveLength(split.train.length);
    expect(ids.val).toHaveLength(split.val.length);
    expect(ids.all).toHaveLength(gold.size);
    const train = new Set(ids.train);
    expect(ids.val!.some((id) => train.has(id))).toBe(false);
    expect(split.test.some((id) => train.has(id))).toBe(false);
  });

  it('reviewlens export llava --out FILE --split val writes the file and prints a summary', async () => {
    const out = join(tempDir(), 'val.jsonl');
    const r = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin', 'reviewlens.js'), 'export', 'llava', '--out', out, '--split', 'val'],
      { cwd: tempDir(), env: { ...process.env, REVIEWLENS_SHARED_DATA: SHARED } },
    );
    expect(r.stdout).toMatch(new RegExp(`wrote ${split.val.length} records .* to ${out.replace(/[.\\]/g, '\\$&')}`));
    expect(readJsonl(out)).toHaveLength(split.val.length);

    const bad = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin', 'reviewlens.js'), 'export', 'llava', '--out', out, '--split', 'dev'],
      { cwd: tempDir() },
    ).catch((e) => e);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/train, val, test, all/);
  });
});
