/** `reviewlens synth` end to end: the real CLI, the real shared reviews, the bundled production classifier as checker. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
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

  it('--with-photos: a JPEG of the matching condition per review beside the JSONL, its path and recipe in the row', {
    timeout: 300_000,
  }, async () => {
    const dir = tempDir();
    const out = join(dir, 'neg.jsonl');
    const args = ['synth', '-n', '2', '-s', 'negative', '--length', 'short', '-o', out, '--no-check', '--json'];
    const a = await cli(tempDir(), [...args, '--with-photos'], ENV);
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout).photos).toMatchObject({ generator: 'pair', made: 2, failed: 0 });
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(readdirSync(join(dir, 'neg.photos')).sort()).toEqual(
      rows.map((r) => `${String(r.id).replace('synth:', '')}.jpg`).sort(),
    );
    for (const r of rows) {
      expect(r.image).toMatch(/^neg\.photos\/[0-9a-f]{16}\.jpg$/);
      expect((await sharp(join(dir, r.image)).metadata()).format).toBe('jpeg');
      expect(r.photo_recipe).toMatchObject({ generator: 'pair', condition: 'damaged', seed: r.seed });
      expect(r.photo_recipe.source.path).toMatch(/^product-photos\/images\//);
      expect(r.photo_recipe.edits[0].op).toBe('crop');
    }

    // The http generator: a local server speaking the OpenAI images protocol (no diffusion model runs here).
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#8a6' } })
      .png()
      .toBuffer();
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: [{ b64_json: png.toString('base64') }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    try {
      const out2 = join(dir, 'pos.jsonl');
      const pos = ['synth', '-n', '1', '-s', 'positive', '--length', 'short', '-o', out2, '--no-check', '--json'];
      const httpEnv = { ...ENV, REVIEWLENS_SYNTH_IMAGE_URL: url };
      // Loopback is refused unless allowed: the review is written without a photo, the run says why and exits 1.
      const refused = await cli(tempDir(), [...pos, '--with-photos', '--photo-generator', 'http'], httpEnv);
      expect(refused.code).toBe(1);
      expect(JSON.parse(refused.stdout).photos.failures[0]).toMatch(/synthesis\.imageAllowHosts/);
      const b = await cli(tempDir(), [...pos, '--with-photos', '--photo-generator', 'http'], {
        ...httpEnv,
        REVIEWLENS_SYNTH_IMAGE_ALLOW_HOSTS: '127.0.0.1',
      });
      expect(b.code, b.stderr).toBe(0);
      const last = JSON.parse(readFileSync(out2, 'utf8').trim().split('\n').at(-1)!);
      expect(last.photo_recipe).toMatchObject({ generator: 'openai-images', condition: 'intact', server: url });
      expect((await sharp(join(dir, last.image)).metadata()).format).toBe('jpeg');
    } finally {
      server.close();
    }

    // No image server configured: a clear error before anything is generated or written.
    const out3 = join(tempDir(), 'none.jsonl');
    const c = await cli(
      tempDir(),
      ['synth', '-n', '1', '-s', 'positive', '-o', out3, '--no-check', '--with-photos', '--photo-generator', 'http'],
      ENV,
    );
    expect(c.code).not.toBe(0);
    expect(c.stderr).toMatch(/needs an image server: set synthesis\.imageUrl/);
    expect(existsSync(out3)).toBe(false);
  });
});
