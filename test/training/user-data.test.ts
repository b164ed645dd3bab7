import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArtifact } from '../../src/models/index.js';
import { BUNDLED_ARTIFACT } from '../../src/server/index.js';
import { loadUci, loadUserData, mapLabel, trainMultimodal } from '../../src/training/index.js';
import { MODELS_DIR, MVSA_IMAGES, SHARED, tempDir } from '../helpers/paths.js';

describe('mapLabel', () => {
  it('maps names and 1-5 stars by the documented rule, and nothing else', () => {
    expect(['Positive', 'pos', 'NEGATIVE', 'neu'].map(mapLabel)).toEqual([
      'positive',
      'positive',
      'negative',
      'neutral',
    ]);
    expect([1, 2, 3, 4, 5, '4 stars', 2.4, 3.6].map(mapLabel)).toEqual([
      'negative',
      'negative',
      'neutral',
      'positive',
      'positive',
      'positive',
      'negative',
      'positive',
    ]);
    expect([0, 6, 'great', '', null].map(mapLabel)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('loadUserData', () => {
  it('reads CSV with quoted commas, resolves photo paths, and reports what it skipped', () => {
    const dir = tempDir();
    const file = join(dir, 'reviews.csv');
    writeFileSync(
      file,
      'review,photo,stars\n"Great, really great",a.jpg,5\n"Broke on day one",,1\n"no label here",,\n,,4\n"Okay I guess",https://img.example/x.jpg,3\n',
    );
    const { examples, report } = loadUserData(file, '/photos');
    expect(examples.map((e) => [e.text, e.label, e.image])).toEqual([
      ['Great, really great', 'positive', '/photos/a.jpg'],
      ['Broke on day one', 'negative', undefined],
      ['Okay I guess', 'neutral', 'https://img.example/x.jpg'],
    ]);
    expect(report).toMatchObject({ rows: 5, used: 3, withImage: 2 });
    expect(report.skipped.map((s) => s.reason)).toEqual(['unknown label ""', 'no text']);
  });

  it('refuses broken JSONL, unknown formats and files with no usable row', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.jsonl'), '{"text": "fine", "label": "positive"}\n{broken\n');
    expect(() => loadUserData(join(dir, 'a.jsonl'))).toThrow(/line 2 is not JSON/);
    writeFileSync(join(dir, 'a.txt'), 'x');
    expect(() => loadUserData(join(dir, 'a.txt'))).toThrow(/must be \.jsonl, \.csv or \.tsv/);
    writeFileSync(join(dir, 'b.jsonl'), '{"text": "x", "label": "maybe"}\n');
    expect(() => loadUserData(join(dir, 'b.jsonl'))).toThrow(/no usable rows/);
  });
});

describe('training on a user file with a base model', () => {
  it('adapts the bundled model to a small labelled file and scores it on its own test part', async () => {
    const dir = tempDir();
    // 150 real review sentences (Yelp) and 40 real MVSA photos with labels, written as a user's JSONL.
    const yelp = loadUci('yelp', SHARED).slice(0, 150);
    const mvsa = readFileSync(join(SHARED, 'mvsa-single', 'labeled.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .slice(0, 40);
    const rows = [
      ...yelp.map((e) => JSON.stringify({ text: e.text, label: e.label })),
      ...mvsa.map((l) => {
        const r = JSON.parse(l);
        return JSON.stringify({
          text: r.text,
          image: join(MVSA_IMAGES, r.image.replace('images/', '')),
          label: r.label,
        });
      }),
    ];
    const file = join(dir, 'shop.jsonl');
    writeFileSync(file, `${rows.join('\n')}\n`);
    const { examples } = loadUserData(file);
    const base = parseArtifact(readFileSync(BUNDLED_ARTIFACT), BUNDLED_ARTIFACT);
    if (base.format !== 'reviewlens.model/2') throw new Error('bundled model is not format 2');
    const out = join(dir, 'model.json');
    const a = await trainMultimodal({
      data: { examples, name: 'user:shop.jsonl' },
      base,
      modelsDir: MODELS_DIR,
      cacheDir: join(dir, 'cache'),
      out,
      threads: 1,
      folds: 3,
    });
    expect(a.version).toMatch(/^3\.1\.0\+/);
    expect(a.params.base).toBe(`${base.name}@${base.version}`);
    // General text models are kept from the base; the in-domain text head is new.
    expect(a.components.ngram).toEqual(base.components.ngram);
    expect(a.components.domain_text).not.toEqual(base.components.domain_text);
    // 40 photos leave fewer than 30 in train: the photo heads are the base model's.
    expect(a.components.fused_meta.weights).toEqual(base.components.fused_meta.weights);
    const m = a.metrics as any;
    expect(m.test_set).toBe('user:shop.jsonl');
    expect(m.test.served.n).toBe(38);
    expect(m.test.served.accuracy).toBeGreaterThan(0.5);
    expect(m.gate_eval.ids.length).toBe(38);
    expect(parseArtifact(readFileSync(out), out).version).toBe(a.version);
  });
});
