import { describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../src/server/auth/index.js';
import { MetadataStore } from '../../src/storage/index.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

/** Opens the data directory's embedded database (after the CLI exited), runs `fn`, closes it. */
async function withStore<T>(dataDir: string, fn: (keys: ApiKeyStore) => Promise<T>): Promise<T> {
  const meta = await MetadataStore.open({ url: '', dataDir });
  try {
    return await fn(new ApiKeyStore(meta));
  } finally {
    await meta.close();
  }
}

const count = (s: string, sub: string) => s.split(sub).length - 1;

describe('reviewlens keys', () => {
  it('create prints the key once; list never shows it; the key verifies; revoke stops it', async () => {
    const dataDir = tempDir();
    const created = await cli(dataDir, ['keys', 'create', '--name', 'checkout', '--scopes', 'analyze,search']);
    expect(created.code, created.stderr).toBe(0);
    const key = /rl_[0-9A-Za-z]{8}_[0-9A-Za-z]{32,}/.exec(created.stdout)?.[0];
    expect(key, created.stdout).toBeDefined();
    if (!key) return;
    expect(count(created.stdout, key)).toBe(1);
    expect(created.stdout).toContain('will not be shown again');
    const prefix = key.split('_')[1] ?? '';

    const list = await cli(dataDir, ['keys', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/id\s+name\s+prefix\s+scopes\s+created\s+last used\s+revoked/);
    expect(list.stdout).toContain(prefix);
    expect(list.stdout).toContain('analyze,search');
    expect(list.stdout).not.toContain(key);

    const record = await withStore(dataDir, (k) => k.verify(key));
    expect(record).toMatchObject({ name: 'checkout', prefix, scopes: ['analyze', 'search'] });

    const listed = await cli(dataDir, ['keys', 'list', '--json']);
    const rows = JSON.parse(listed.stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'checkout', prefix, revokedAt: null });
    expect(rows[0]?.lastUsedAt).toEqual(expect.any(String));
    expect(listed.stdout).not.toContain(key);
    expect(listed.stdout).not.toMatch(/hash/i);

    const revoked = await cli(dataDir, ['keys', 'revoke', prefix]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`revoked API key ${record?.id}`);
    expect(await withStore(dataDir, (k) => k.verify(key))).toBeUndefined();
    const again = await cli(dataDir, ['keys', 'revoke', String(record?.id)]);
    expect(again.stdout).toContain('already revoked');
  });

  it('create --json gives the key with a shown-once note; bad scopes and unknown keys fail with exit code 1', async () => {
    const dataDir = tempDir();
    const created = await cli(dataDir, ['keys', 'create', '--name', 'ops', '--scopes', 'admin', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const out = JSON.parse(created.stdout);
    expect(out).toMatchObject({ name: 'ops', scopes: ['admin'], note: expect.stringContaining('shown only once') });
    expect(await withStore(dataDir, (k) => k.verify(out.key))).toMatchObject({ id: out.id, scopes: ['admin'] });

    const bad = await cli(dataDir, ['keys', 'create', '--name', 'x', '--scopes', 'analyze,superuser']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown scope "superuser"');
    const missing = await cli(dataDir, ['keys', 'revoke', 'nosuchpx']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no API key with prefix nosuchpx');
  });

  it('rotate prints the new key once, with the same name and scopes; the old key stops, or after --grace-seconds', async () => {
    const dataDir = tempDir();
    const made = JSON.parse(
      (await cli(dataDir, ['keys', 'create', '--name', 'checkout', '--scopes', 'analyze,search', '--json'])).stdout,
    ) as { key: string; id: number; prefix: string };

    const rotated = await cli(dataDir, ['keys', 'rotate', made.prefix]);
    expect(rotated.code, rotated.stderr).toBe(0);
    const key = /rl_[0-9A-Za-z]{8}_[0-9A-Za-z]{32,}/.exec(rotated.stdout)?.[0];
    expect(key).toBeDefined();
    if (!key) return;
    expect(count(rotated.stdout, key)).toBe(1);
    expect(rotated.stdout).not.toContain(made.key);
    expect(rotated.stdout).toContain(`rotated API key ${made.id} "checkout" (${made.prefix}): the old key is revoked`);
    expect(rotated.stdout).toContain('will not be shown again');
    expect(await withStore(dataDir, (k) => k.verify(made.key))).toBeUndefined();
    expect(await withStore(dataDir, (k) => k.verify(key))).toMatchObject({
      name: 'checkout',
      scopes: ['analyze', 'search'],
    });

    const graced = await cli(dataDir, ['keys', 'rotate', key.split('_')[1] ?? '', '--grace-seconds', '600', '--json']);
    expect(graced.code, graced.stderr).toBe(0);
    const out = JSON.parse(graced.stdout) as { key: string; old: { revokedAt: string }; note: string };
    expect(out.note).toContain('shown only once');
    expect(Date.parse(out.old.revokedAt)).toBeGreaterThan(Date.now() + 500_000);
    expect(await withStore(dataDir, (k) => k.verify(key))).toBeDefined(); // still in its grace period
    expect(await withStore(dataDir, (k) => k.verify(out.key))).toBeDefined();
    const list = await cli(dataDir, ['keys', 'list']);
    expect(list.stdout).toMatch(/from \d{4}-\d\d-\d\d /);
    expect(list.stdout).not.toContain(out.key);

    const again = await cli(dataDir, ['keys', 'rotate', String(made.id)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('revoked already');
    const badGrace = await cli(dataDir, ['keys', 'rotate', String(made.id + 1), '--grace-seconds', 'soon']);
    expect(badGrace.code).toBe(1);
    expect(badGrace.stderr).toContain('grace period must be a whole number of seconds');
  });
});
