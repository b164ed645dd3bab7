import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { classificationMetrics } from '../../src/evaluation/index.js';
import {
  barsSvg,
  buildReport,
  calibrationFigures,
  classificationFigures,
  compareRuns,
  confusionSvg,
  dataHash,
  gaussianNoise,
  type ItemResult,
  jsonPathFor,
  lengthBucket,
  loopbackOrigin,
  type ModelRun,
  modalityFigures,
  PHOTO_PERTURBATIONS,
  perturbPhoto,
  perturbText,
  punctuationNoise,
  radarSvg,
  reliabilitySvg,
  renderReport,
  robustnessSample,
  rotatePhoto,
  sliceFigures,
  TEXT_PERTURBATIONS,
  typoDrop,
  typoKeyboard,
  typoSwap,
  writeAtomically,
} from '../../src/evaluation/report/index.js';
import { KEYBOARD_NEIGHBOURS } from '../../src/evaluation/report/perturb.js';
import { mvsaImage, mvsaRows } from '../helpers/mvsa.js';
import { tempDir } from '../helpers/paths.js';

/** Real review texts (MVSA-Single tweets) for the text perturbations. */
const rows = mvsaRows().slice(0, 60);
const BOOT = { resamples: 200, seed: 5 };

const sorted = (s: string) => [...s].sort().join('');

describe('text perturbations', () => {
  it('are deterministic by seed and item, and differ across seeds', () => {
    for (const p of TEXT_PERTURBATIONS) {
      const outs = rows.map((r) => perturbText(p, r.text, 17, r.id));
      expect(rows.map((r) => perturbText(p, r.text, 17, r.id))).toEqual(outs);
      const other = rows.map((r) => perturbText(p, r.text, 18, r.id));
      // Over 60 real texts another seed changes at least one output of every perturbation.
      expect(other).not.toEqual(outs);
    }
  });

  it('swaps keep the letters, drops remove some, keyboard typos use a neighbouring key', () => {
    const text = 'The screen cracked after two days and support never answered';
    const swapped = typoSwap(text, 0.3, seededRandom(1));
    expect(swapped).not.toBe(text);
    expect(sorted(swapped)).toBe(sorted(text));
    expect(swapped.length).toBe(text.length);
    const dropped = typoDrop(text, 0.3, seededRandom(1));
    expect(dropped.length).toBeLessThan(text.length);
    expect(dropped.replace(/\p{L}/gu, '')).toBe(text.replace(/\p{L}/gu, ''));
    const typed = typoKeyboard(text, 0.3, seededRandom(1));
    expect(typed.length).toBe(text.length);
    let changed = 0;
    for (let i = 0; i < text.length; i++) {
      const a = text[i] as string;
      const b = typed[i] as string;
      if (a === b) continue;
      changed++;
      expect(KEYBOARD_NEIGHBOURS[a.toLowerCase()]).toContain(b.toLowerCase());
      expect(b === b.toUpperCase()).toBe(a === a.toUpperCase());
    }
    expect(changed).toBeGreaterThan(3);
  });

  it('rate 0 changes nothing; a higher rate changes more', () => {
    const text = rows.map((r) => r.text).join(' ');
    expect(typoSwap(text, 0, seededRandom(3))).toBe(text);
    expect(typoDrop(text, 0, seededRandom(3))).toBe(text);
    expect(typoKeyboard(text, 0, seededRandom(3))).toBe(text);
    const diff = (a: string) => [...a].filter((c, i) => c !== text[i]).length;
    expect(diff(typoKeyboard(text, 0.1, seededRandom(3)))).toBeGreaterThan(
      diff(typoKeyboard(text, 0.03, seededRandom(3))),
    );
  });

  it('keyboard neighbours are symmetric and adjacent on QWERTY', () => {
    expect([...(KEYBOARD_NEIGHBOURS.g as string)].sort().join('')).toBe('bfhtvy');
    for (const [c, ns] of Object.entries(KEYBOARD_NEIGHBOURS)) {
      for (const n of ns) expect(KEYBOARD_NEIGHBOURS[n]).toContain(c);
    }
  });

  it('punctuation noise touches only punctuation and the end', () => {
    const text = 'Great phone, but the battery... dies fast!';
    for (let s = 0; s < 20; s++) {
      const out = punctuationNoise(text, seededRandom(s));
      expect(out.replace(/[^\p{L}\s]/gu, '').replace(/\s+/g, ' ')).toBe(
        text.replace(/[^\p{L}\s]/gu, '').replace(/\s+/g, ' '),
      );
    }
  });
});

