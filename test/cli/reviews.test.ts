import { describe, expect, it } from 'vitest';
import { reviewContentId } from '../../src/core/ids.js';
import { LocalBlobStore, MetadataStore } from '../../src/storage/index.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

/** Opens the data directory's embedded database (no CLI running), runs `fn`, closes it. */
async function withMeta<T>(dataDir: string, fn: (meta: MetadataStore) => Promise<T>): Promise<T> {
  const meta = await MetadataStore.open({ url: '', dataDir });
  try {
    return await fn(meta);
  } finally {
    await meta.close();
  }
}

describe('reviewlens reviews delete', () => {
  it('--dry-run counts, then the real run erases an author’s reviews and photos; the count is printed', async () => {
    const dataDir = tempDir();
    const blobs = new LocalBlobStore(`${dataDir}/blobs`);
    const photo = await blobs.put(Buffer.from('a photo only jane posted'));
    const jane = reviewContentId({ text: 'Too small for me' });
    const bob = reviewContentId({ text: 'Just right' });
    await withMeta(dataDir, (meta) =>
      meta.reviews.insertMany([
        { id: jane, text: 'Too small for me', author: 'Jane Doe', source: 'shop.example', photoBlobs: [photo] },
        { id: bob, text: 'Just right', author: 'Bob', source: 'shop.example' },
      ]),
    );

    const dry = await cli(dataDir, ['reviews', 'delete', '--author', 'Jane Doe', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('would erase 1 review by author "Jane Doe":');
    expect(dry.stdout).toContain('1 photo');
    expect(dry.stdout).toContain('dry run: nothing was changed');
    expect(await withMeta(dataDir, (m) => m.reviews.count())).toBe(2);

    const real = await cli(dataDir, ['reviews', 'delete', '--author', 'Jane Doe', '--json']);
    expect(real.code, real.stderr).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({ dryRun: false, reviews: 1, photos: 1, ids: [jane] });
    expect(
      await withMeta(dataDir, async (m) => [await m.reviews.get(jane), (await m.reviews.get(bob))?.author]),
    ).toEqual([undefined, 'Bob']);
    expect(await blobs.has(photo)).toBe(false);

    const none = await cli(dataDir, ['reviews', 'delete', '--source', 'nowhere.example']);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain('no reviews from source "nowhere.example": nothing to erase');

    const bare = await cli(dataDir, ['reviews', 'delete']);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toContain('--author NAME and/or --source');
  });
});
