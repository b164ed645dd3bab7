import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetadataStore } from '../../src/storage/index.js';
import { tempDir } from '../helpers/paths.js';
import { metadataSuite } from './metadata-suite.js';

const dir = tempDir();
metadataSuite('PGlite (on disk)', () => MetadataStore.open({ url: `file://${join(dir, 'db')}` }));

describe('MetadataStore urls', () => {
  it('refuses a url of an unknown kind with a clear message', async () => {
    await expect(MetadataStore.open({ url: 'mysql://x' })).rejects.toThrow(/postgres:\/\//);
  });

  it('keeps data across re-opening the embedded database', async () => {
    const d = tempDir();
    const a = await MetadataStore.open({ url: '', dataDir: d });
    await a.setAlias('x', 'n', 'v');
    await a.close();
    const b = await MetadataStore.open({ url: '', dataDir: d });
    expect(await b.getAlias('x')).toEqual({ name: 'n', version: 'v' });
    await b.close();
  });
});