describe('photo perturbations', () => {
  const photo = readFileSync(mvsaImage(rows[0] as (typeof rows)[number]));

  it('give the same bytes for the same seed, other bytes for another seed, and valid JPEGs', async () => {
    const a = await gaussianNoise(photo, 25, 7);
    const b = await gaussianNoise(photo, 25, 7);
    const c = await gaussianNoise(photo, 25, 8);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    const orig = await sharp(photo).metadata();
    for (const p of PHOTO_PERTURBATIONS) {
      const out = await perturbPhoto(p, photo, 17, 'item-1');
      expect((await perturbPhoto(p, photo, 17, 'item-1')).equals(out)).toBe(true);
      const m = await sharp(out).metadata();
      expect(m.format).toBe('jpeg');
      if (p.id !== 'rotate') expect([m.width, m.height]).toEqual([orig.width, orig.height]);
    }
  });

  it('rotation grows the canvas; low light darkens; blur lowers detail', async () => {
    const orig = await sharp(photo).metadata();
    const rot = await sharp(await rotatePhoto(photo, 30)).metadata();
    expect((rot.width as number) * (rot.height as number)).toBeGreaterThan(
      (orig.width as number) * (orig.height as number),
    );
    const mean = async (b: Buffer) => (await sharp(b).stats()).channels.reduce((s, c) => s + c.mean, 0) / 3;
    const dark = await perturbPhoto(PHOTO_PERTURBATIONS.find((p) => p.id === 'low-light')!, photo, 1, 'x');
    expect(await mean(dark)).toBeLessThan(0.5 * (await mean(photo)));
    const sharpness = async (b: Buffer) => (await sharp(b).stats()).sharpness;
    const blurred = await perturbPhoto(PHOTO_PERTURBATIONS.find((p) => p.id === 'blur')!, photo, 1, 'x');
    expect(await sharpness(blurred)).toBeLessThan(await sharpness(photo));
  });
});

/** Items with hand-set probabilities (labels and answers chosen so each figure can be worked out by hand). */
function item(id: string, label: number, fused: number[], extra: Partial<ItemResult> = {}): ItemResult {
  return { id, set: 's', label, text: fused, fused, photo: 'none', source: 'a', words: 10, ...extra };
}

