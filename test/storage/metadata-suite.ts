import { describe, expect, it } from 'vitest';
import { type MetadataStore, MIGRATION_NAMES } from '../../src/storage/index.js';

/** The same behaviour is required of every metadata backend (PGlite embedded, PostgreSQL). */
export function metadataSuite(name: string, open: () => Promise<MetadataStore>): void {
  describe(`MetadataStore on ${name}`, () => {
    it('applies the migrations, then records model versions and aliases', async () => {
      const store = await open();
      try {
        const applied = await store.db
          .selectFrom('kysely_migration' as never)
          .select('name' as never)
          .execute();
        expect(applied.map((r) => (r as { name: string }).name)).toEqual(MIGRATION_NAMES);
        expect(await store.status()).toMatchObject({ ok: true });

        const v = {
          name: 'm',
          version: '1',
          artifactBlob: 'a'.repeat(64),
          metrics: { acc: 0.7 },
          params: { seed: 1 },
          dataHash: 'h',
        };
        expect(await store.addModelVersion(v)).toBe(true);
        expect(await store.addModelVersion(v)).toBe(false);
        await store.addModelVersion({ ...v, version: '2', metrics: { acc: 0.8 } });
        const got = await store.getModelVersion('m', '1');
        expect(got?.metrics).toEqual({ acc: 0.7 });
        expect(got?.createdAt).toBeInstanceOf(Date);
        expect((await store.listModelVersions()).map((r) => r.version)).toEqual(['2', '1']);

        expect(await store.getAlias('production')).toBeUndefined();
        await store.setAlias('production', 'm', '1');
        await store.setAlias('production', 'm', '2');
        expect(await store.getAlias('production')).toEqual({ name: 'm', version: '2' });
      } finally {
        await store.close();
      }
    });

    it('re-opening an existing store applies nothing twice', async () => {
      const a = await open();
      await a.close();
      const b = await open();
      try {
        expect(await b.status()).toMatchObject({ ok: true });
      } finally {
        await b.close();
      }
    });
  });
}
