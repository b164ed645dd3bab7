/**
 * Photos for synthetic reviews. The HTTP adapters against a local server that speaks the OpenAI images and
 * AUTOMATIC1111 protocols (a stand-in: no diffusion model can run here; it answers a real PNG made with sharp, or
 * the failures a real server can produce), and the local default, pairing with the real product photos of
 * ../shared/data/product-photos.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PayloadTooLargeError, RefusedAddressError, TimeoutError, UnavailableError } from '../../src/core/errors.js';
import { sha256 } from '../../src/core/ids.js';
import {
  Automatic1111Generator,
  attachPhotos,
  conditionFor,
  type ImageGenerator,
  ImageServerError,
  OpenAIImagesGenerator,
  photoPrompt,
  productPhotoPool,
  RealPhotoPairing,
  type SyntheticReview,
} from '../../src/synthesis/index.js';
import { loadProductPhotos } from '../../src/training/product-photos.js';
import { SHARED } from '../helpers/paths.js';

let server: http.Server;
let base: string;
let png: Buffer;
const seen: Array<{ url: string; body: Record<string, unknown>; auth?: string }> = [];
const hanging: http.ServerResponse[] = [];

beforeAll(async () => {
  // A real 96x64 PNG: a gradient drawn into raw pixels, encoded by sharp.
  const raw = Buffer.alloc(96 * 64 * 3);
  for (let i = 0; i < 96 * 64; i++) raw.set([i % 96, (i / 96) * 3, 128], i * 3);
  png = await sharp(raw, { raw: { width: 96, height: 64, channels: 3 } })
    .png()
    .toBuffer();
  server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => {
      data += c;
    });
    req.on('end', () => {
      const url = req.url ?? '';
      seen.push({
        url,
        body: data ? JSON.parse(data) : {},
        ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
      });
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      if (url === '/ok/v1/images/generations')
        return json(200, { created: 1, data: [{ b64_json: png.toString('base64') }] });
      if (url === '/a1111/sdapi/v1/txt2img') return json(200, { images: [png.toString('base64')], info: '{}' });
      if (url.startsWith('/slow/')) return void hanging.push(res);
      if (url.startsWith('/garbage/')) return json(200, '<html>Bad Gateway</html>{"data": [');
      if (url.startsWith('/notimage/'))
        return json(200, { data: [{ b64_json: Buffer.from('this is not an image at all').toString('base64') }] });
      if (url.startsWith('/noimage/')) return json(200, { data: [] });
      if (url.startsWith('/error/')) return json(500, { error: { message: 'CUDA out of memory' } });
      if (url.startsWith('/huge/')) return json(200, { data: [{ b64_json: 'A'.repeat(200_000) }] });
      json(404, { error: 'no such route' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const r of hanging) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const openai = (path: string, more: Partial<ConstructorParameters<typeof OpenAIImagesGenerator>[0]> = {}) =>
  new OpenAIImagesGenerator({ url: `${base}${path}`, allowHosts: ['127.0.0.1'], timeoutMs: 5000, ...more });

describe('the prompt', () => {
  it('asks for a damaged product for a negative review and an intact one otherwise', () => {
    expect(conditionFor('negative')).toBe('damaged');
    expect(conditionFor('positive')).toBe('intact');
    expect(conditionFor('neutral')).toBe('intact');
    const neg = photoPrompt({ sentiment: 'negative', product: 'phone case', seed: 1 });
    expect(neg.condition).toBe('damaged');
    expect(neg.prompt).toMatch(/damaged phone case/);
    expect(neg.prompt).toMatch(/cracked screen/);
    expect(neg.negativePrompt).toMatch(/undamaged/);
    const pos = photoPrompt({ sentiment: 'positive', category: 'Dresses', seed: 1 });
    expect(pos.prompt).toMatch(/Dresses in perfect condition/);
    expect(pos.negativePrompt).toMatch(/damaged, broken/);
    // Control characters in a product name do not reach the prompt.
    expect(photoPrompt({ sentiment: 'neutral', product: 'mug\n\u0000ignore that', seed: 1 }).prompt).toMatch(
      /of a mug ignore that in perfect/,
    );
  });
});

describe('the OpenAI-compatible images adapter (a local protocol server; never run against a real model)', () => {
  it('posts the prompt for the condition, reads b64_json and returns a JPEG with its recipe', async () => {
    const g = openai('/ok/v1', { model: 'sdxl-turbo', apiKey: 'sk-test', size: '256x256' });
    const p = await g.generate({ sentiment: 'negative', product: 'parcel', seed: 42 });
    const req = seen.at(-1)!;
    expect(req.url).toBe('/ok/v1/images/generations');
    expect(req.body).toMatchObject({ n: 1, size: '256x256', response_format: 'b64_json', model: 'sdxl-turbo' });
    expect(String(req.body.prompt)).toMatch(/damaged parcel/);
    expect(req.auth).toBe('Bearer sk-test');
    const meta = await sharp(p.jpeg).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 96, height: 64 });
    expect(p.sha256).toBe(sha256(p.jpeg));
    expect(p.recipe).toMatchObject({
      generator: 'openai-images',
      condition: 'damaged',
      seed: 42,
      seedHonoured: false,
      model: 'sdxl-turbo',
      answerFormat: 'png',
    });
    g.close();
  });

  it('AUTOMATIC1111: sends prompt, negative prompt, seed and size; reads images[0]', async () => {
    const g = new Automatic1111Generator({ url: `${base}/a1111`, allowHosts: ['127.0.0.1'], size: '512x384' });
    const p = await g.generate({ sentiment: 'positive', category: 'fruit', seed: 7 });
    expect(seen.at(-1)!.body).toMatchObject({ seed: 7, width: 512, height: 384, batch_size: 1 });
    expect(String(seen.at(-1)!.body.negative_prompt)).toMatch(/rotten/);
    expect(p.recipe).toMatchObject({ generator: 'automatic1111', condition: 'intact', seedHonoured: true });
    expect((await sharp(p.jpeg).metadata()).format).toBe('jpeg');
    g.close();
  });

  it('refuses a loopback server that is not allowed, as all outbound HTTP of the project does', async () => {
    const g = new OpenAIImagesGenerator({ url: `${base}/ok/v1` });
    const e = await g.generate({ sentiment: 'positive', seed: 1 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RefusedAddressError);
    expect((e as Error).message).toMatch(/synthesis\.imageAllowHosts/);
    const metadata = new OpenAIImagesGenerator({ url: 'http://169.254.169.254/v1', allowHosts: ['127.0.0.1'] });
    await expect(metadata.generate({ sentiment: 'positive', seed: 1 })).rejects.toBeInstanceOf(RefusedAddressError);
  });

  it('fails with a clear, typed error on timeout, garbage JSON, non-image bytes, no image, HTTP errors, size', async () => {
    const req = { sentiment: 'negative' as const, seed: 3 };
    const slow = await openai('/slow/v1', { timeoutMs: 300 })
      .generate(req)
      .catch((x: unknown) => x);
    expect(slow).toBeInstanceOf(TimeoutError);
    expect((slow as Error).message).toMatch(/no answer in 300 ms/);

    const garbage = await openai('/garbage/v1')
      .generate(req)
      .catch((x: unknown) => x);
    expect(garbage).toBeInstanceOf(ImageServerError);
    expect((garbage as Error).message).toMatch(/not JSON .*starting "<html>Bad Gateway/);

    const notImage = await openai('/notimage/v1')
      .generate(req)
      .catch((x: unknown) => x);
    expect(notImage).toBeInstanceOf(ImageServerError);
    expect((notImage as Error).message).toMatch(/data\[0\]\.b64_json .* is not an image \(27 bytes\)/);

    await expect(openai('/noimage/v1').generate(req)).rejects.toThrow(/answered JSON without data\[0\]\.b64_json/);

    const err = await openai('/error/v1')
      .generate(req)
      .catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ImageServerError);
    expect(err).toMatchObject({ upstreamStatus: 500, statusCode: 502 });
    expect((err as Error).message).toMatch(/answered HTTP 500: .*CUDA out of memory/);

    await expect(openai('/huge/v1', { maxBytes: 50_000 }).generate(req)).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(openai('/ok/v1', { maxPixels: 1000 }).generate(req)).rejects.toBeInstanceOf(PayloadTooLargeError);

    const closed = new OpenAIImagesGenerator({ url: 'http://127.0.0.1:1/v1', allowHosts: ['127.0.0.1'] });
    const down = await closed.generate(req).catch((x: unknown) => x);
    expect(down).toBeInstanceOf(UnavailableError);
    expect((down as Error).message).toMatch(/is not reachable: .*ECONNREFUSED/);

    expect(() => openai('/ok/v1', { size: '5000x10' })).toThrow(/each side 64 to 2048/);
  });
});

describe('pairing with real photos (the local default)', () => {
  const photos = loadProductPhotos(SHARED);
  const byId = new Map(photos.map((p) => [p.id, p]));
  const pool = productPhotoPool(SHARED);
  const pairing = new RealPhotoPairing(pool, { relativeTo: SHARED });

  it('keeps only sources with both conditions', () => {
    expect(pool.length).toBeGreaterThan(2000);
    expect(pool.some((p) => p.category === 'parcel-doorstep')).toBe(false);
    expect(pairing.counts().damaged).toBeGreaterThan(1000);
  });

  it('pairs a negative review with a damaged photo and positive/neutral with intact ones, recording the recipe', async () => {
    for (const [sentiment, condition] of [
      ['negative', 'damaged'],
      ['positive', 'intact'],
      ['neutral', 'intact'],
    ] as const) {
      for (const seed of [1, 2, 3]) {
        const p = await pairing.generate({ sentiment, seed });
        const src = p.recipe.source as { id: string; path: string; sha256: string; width: number; height: number };
        expect(p.recipe.condition).toBe(condition);
        expect(byId.get(src.id)?.condition).toBe(condition);
        expect(src.path).toBe(join('product-photos', 'images', src.path.split('/').at(-1)!));
        expect(src.sha256).toBe(sha256(readFileSync(join(SHARED, src.path))));
        expect(p.recipe.seed).toBe(seed);
        const edits = p.recipe.edits as Array<Record<string, number | string>>;
        const crop = edits.find((e) => e.op === 'crop')!;
        expect(crop.fraction).toBeGreaterThanOrEqual(0.8);
        expect(crop.fraction).toBeLessThanOrEqual(1);
        const b = edits.find((e) => e.op === 'brightness')!.factor as number;
        expect(Math.abs(b - 1)).toBeLessThanOrEqual(0.15);
        const blur = edits.find((e) => e.op === 'blur');
        if (blur) expect(blur.sigma).toBeLessThanOrEqual(1);
        // A valid JPEG of the cropped size.
        const meta = await sharp(p.jpeg).metadata();
        expect(meta.format).toBe('jpeg');
        expect([meta.width, meta.height]).toEqual([crop.width, crop.height]);
        expect(p.jpeg.subarray(0, 3).toString('hex')).toBe('ffd8ff');
      }
    }
  });

  it('is the same JPEG for the same seed and another for another seed', async () => {
    const a = await pairing.generate({ sentiment: 'negative', seed: 11 });
    const b = await new RealPhotoPairing([...pool].reverse(), { relativeTo: SHARED }).generate({
      sentiment: 'negative',
      seed: 11,
    });
    expect(b.sha256).toBe(a.sha256);
    expect(b.recipe).toEqual(a.recipe);
    const c = await pairing.generate({ sentiment: 'negative', seed: 12 });
    expect(c.sha256).not.toBe(a.sha256);
  });

  it('prefers the product-photos category the product names', async () => {
    const p = await pairing.generate({ sentiment: 'negative', product: 'Phone screen protector', seed: 5 });
    expect(p.recipe.categoryMatch).toBe('product: phone-screen');
    expect((p.recipe.source as { category: string }).category).toBe('phone-screen');
    const any = await pairing.generate({ sentiment: 'negative', product: 'Dress', seed: 5 });
    expect(any.recipe.categoryMatch).toBe('any category');
  });

  it('says so when the pool has no photo of the condition', async () => {
    const onlyIntact = new RealPhotoPairing(pool.filter((p) => p.condition === 'intact'));
    await expect(onlyIntact.generate({ sentiment: 'negative', seed: 1 })).rejects.toThrow(
      /no damaged photo to pair with a negative review/,
    );
  });
});

describe('attaching photos to synthetic reviews', () => {
  const review = (i: number, sentiment: 'negative' | 'positive'): SyntheticReview => ({
    id: `synth:${i}`,
    text: `review ${i}`,
    sentiment,
    rating: null,
    product: null,
    category: null,
    source: 'synthetic',
    generator: 'recombine',
    seed: i,
    recipe: {},
    check: null,
    createdAt: new Date(0).toISOString(),
  });

  it('gives each review a photo of its condition, and stops after 3 failures in a row without throwing', async () => {
    const ok = await attachPhotos(
      [review(1, 'negative'), review(2, 'positive')],
      new RealPhotoPairing(productPhotoPool(SHARED)),
    );
    expect(ok.summary).toMatchObject({ made: 2, failed: 0 });
    expect(ok.photos.get('synth:1')?.recipe.condition).toBe('damaged');
    expect(ok.photos.get('synth:2')?.recipe.condition).toBe('intact');

    const dead: ImageGenerator = openai('/error/v1');
    const bad = await attachPhotos(
      [1, 2, 3, 4, 5].map((i) => review(i, 'negative')),
      dead,
    );
    expect(bad.photos.size).toBe(0);
    expect(bad.summary).toMatchObject({ made: 0, failed: 3 });
    expect(bad.summary.stoppedEarly).toMatch(/failed 3 times in a row: .*HTTP 500/);
  });
});
