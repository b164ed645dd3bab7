import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classificationMetrics } from '../../src/evaluation/index.js';
import { argmax, type EvalReport, type ItemResult } from '../../src/evaluation/report/index.js';
import { BUNDLED_ARTIFACT } from '../../src/server/index.js';
import { cli } from '../helpers/cli.js';
import { mvsaImage, mvsaRows } from '../helpers/mvsa.js';
import { SHARED, tempDir } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/**
 * `reviewlens eval --report` end to end on a small real sample: a user file of MVSA-Single tweets with their
 * photos (and bad rows: a label outside the three classes, a missing photo, a file that is not an image), a
 * CSV of real review sentences without a photo column, a candidate model (the bundled one without its
 * damaged-product check) against production (the bundled one), and a load test against a real server on
 * loopback. Small options keep it to well under a minute of CPU.
 */
const dir = tempDir('reviewlens-eval-');
const dataDir = tempDir('reviewlens-eval-data-');
let server: RunningServer;

const rows = mvsaRows().slice(200, 224);
const userFile = join(dir, 'reviews.jsonl');
const csvFile = join(dir, 'sentences.csv');
const candidate = join(dir, 'candidate.json');

beforeAll(async () => {
  writeFileSync(join(dir, 'broken.jpg'), 'this is not a JPEG');
  const lines = [
    ...rows.map((r) => JSON.stringify({ text: r.text, image: mvsaImage(r), label: r.label, source: 'mvsa' })),
    JSON.stringify({ text: 'Five stars, would buy again', image: mvsaImage(rows[0]!), label: 'excellent' }),
    JSON.stringify({
      text: 'The box was empty when it came',
      image: join(dir, 'no-such-photo.jpg'),
      label: 'negative',
    }),
    JSON.stringify({ text: 'Nice colour, fits well', image: 'broken.jpg', label: 'positive' }),
  ];
  writeFileSync(userFile, `${lines.join('\n')}\n`);
  const sentences = readFileSync(join(SHARED, 'uci-sentences', 'amazon_cells_labelled.txt'), 'utf8')
    .trim()
    .split('\n')
    .slice(0, 22)
    .map((l) => {
      const [text, y] = l.split('\t');
      return `"${(text ?? '').replace(/"/g, '""')}",${y?.trim() === '1' ? 'positive' : 'negative'}`;
    });
  writeFileSync(csvFile, `text,label\n${sentences.join('\n')}\n`);
  // A real variant of the bundled model: the same heads without the damaged-product check.
  const art = JSON.parse(readFileSync(BUNDLED_ARTIFACT, 'utf8'));
  art.version = `${art.version}-nodamage`;
  delete art.components.damage;
  writeFileSync(candidate, JSON.stringify(art));
  server = await startServer();
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('reviewlens eval --report', () => {
  it('writes the report and its JSON, compares with production, counts bad rows, and load-tests the server', async () => {
    const report = join(dir, 'out', 'report.html');
    const r = await cli(
      dataDir,
      [
        'eval',
        '--model',
        candidate,
        '--against',
        'production',
        '--data',
        userFile,
        csvFile,
        '--report',
        report,
        '--load',
        server.url,
        '--load-seconds',
        '1',
        '--load-levels',
        '1,2',
        '--robustness-n',
        '12',
        '--photo-n',
        '4',
        '--glowing-n',
        '3',
        '--resamples',
        '200',
        '--json',
      ],
      { REVIEWLENS_SHARED_DATA: SHARED },
    );
    expect(r.stderr).not.toMatch(/Error:|at .*\.ts:\d+/);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as EvalReport;
    const bundled = JSON.parse(readFileSync(BUNDLED_ARTIFACT, 'utf8')) as { name: string; version: string };
    expect(rep.model.version).toBe(`${bundled.version}-nodamage`);
    expect(rep.against).toEqual({ name: bundled.name, version: bundled.version });

    // Bad input: recorded, counted, never fatal.
    const [user, csv] = rep.data;
    expect(user?.n).toBe(26);
    expect(user?.skipped).toEqual([{ reason: 'label outside the three classes', count: 1 }]);
    expect(csv?.n).toBe(22);
    expect(csv?.notes.join(' ')).toMatch(/no photo column/);
    const cand = rep.models[0]!;
    const prod = rep.models[1]!;
    expect(cand.sets[0]?.photos).toEqual({ used: 24, none: 0, unreadable: 2 });
    expect(cand.sets[1]?.photos).toEqual({ used: 0, none: 22, unreadable: 0 });
    // Modality comparison only where photos were read.
    expect(cand.sets[0]?.modality?.n).toBe(24);
    expect(cand.sets[1]?.modality).toBeUndefined();
    expect(cand.sets[0]?.calibration.map((c) => c.modality)).toEqual(['text', 'image', 'fused']);

    // Robustness: every perturbation ran on its sample, for both models.
    expect(cand.robustness).toHaveLength(13);
    for (const p of cand.robustness) {
      expect(p.n).toBe(p.kind === 'text' ? 12 : 4);
      expect(p.flips).toBeLessThanOrEqual(p.n);
    }
    expect(cand.behaviour?.overall.n).toBe(266);
    // Without the damaged-product check nothing is overruled; the glowing texts then read positive.
    expect(cand.glowing?.damaged.overruled).toBe(0);
    expect(cand.glowing?.damaged.n).toBe(9);
    expect(prod.glowing?.damaged.n).toBe(9);

    // Against production: same items, paired differences with intervals.
    const whats = rep.comparison?.map((d) => d.what) ?? [];
    expect(whats).toContain('reviews.jsonl: macro-F1');
    expect(whats).toContain('robustness: swaps 3% accuracy');
    expect(whats).toContain('behaviour suite: pass rate');
    for (const d of rep.comparison ?? []) {
      expect(d.diff.estimate).toBeCloseTo(d.candidate - d.production, 9);
      expect(d.diff.low).toBeLessThanOrEqual(d.diff.high);
    }

    // Load test against the real server on loopback.
    expect(rep.load?.levels.map((l) => l.connections)).toEqual([1, 2]);
    for (const l of rep.load?.levels ?? []) {
      expect(l.requests).toBeGreaterThan(0);
      expect(l.errors + l.non2xx).toBe(0);
      expect(l.p50).toBeLessThanOrEqual(l.p99);
    }
    expect(rep.load?.served_model).toContain(bundled.version);

    // Files: the HTML and, next to it, the JSON every figure is recomputed from.
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['report.html', 'report.json']);
    expect(statSync(report).size).toBeLessThan(2 * 1024 * 1024);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('Against production');
    expect(html).toContain('Latency and throughput');
    const stored = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')) as EvalReport & {
      runs: Array<{ items: ItemResult[] }>;
    };
    expect(stored.data.map((d) => d.sha256)).toEqual(rep.data.map((d) => d.sha256));
    expect(stored.seeds).toEqual({ bootstrap: 17, perturbation: 17, sample: 17 });
    const items = stored.runs[0]!.items.filter((i) => i.set === 'reviews.jsonl');
    const m = classificationMetrics(
      items.map((i) => i.label),
      items.map((i) => argmax(i.fused)),
      3,
    );
    expect(m.accuracy).toBeCloseTo(cand.sets[0]!.classification.accuracy.estimate, 9);
    expect(m.macro_f1).toBeCloseTo(cand.sets[0]!.classification.macro_f1.estimate, 9);
  }, 480_000);

  it('refuses bad input with a clear error and leaves no file behind', async () => {
    const out = join(dir, 'bad');
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    const wrongLabels = join(dir, 'wrong-labels.csv');
    writeFileSync(wrongLabels, 'text,label\nGreat,excellent\nAwful,terrible\n');
    const cases: Array<[string[], RegExp]> = [
      [['--data', empty], /empty\.jsonl has no usable rows \(0 skipped\)/],
      [['--data', wrongLabels], /no usable rows \(2 skipped\)/],
      [['--data', join(dir, 'missing.jsonl')], /no such file \(built-in sets: ecommerce-test, mvsa-test\)/],
      [['--data', userFile, '--load', 'http://10.1.2.3:8080'], /--load only drives a server on this machine/],
      [['--data', userFile, '--report', join(out, 'report.pdf')], /--report must name an \.html file/],
    ];
    for (const [args, msg] of cases) {
      const r = await cli(dataDir, ['eval', '--report', join(out, 'report.html'), ...args]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    }
  }, 120_000);
});
