import { describe, expect, it } from 'vitest';
import { PipelineStore } from '../../src/pipeline/index.js';
import { MetadataStore } from '../../src/storage/index.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

describe('reviewlens pipeline', () => {
  it('runs the chosen steps, records the run, and shows it', async () => {
    const dataDir = tempDir();
    const ran = await cli(dataDir, ['pipeline', 'run', '--steps', 'index,train', '--param', 'minLabelled=5']);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('run 1: succeeded');
    expect(ran.stdout).toMatch(/train\s+skipped\s+100%\s+0 labelled reviews in the store; training needs at least 5/);
    expect(ran.stderr).toContain('run 1: index → train');

    const meta = await MetadataStore.open({ url: '', dataDir });
    try {
      const run = await new PipelineStore(meta.db).get(1);
      expect(run?.params).toEqual({ minLabelled: 5 });
      expect(run?.requestedBy).toBe('cli');
    } finally {
      await meta.close();
    }
    const shown = await cli(dataDir, ['pipeline', 'show', '1']);
    expect(shown.stdout).toContain('index: done');
    const listed = await cli(dataDir, ['pipeline', 'list']);
    expect(listed.stdout).toMatch(/1\s+succeeded .* index:succeeded train:skipped/);
  });

  it('refuses an unknown step and a malformed parameter with a clear message and exit code', async () => {
    const dataDir = tempDir();
    const bad = await cli(dataDir, ['pipeline', 'run', '--steps', 'crawl']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown pipeline step crawl \(known: [a-z, ]*index, train, evaluate, promote\)/);
    const badParam = await cli(dataDir, ['pipeline', 'run', '--param', 'novalue']);
    expect(badParam.code).toBe(1);
    expect(badParam.stderr).toContain('--param expects key=value, got "novalue"');
  });
});