describe('figures', () => {
  it('ECE: bins of top-class confidence, |accuracy - confidence| weighted by share', () => {
    // Two items at confidence 0.9 (one right, one wrong) and two at 0.6 (both right):
    // bin 0.9: |0.5 - 0.9| = 0.4, share 1/2; bin 0.6: |1 - 0.6| = 0.4, share 1/2 -> ECE 0.4.
    const items = [
      item('1', 0, [0.9, 0.05, 0.05]),
      item('2', 1, [0.9, 0.05, 0.05]),
      item('3', 2, [0.2, 0.2, 0.6]),
      item('4', 2, [0.3, 0.1, 0.6]),
    ];
    const [text, fused] = calibrationFigures(items);
    expect(text?.modality).toBe('text');
    expect(fused?.ece).toBeCloseTo(0.4, 10);
    const bin9 = fused?.bins[9];
    expect(bin9?.count).toBe(2);
    expect(bin9?.accuracy).toBeCloseTo(0.5, 10);
    expect(bin9?.confidence).toBeCloseTo(0.9, 10);
    // A perfectly calibrated set: confidence 1 and always right.
    expect(calibrationFigures([item('1', 0, [1, 0, 0]), item('2', 2, [0, 0, 1])])[1]?.ece).toBe(0);
    // No photo: no image modality.
    expect(calibrationFigures(items).map((c) => c.modality)).toEqual(['text', 'fused']);
  });

  it('classification figures agree with classificationMetrics, with intervals around the estimate', () => {
    const rand = seededRandom(9);
    const y = Array.from({ length: 300 }, () => Math.floor(rand() * 3));
    const p = y.map((t) => (rand() < 0.7 ? t : Math.floor(rand() * 3)));
    const f = classificationFigures(y, p, BOOT);
    const m = classificationMetrics(y, p, 3);
    expect(f.accuracy.estimate).toBeCloseTo(m.accuracy, 12);
    expect(f.macro_f1.estimate).toBeCloseTo(m.macro_f1, 12);
    expect(f.confusion).toEqual(m.confusion);
    for (const i of [f.accuracy, f.macro_f1]) {
      expect(i.low).toBeLessThanOrEqual(i.estimate);
      expect(i.high).toBeGreaterThanOrEqual(i.estimate);
      expect(i.high - i.low).toBeGreaterThan(0.02);
    }
    expect(classificationFigures(y, p, BOOT)).toEqual(f);
  });

  it('slices: length buckets, photo, sources; small slices and single-valued dimensions are left out', () => {
    expect([5, 20, 21, 60, 61, 150, 151].map(lengthBucket)).toEqual([
      '1-20 words',
      '1-20 words',
      '21-60 words',
      '21-60 words',
      '61-150 words',
      '61-150 words',
      '151+ words',
    ]);
    const items: ItemResult[] = [];
    for (let i = 0; i < 60; i++) {
      items.push(
        item(`${i}`, i % 3, i % 2 ? [1, 0, 0] : [0, 0, 1], {
          source: i < 30 ? 'shop-a' : i < 51 ? 'shop-b' : 'shop-c',
          words: i < 30 ? 10 : 100,
          photo: i < 50 ? 'used' : 'none',
        }),
      );
    }
    const sl = sliceFigures(items, BOOT);
    expect(sl.map((s) => `${s.dimension}:${s.value}:${s.n}`)).toEqual([
      'source:shop-a:30',
      'source:shop-b:21',
      'length:1-20 words:30',
      'length:61-150 words:30',
    ]);
  });

  it('modality: text, photo and fused on the same items; fused minus text is a paired difference', () => {
    const items: ItemResult[] = [];
    for (let i = 0; i < 90; i++) {
      const label = i % 3;
      const right = [0, 0, 0];
      right[label] = 1;
      const wrong = [0, 0, 0];
      wrong[(label + 1) % 3] = 1;
      // Text right on a third, photo right on two thirds, fused right on all.
      items.push(
        item(`${i}`, label, right, { text: i % 3 === 0 ? right : wrong, image: i % 3 ? right : wrong, photo: 'used' }),
      );
    }
    items.push(item('no-photo', 0, [1, 0, 0]));
    const m = modalityFigures(items, BOOT);
    expect(m?.n).toBe(90);
    expect(m?.text.accuracy).toBeCloseTo(1 / 3, 10);
    expect(m?.image.accuracy).toBeCloseTo(2 / 3, 10);
    expect(m?.fused.accuracy).toBe(1);
    expect(m?.fused_minus_text.accuracy.estimate).toBeCloseTo(2 / 3, 10);
    expect(m?.fused_minus_text.accuracy.low).toBeGreaterThan(0.4);
    expect(modalityFigures([item('x', 0, [1, 0, 0])], BOOT)).toBeUndefined();
  });

  it('compares two runs on the same items: a model against itself differs by exactly 0', () => {
    const items = Array.from({ length: 40 }, (_, i) => item(`${i}`, i % 3, i % 4 ? [0.1, 0.1, 0.8] : [0.7, 0.2, 0.1]));
    const run: ModelRun = {
      model: { name: 'm', version: '1' },
      items,
      robustness: [],
      seconds: 1,
    };
    const diffs = compareRuns(run, { ...run, model: { name: 'm', version: '0' } }, ['s'], BOOT);
    expect(diffs.map((d) => d.what)).toEqual(['s: accuracy', 's: macro-F1', 's: ECE (fused)']);
    for (const d of diffs) expect([d.diff.estimate, d.diff.low, d.diff.high]).toEqual([0, 0, 0]);
    const better = {
      ...run,
      items: items.map((r) => ({ ...r, fused: [0, 0, 0].map((_, c) => (c === r.label ? 1 : 0)) })),
    };
    const acc = compareRuns(better, run, ['s'], BOOT)[0];
    expect(acc?.diff.low).toBeGreaterThan(0);
    expect(() => compareRuns(run, { ...run, items: items.slice(1) }, ['s'], BOOT)).toThrow(/different items/);
  });

  it('the robustness sample does not depend on item order and prefers read photos for photo perturbations', () => {
    const items = Array.from({ length: 50 }, (_, i) => item(`${i}`, 0, [1, 0, 0], { photo: i % 2 ? 'used' : 'none' }));
    const a = robustnessSample(items, 10, 5, 3);
    const b = robustnessSample([...items].reverse(), 10, 5, 3);
    expect(a.text.map((r) => r.id)).toEqual(b.text.map((r) => r.id));
    expect(a.photo.every((r) => r.photo === 'used')).toBe(true);
    expect(a.photo).toHaveLength(5);
    expect(robustnessSample(items, 10, 5, 4).text.map((r) => r.id)).not.toEqual(a.text.map((r) => r.id));
  });

  it('the data hash changes with any text, label or photo reference', () => {
    const base = [{ id: '1', text: 'good', label: 'positive' as const, source: 'x' }];
    const h = dataHash(base);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(dataHash([{ ...base[0]!, text: 'good!' }])).not.toBe(h);
    expect(dataHash([{ ...base[0]!, label: 'neutral' }])).not.toBe(h);
    expect(dataHash([{ ...base[0]!, image: 'a.jpg' }])).not.toBe(h);
    expect(dataHash(base)).toBe(h);
  });
});

