import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mismatchReason } from '../../src/sentiment/analyzer.js';
import { loadProductPhotos } from '../../src/training/product-photos.js';
import { MVSA_IMAGES } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv?.close();
});

const analyze = (text: string, image?: string) =>
  srv.ctx.service.analyze({ text, image: image ? readFileSync(join(MVSA_IMAGES, image)) : undefined });

describe('the analyzer with the bundled multimodal model', () => {
  it('flags "perfect!" under a photo of a wreck as a mismatch, and says why', async () => {
    // 400.jpg: lorries piled up on a snowy road (MVSA-Single, labelled negative).
    const r = await analyze('This is perfect, I love it!', '400.jpg');
    expect(r.modality).toBe('multimodal');
    expect(r.evidence.text.sentiment).toBe('positive');
    expect(r.evidence.image?.sentiment).toBe('negative');
    expect(r.mismatch).toBe(true);
    expect(r.mismatch_reason).toMatch(/^the text reads positive \(\d+%\) but the photo looks negative \(\d+%\)$/);
  });

  it('does not flag a mismatch for text alone', async () => {
    const r = await analyze('This is perfect, I love it!');
    expect(r.mismatch).toBe(false);
    expect(r.mismatch_reason).toBeUndefined();
  });

  it('names the words behind the text score', async () => {
    const r = await analyze('Terrible quality, the handle broke after one day and support never answered.');
    expect(r.sentiment).toBe('negative');
    const words = r.evidence.top_words?.for.map((w) => w.token) ?? [];
    expect(words.some((w) => /terrible|broke|never/.test(w))).toBe(true);
    for (const w of r.evidence.top_words?.for ?? []) expect(w.weight).toBeGreaterThan(0);
  });

  it('scores sarcasm higher for a sarcastic line than for a plain statement', async () => {
    const sarcastic = await analyze('oh great , another monday . just what i needed # not');
    const plain = await analyze('The package arrived on Tuesday and the size fits.');
    expect(sarcastic.sarcasm?.probability).toBeGreaterThan(plain.sarcasm?.probability ?? 1);
  });
});

describe('the damaged-product check of the photo', () => {
  const photos = loadProductPhotos();
  const withPhoto = (text: string, path: string) => srv.ctx.service.analyze({ text, image: readFileSync(path) });

  it('lets a photo it is sure shows a damaged product overrule glowing text, and says why', async () => {
    // The shipped check flags only photos it is sure of; find damaged product photos it flags.
    let flagged = 0;
    for (const p of photos.filter((x) => x.condition === 'damaged').slice(0, 60)) {
      const r = await withPhoto('This is perfect! Love it, five stars.', p.image);
      const d = r.evidence.photo_damage;
      expect(d).toBeDefined();
      if (!d?.damaged) continue;
      flagged++;
      expect(d.probability).toBeGreaterThanOrEqual(d.threshold);
      expect(r.sentiment).toBe('negative');
      expect(r.evidence.text.sentiment).toBe('positive');
      expect(r.mismatch).toBe(true);
      expect(r.evidence.reasons?.some((x) => /photo shows a damaged product \(\d+%\)/.test(x))).toBe(true);
    }
    expect(flagged).toBeGreaterThan(0);
  });

  it('keeps glowing text positive under ordinary and intact photos it does not flag', async () => {
    for (const p of photos.filter((x) => x.condition === 'intact').slice(0, 20)) {
      const r = await withPhoto('This is perfect! Love it, five stars.', p.image);
      if (!r.evidence.photo_damage?.damaged) expect(r.sentiment).toBe('positive');
    }
  });

  it('names a stated rating and the clause a contrast puts in charge', async () => {
    const r = await analyze('Looks nice in the photos, but the zip broke on day two. Two stars.');
    expect(r.evidence.stated_rating).toEqual({ stars: 2, phrase: 'Two stars' });
    expect(r.evidence.contrast_clause).toMatch(/the zip broke/);
    expect(r.evidence.reasons?.length).toBeGreaterThanOrEqual(2);
  });
});

describe('mismatchReason', () => {
  const s = (negative: number, neutral: number, positive: number) => ({ negative, neutral, positive });
  it('needs both sides confident and opposite', () => {
    expect(mismatchReason(s(0.1, 0.1, 0.8), s(0.7, 0.2, 0.1), 0.6)).toMatch(/text reads positive/);
    expect(mismatchReason(s(0.8, 0.1, 0.1), s(0.1, 0.2, 0.7), 0.6)).toMatch(/text reads negative/);
    expect(mismatchReason(s(0.1, 0.1, 0.8), s(0.5, 0.3, 0.2), 0.6)).toBeUndefined();
    expect(mismatchReason(s(0.1, 0.1, 0.8), s(0.1, 0.1, 0.8), 0.6)).toBeUndefined();
  });
});
