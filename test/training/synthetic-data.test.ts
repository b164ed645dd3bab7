/**
 * `reviewlens train --synthetic FILE.jsonl`: reading and checking the file (src/training/synthetic-data.ts), and
 * which rows may join the e-commerce training split (syntheticForTraining in src/training/multimodal.ts). The file
 * is made the way `reviewlens synth` makes it: real recombined reviews from the shared data.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSourceReviews, RecombineGenerator, type SyntheticReview, synthesize } from '../../src/synthesis/index.js';
import { type EcommerceData, loadSyntheticTraining, type ReviewExample } from '../../src/training/index.js';
import { syntheticForTraining } from '../../src/training/multimodal.js';
import { SHARED, tempDir } from '../helpers/paths.js';

const dir = tempDir('reviewlens-synthetic-');
const write = (name: string, lines: unknown[]) => {
  const p = join(dir, name);
  writeFileSync(p, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
  return p;
};

describe('loadSyntheticTraining', () => {
  let rows: SyntheticReview[];
  let file: string;
  beforeAll(async () => {
    const corpus = loadSourceReviews(SHARED);
    const gen = new RecombineGenerator(corpus);
    const neg = await synthesize({ count: 4, sentiment: 'negative', seed: 3 }, { generator: gen, corpus });
    const neu = await synthesize({ count: 3, sentiment: 'neutral', seed: 9 }, { generator: gen, corpus });
    rows = [...neg.reviews, ...neu.reviews];
    // One row with a photo, as `synth --with-photos` writes it.
    file = write('synth.jsonl', [...rows.slice(0, -1), { ...rows.at(-1), image: 'synth.photos/x.jpg' }, '']);
  }, 120_000);

  it('reads the rows `reviewlens synth` writes: labels, source synthetic, counts, the file hash', () => {
    const s = loadSyntheticTraining(file);
    expect(s.file).toBe('synth.jsonl');
    expect(s.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(s.examples).toHaveLength(7);
    expect(s.byLabel).toEqual({ negative: 4, neutral: 3, positive: 0 });
    expect(s.byGenerator).toEqual({ recombine: 7 });
    expect(s.photosIgnored).toBe(1);
    expect(s.examples[0]).toEqual({
      id: `synthetic:${rows[0]?.id}`,
      text: rows[0]?.text,
      label: 'negative',
      source: 'synthetic',
      domain: 'recombine',
    });
    expect(s.examples.every((e) => e.source === 'synthetic')).toBe(true);
  });

  it('takes `label` as well as `sentiment`, and ids from line numbers when rows have none', () => {
    const s = loadSyntheticTraining(
      write('plain.jsonl', [
        { text: 'It is fine, nothing special.', label: 'neutral' },
        { text: 'Broke  after a day.', sentiment: 'negative', label: 'negative', source: 'synthetic' },
      ]),
    );
    expect(s.examples.map((e) => [e.id, e.label, e.text])).toEqual([
      ['synthetic:line-1', 'neutral', 'It is fine, nothing special.'],
      ['synthetic:line-2', 'negative', 'Broke after a day.'],
    ]);
    expect(s.byGenerator).toEqual({ unknown: 2 });
  });

  it('refuses a missing or empty file and bad rows, naming the line', () => {
    expect(() => loadSyntheticTraining(join(dir, 'missing.jsonl'))).toThrow(/missing\.jsonl: no such file/);
    expect(() => loadSyntheticTraining(dir)).toThrow(/not a file/);
    expect(() => loadSyntheticTraining(write('empty.jsonl', ['', '  ']))).toThrow(/no reviews in the file/);
    const bad: Array<[unknown, RegExp]> = [
      ['{not json', /line 2: not JSON/],
      [[1, 2], /line 2: not a JSON object/],
      [{ sentiment: 'neutral' }, /line 2: no "text"/],
      [{ text: '   ', sentiment: 'neutral' }, /line 2: no "text"/],
      [{ text: 'Meh.' }, /line 2: no "sentiment"/],
      [{ text: 'Meh.', sentiment: 'mixed' }, /line 2: label "mixed" is not one of negative, neutral, positive/],
      [{ text: 'Meh.', label: 3 }, /line 2: label 3 is not one of/],
      [{ text: 'Meh.', sentiment: 'Neutral' }, /label "Neutral" is not one of/],
      [
        { text: 'Meh.', sentiment: 'neutral', label: 'positive' },
        /line 2: "sentiment" neutral and "label" positive disagree/,
      ],
      [{ text: 'Meh.', sentiment: 'neutral', source: 'marc' }, /line 2: source "marc" is not "synthetic"/],
      [{ id: 'a', text: 'Meh again.', sentiment: 'neutral' }, /line 2: id a appears twice/],
    ];
    for (const [row, msg] of bad) {
      const p = write('bad.jsonl', [{ id: 'a', text: 'Fine.', sentiment: 'neutral' }, row]);
      expect(() => loadSyntheticTraining(p), JSON.stringify(row)).toThrow(msg);
    }
  });
});

describe('syntheticForTraining', () => {
  const ex = (id: string, text: string, label: ReviewExample['label'] = 'neutral', source = 'marc'): ReviewExample => ({
    id,
    text,
    label,
    source,
  });
  it('drops rows whose text is a held-out or scored review, tags the rest synthetic, records the counts', () => {
    const ecom: EcommerceData = {
      train: [ex('t1', 'Real training review.', 'positive'), ex('t2', 'Another real one.', 'negative')],
      val: [ex('v1', 'A val review, word for word.')],
      test: [ex('x1', 'A test review.')],
      fduTest: [ex('f1', 'An FDU test review.', 'negative', 'fdu-books')],
    };
    const s = loadSyntheticTraining(
      write('mixed.jsonl', [
        { text: 'a VAL review,   word for word.', sentiment: 'neutral', generator: 'recombine' },
        { text: 'A test review.', sentiment: 'neutral', generator: 'recombine' },
        { text: 'An MVSA tweet.', sentiment: 'neutral', generator: 'llm' },
        { text: 'New and unseen.', sentiment: 'neutral', generator: 'llm', image: 'x.jpg' },
        { text: 'Also new, and bad.', sentiment: 'negative', generator: 'recombine' },
      ]),
    );
    const logs: string[] = [];
    const { used, record } = syntheticForTraining(
      s,
      [ecom, [ex('m1', 'An MVSA tweet.', 'positive', 'mvsa-single')], [], []],
      (m) => logs.push(m),
    );
    expect(used.map((e) => e.text)).toEqual(['New and unseen.', 'Also new, and bad.']);
    expect(used.every((e) => e.source === 'synthetic')).toBe(true);
    expect(record).toMatchObject({
      file: 'mixed.jsonl',
      rows: 5,
      used: 2,
      dropped_heldout: 3,
      by_label: { negative: 1, neutral: 1, positive: 0 },
      real_by_label: { negative: 1, neutral: 0, positive: 1 },
      by_generator: { recombine: 3, llm: 2 },
      photos_ignored: 1,
    });
    expect(record.sha256).toBe(s.sha256);
    expect(logs.join('\n')).toMatch(/2 of 5 added to the e-commerce training split only/);
    expect(logs.join('\n')).toMatch(/3 left out: same text as a held-out review/);
    // The real training split is not touched here (multimodal.ts adds `used` to it after this).
    expect(ecom.train).toHaveLength(2);
  });
});