describe('SVG charts', () => {
  it('radar: one spoke and label per axis, a polygon per series, escaped labels', () => {
    const svg = radarSvg(
      ['swaps', 'drops', '<script>x</script>', 'blur'],
      [
        { name: 'cand', values: [1, 0.5, 0.25, Number.NaN] },
        { name: 'prod', values: [0.5, 0.5, 0.5, 0.5], dashed: true },
      ],
      'Robustness radar',
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('aria-label="Robustness radar"');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&#60;script&#62;');
    // 4 grid rings + 2 series polygons; 4 spokes; 4 points per series.
    expect(svg.match(/<polygon /g)).toHaveLength(6);
    expect(svg.match(/<line /g)).toHaveLength(4);
    expect(svg.match(/<circle /g)).toHaveLength(8);
    expect(svg).toContain('stroke-dasharray');
    expect(svg).toContain('blur n/a');
    // The first axis points straight up: value 1 sits at the rim above the centre (230, 175 - 130).
    expect(svg).toContain('cx="230" cy="45"');
    expect(() => radarSvg(['a', 'b'], [], 'x')).toThrow(/3 axes/);
  });

  it('confusion matrix: a cell per pair with its count; reliability and bars draw their points', () => {
    const c = confusionSvg(
      [
        [5, 1, 0],
        [2, 3, 1],
        [0, 0, 9],
      ],
      ['negative', 'neutral', 'positive'],
      'Confusion',
    );
    expect(c.match(/<rect /g)).toHaveLength(9);
    expect(c).toContain('true neutral, predicted negative: 2 (33.3% of the row)');
    const r = reliabilitySvg(
      [{ name: 'fused', ece: 0.05, bins: [{ lower: 0.5, upper: 0.6, count: 10, confidence: 0.55, accuracy: 0.6 }] }],
      'Reliability',
    );
    expect(r).toContain('fused (ECE 0.050)');
    expect(r.match(/<circle /g)).toHaveLength(1);
    const b = barsSvg([{ label: 'text only', value: 0.5, low: 0.4, high: 0.6 }], 'Bars');
    expect(b).toContain('text only: 0.500 (95% CI 0.400-0.600)');
  });
});

describe('report file', () => {
  const run: ModelRun = {
    model: { name: 'reviewlens-fusion', version: '9' },
    items: rows.map((r, i) => ({
      id: r.id,
      set: 'MVSA sample',
      label: ['negative', 'neutral', 'positive'].indexOf(r.label),
      text: i % 2 ? [0.2, 0.2, 0.6] : [0.6, 0.2, 0.2],
      image: [0.3, 0.3, 0.4],
      fused: i % 3 ? [0.1, 0.2, 0.7] : [0.7, 0.2, 0.1],
      photo: 'used' as const,
      source: 'mvsa-single',
      words: r.text.split(/\s+/).length,
    })),
    robustness: [],
    seconds: 2,
  };
  const sets = [
    {
      name: 'MVSA sample',
      origin: 'test',
      items: rows.map((r) => ({ id: r.id, text: r.text, label: r.label, source: 'mvsa-single', image: r.image })),
      skipped: [{ reason: 'label outside the three classes', count: 2 }],
      notes: [],
    },
  ];
  const report = buildReport({
    command: 'reviewlens eval --report r.html',
    createdAt: '2026-12-01T00:00:00.000Z',
    sets,
    runs: [run],
    boot: BOOT,
    seeds: { bootstrap: 5, perturbation: 5, sample: 5 },
    options: { resamples: 200, robustness_n: 0, photo_n: 0, glowing_n: 0 },
    seconds: 3,
  });

  it('is one self-contained page: no script, no external reference, under 2 MB', () => {
    const html = renderReport(report, { jsonFile: 'r.json' });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    // The only URLs are SVG namespace declarations.
    const urls = html.match(/https?:\/\/[^\s"')<]+/g) ?? [];
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
    expect(html).toContain('1 × label outside the three classes'.replace('1', '2'));
    expect(html).toContain(report.data[0]?.sha256.slice(0, 16));
    expect(Buffer.byteLength(html)).toBeLessThan(2 * 1024 * 1024);
  });

  it('is written whole or not at all', () => {
    const dir = tempDir();
    const target = join(dir, 'r.html');
    expect(jsonPathFor(target)).toBe(join(dir, 'r.json'));
    // The second target is a directory: renaming a file onto it fails, after the first was written to a temp file.
    mkdirSync(join(dir, 'blocked.html'));
    expect(() =>
      writeAtomically([
        { path: target, content: 'x' },
        { path: join(dir, 'blocked.html', ''), content: 'y' },
      ]),
    ).toThrow();
    expect(readdirSync(dir)).toEqual(['blocked.html']);
    writeAtomically([{ path: target, content: 'whole' }]);
    expect(readFileSync(target, 'utf8')).toBe('whole');
    expect(readdirSync(dir).sort()).toEqual(['blocked.html', 'r.html']);
    expect(existsSync(`${target}.tmp`)).toBe(false);
  });
});

describe('load test bounds', () => {
  it('accepts loopback addresses only', () => {
    expect(loopbackOrigin('http://127.0.0.1:8080/x')).toBe('http://127.0.0.1:8080');
    expect(loopbackOrigin('http://localhost:1')).toBe('http://localhost:1');
    expect(loopbackOrigin('http://[::1]:9')).toBe('http://[::1]:9');
    expect(loopbackOrigin('http://127.8.9.10')).toBe('http://127.8.9.10');
    for (const bad of [
      'http://10.0.0.1',
      'https://example.com',
      'http://127.0.0.1.nip.io',
      'ftp://127.0.0.1',
      'nonsense',
    ]) {
      expect(() => loopbackOrigin(bad)).toThrow(/--load/);
    }
  });
});
