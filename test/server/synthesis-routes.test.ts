/**
 * `GET /api/synthesis` on the real server: empty, then with real recombined reviews stored as `synthetic` and a
 * validator report saved the way `reviewlens synth validate --save` saves it (with the server's own MiniLM); the
 * with/without-synthetic-data training comparison committed in data/synthesis/with-without.json, as served.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewContentId } from '../../src/core/ids.js';
import {
  compareOnSet,
  decide,
  loadSourceReviews,
  loadTrainingComparison,
  parseSyntheticRecord,
  RecombineGenerator,
  saveValidatorReport,
  synthesize,
  TRAINING_COMPARISON_PATH,
  validateSynthetic,
  validatorReportPath,
} from '../../src/synthesis/index.js';
import { loadProductPhotos } from '../../src/training/index.js';
import { SHARED, tempDir } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

describe('GET /api/synthesis', () => {
  let srv: RunningServer;
  const get = async (path = '/api/synthesis') => {
    const res = await fetch(`${srv.url}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  beforeAll(async () => {
    srv = await startServer();
  }, 120_000);
  afterAll(async () => srv?.close());

  it('is empty on a fresh store: no samples, no report; the committed training comparison', async () => {
    const r = await get();
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ samples: [], total: 0, validator: null, training_comparison: loadTrainingComparison() });
  });

  it('serves the with/without training comparison whole: both models per real set, intervals, the decision', async () => {
    // The committed file (npm run bench:synthetic-training); every field of it passes the response schema.
    expect(existsSync(TRAINING_COMPARISON_PATH)).toBe(true);
    const c = (await get()).body.training_comparison;
    expect(c).toEqual(JSON.parse(readFileSync(TRAINING_COMPARISON_PATH, 'utf8')));
    expect(c.sets.map((s: { set: string; role: string }) => [s.set, s.role])).toEqual([
      ['e-commerce val', 'decision'],
      ['e-commerce test', 'reported'],
      ['MVSA-Single test', 'reported'],
    ]);
    for (const s of c.sets) {
      expect(s.with.per_class_f1).toMatchObject({ negative: expect.any(Number), neutral: expect.any(Number) });
      expect(s.macro_f1_diff.low).toBeLessThanOrEqual(s.macro_f1_diff.high);
    }
    // The decision follows the rule on the val split.
    expect(c.decision.include).toBe(c.sets[0].macro_f1_diff.low > 0);
    expect(c.with.synthetic.used).toBeGreaterThan(0);
  });

  it('refuses a bad limit with a 400', async () => {
    for (const q of ['?limit=0', '?limit=101', '?limit=abc', '?limit=-1']) {
      const r = await get(`/api/synthesis${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code).toBe('invalid_input');
    }
  });

  it('lists stored synthetic reviews newest first and the saved validator report', async () => {
    const corpus = loadSourceReviews(SHARED);
    const { reviews } = await synthesize(
      { count: 12, sentiment: 'negative', category: 'Dresses', seed: 5 },
      { generator: new RecombineGenerator(corpus), corpus },
    );
    expect(reviews).toHaveLength(12);
    // One insert per review, so created_at orders them; and a real review, which must not be listed. The newest
    // carries a real product photo, as the synthesize step's photo pairing stores them.
    const photo = await srv.ctx.blobs.put(
      readFileSync(loadProductPhotos().find((p) => p.condition === 'damaged')!.image),
    );
    for (const [i, r] of reviews.entries()) {
      await srv.ctx.meta.reviews.insertMany([
        {
          id: reviewContentId({ text: r.text }),
          text: r.text,
          source: 'synthetic',
          ...(i === reviews.length - 1 ? { photoBlobs: [photo] } : {}),
          label: r.sentiment,
          labelSource: 'synthetic',
          provenance: { generator: r.generator, seed: r.seed, synthetic_id: r.id },
        },
      ]);
    }
    await srv.ctx.meta.reviews.insertMany([
      { id: reviewContentId({ text: 'A real one.' }), text: 'A real one.', source: 'dataset:x' },
    ]);
    const report = await validateSynthetic(
      reviews.map((r) => parseSyntheticRecord(r, r.id)),
      corpus,
      {
        embedder: srv.ctx.encoders!.text,
        folds: 3,
        topN: 2,
        resamples: 200,
        syntheticSource: '/some/server/path/synth.jsonl',
        realSource: '/srv/shared/data/ecommerce-reviews (womens-clothing)',
      },
    );
    saveValidatorReport(srv.ctx.config.dataDir, report);

    const r = await get('/api/synthesis?limit=5');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(12);
    expect(r.body.samples).toHaveLength(5);
    expect(r.body.samples.map((s: { text: string }) => s.text)).toEqual(
      reviews
        .slice(-5)
        .reverse()
        .map((x) => x.text),
    );
    expect(r.body.samples[0]).toMatchObject({
      generator: 'recombine',
      label: 'negative',
      created_at: expect.any(String),
      thumbnail_url: `/api/photos/${photo}/thumbnail`,
    });
    expect(r.body.samples[1].thumbnail_url).toBeUndefined();
    expect((await fetch(`${srv.url}${r.body.samples[0].thumbnail_url}`)).headers.get('content-type')).toBe(
      'image/jpeg',
    );
    const v = r.body.validator;
    expect(v).toMatchObject({ folds: 3, goal: 0.5, features: { embedding: 'all-MiniLM-L6-v2' } });
    // No server paths in the answer: file names only.
    expect(v.synthetic.source).toBe('synth.jsonl');
    expect(v.real.source).toBe('ecommerce-reviews');
    expect(v.generators).toHaveLength(1);
    const g = v.generators[0];
    expect(g).toMatchObject({ generator: 'recombine', pairs: 12 });
    expect(g.accuracy.estimate).toBeGreaterThanOrEqual(0);
    expect(g.accuracy.estimate).toBeLessThanOrEqual(1);
    expect(g.style_only).toMatchObject({ estimate: expect.any(Number) });
    expect(g.most_real).toHaveLength(2);
    expect(g.most_real[0]).toMatchObject({ text: expect.any(String), p_synthetic: expect.any(Number) });
    expect(g.giveaways[0]).toMatchObject({ feature: expect.any(String), synthetic_mean: expect.any(Number) });
  }, 300_000);

  it('compares on a set and decides by the val interval; a broken comparison file is an error', () => {
    // 40 reviews: "with" right on 30, "without" on 20 (the same 20 plus 10 more): a clear gain.
    const y = Array.from({ length: 40 }, (_, i) => i % 3);
    const wrong = (p: number[], from: number) => p.map((c, i) => (i >= from ? (c + 1) % 3 : c));
    const withS = wrong(y, 30);
    const without = wrong(y, 20);
    const boot = { resamples: 300, seed: 1 };
    const gain = compareOnSet('e-commerce val', 'decision', y, without, withS, boot);
    expect(gain.n).toBe(40);
    expect(gain.with.accuracy).toBe(0.75);
    expect(gain.without.accuracy).toBe(0.5);
    expect(gain.accuracy_diff.estimate).toBeCloseTo(0.25);
    expect(gain.macro_f1_diff.low).toBeGreaterThan(0);
    expect(decide([gain]).include).toBe(true);
    const none = compareOnSet('e-commerce val', 'decision', y, withS, withS, boot);
    expect(none.macro_f1_diff).toEqual({ estimate: 0, low: 0, high: 0 });
    expect(decide([none])).toEqual({ include: false, reason: expect.stringMatching(/includes 0/) });
    expect(decide([{ ...gain, role: 'reported' }]).include).toBe(false);
    expect(() => compareOnSet('x', 'reported', y, without, withS.slice(1), boot)).toThrow(/equal, non-empty/);
    const dir = tempDir();
    expect(loadTrainingComparison(join(dir, 'none.json'))).toBeNull();
    writeFileSync(join(dir, 'bad.json'), '{"sets": 3}');
    expect(() => loadTrainingComparison(join(dir, 'bad.json'))).toThrow(/not a with\/without comparison/);
  });

  it('says so, without failing, when the saved report cannot be read', async () => {
    const file = validatorReportPath(srv.ctx.config.dataDir);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '{ half a file');
    const r = await get();
    expect(r.status).toBe(200);
    expect(r.body.validator).toBeNull();
    expect(r.body.validator_error).toMatch(/could not be read .*reviewlens synth validate --save/);
    expect(r.body.validator_error).not.toContain(srv.ctx.config.dataDir);
  });
});
