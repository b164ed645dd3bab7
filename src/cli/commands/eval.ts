import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ValidationError } from '../../core/errors.js';
import { seededRandom, shuffleInPlace } from '../../core/random.js';
import type { EvalItem, EvalSet } from '../../evaluation/report/index.js';
import type { ModelArtifact } from '../../models/artifact.js';
import type { Example } from '../../training/datasets.js';
import { cliConfig, resolveModelRef, withRegistry } from '../shared.js';

const say = (m: string) => process.stdout.write(`${m}\n`);
const progress = (m: string) => process.stderr.write(`${m}\n`);

/** Built-in data set names `--data` accepts besides files. */
export const BUILTIN_SETS = ['ecommerce-test', 'mvsa-test'] as const;

interface EvalOptions {
  model: string;
  data?: string[];
  images?: string;
  json?: boolean;
  report?: string;
  against?: string;
  load?: string;
  loadKey?: string;
  loadSeconds: string;
  loadLevels: string;
  limit?: string;
  robustnessN: string;
  photoN: string;
  glowingN: string;
  resamples: string;
  seed: string;
  behaviour: boolean;
}

const int = (v: string, name: string, min = 0) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new ValidationError(`--${name} must be an integer >= ${min} (got "${v}")`, name);
  return n;
};

/** Keeps the first `n` of a seeded shuffle of the items, in their original order (all when n is undefined). */
function limitItems<T extends { id: string }>(items: T[], n: number | undefined, seed: number): T[] {
  if (n === undefined || items.length <= n) return items;
  const keep = new Set(shuffleInPlace(items.map((e) => e.id).sort(), seededRandom(seed)).slice(0, n));
  return items.filter((e) => keep.has(e.id));
}

/** Groups skip reasons into counts ("label outside the three classes" for any unknown label). */
function countReasons(reasons: string[]): Array<{ reason: string; count: number }> {
  const m = new Map<string, number>();
  for (const r of reasons) {
    const k = r.startsWith('unknown label') ? 'label outside the three classes' : r;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m.entries()].map(([reason, count]) => ({ reason, count }));
}

/** Reads the data sets of `--data` (files or built-in names), applying --limit and the text length limit. */
async function loadSets(o: EvalOptions, maxTextChars: number, seed: number): Promise<EvalSet[]> {
  const training = await import('../../training/index.js');
  const names = o.data && o.data.length > 0 ? o.data : [...BUILTIN_SETS];
  const limit = o.limit !== undefined ? int(o.limit, 'limit', 1) : undefined;
  const sets: EvalSet[] = [];
  for (const name of names) {
    let set: EvalSet;
    if (name === 'ecommerce-test') {
      const items: EvalItem[] = training.loadEcommerce().test.map((e) => ({
        id: e.id,
        text: e.text,
        label: e.label,
        source: e.source,
        ...(e.domain ? { domain: e.domain } : {}),
      }));
      set = {
        name: 'e-commerce test (star-balanced)',
        origin: `ecommerce-test (${training.ECOMMERCE_SPLIT_FILE})`,
        items,
        skipped: [],
        notes: ['text only: these reviews have no photos'],
      };
    } else if (name === 'mvsa-test') {
      const mvsa = training.loadMvsa();
      const ids = new Set(training.mvsaSplit(mvsa).test);
      set = {
        name: 'MVSA-Single test',
        origin: `mvsa-test (${training.MVSA_SPLIT_FILE})`,
        items: mvsa.filter((e) => ids.has(e.id)).map((e: Example) => ({ ...e })),
        skipped: [],
        notes: [],
      };
    } else {
      if (!existsSync(name)) {
        throw new ValidationError(`--data ${name}: no such file (built-in sets: ${BUILTIN_SETS.join(', ')})`, 'data');
      }
      const file = resolve(name);
      const { examples, report } = training.loadUserData(file, o.images);
      const rows = training.readRows(file);
      const hasPhotoColumn = rows.some((r) => training.pickCol(r, training.IMAGE_COLS) !== undefined);
      const items: EvalItem[] = examples.map((e) => {
        const row = rows[Number(e.id.slice('user:'.length)) - 1] ?? {};
        const domain = training.pickCol(row, ['domain', 'category', 'department', 'product_category']);
        const source = training.pickCol(row, ['source', 'shop', 'site']);
        return {
          id: e.id,
          text: e.text,
          label: e.label,
          source:
            typeof source === 'string' && source.trim() !== '' ? source.trim() : (name.split('/').pop() as string),
          ...(e.image ? { image: e.image } : {}),
          ...(typeof domain === 'string' && domain.trim() !== '' ? { domain: domain.trim() } : {}),
        };
      });
      set = {
        name: name.split('/').pop() as string,
        origin: name,
        items,
        skipped: countReasons(report.skipped.map((s) => s.reason)),
        notes: hasPhotoColumn
          ? []
          : [
              `no photo column (${training.IMAGE_COLS.join(', ')}): scored on text only; photo robustness and the modality comparison skip this set`,
            ],
      };
    }
    const tooLong = set.items.filter((e) => e.text.length > maxTextChars).length;
    if (tooLong > 0) {
      set.items = set.items.filter((e) => e.text.length <= maxTextChars);
      set.skipped.push({ reason: `text over limits.maxTextChars (${maxTextChars})`, count: tooLong });
    }
    if (limit !== undefined && set.items.length > limit) {
      set.notes.push(`a seeded sample of ${limit} of ${set.items.length} reviews (--limit ${limit}, seed ${seed})`);
      set.items = limitItems(set.items, limit, seed);
    }
    if (set.items.length === 0) throw new ValidationError(`--data ${name}: no reviews left to score`, 'data');
    if (sets.some((s) => s.name === set.name)) set.name = `${set.name} (${sets.length + 1})`;
    sets.push(set);
    progress(
      `${set.name}: ${set.items.length} reviews (${set.items.filter((e) => e.image).length} with a photo)` +
        (set.skipped.length ? `, skipped ${set.skipped.map((s) => `${s.count} ${s.reason}`).join(', ')}` : ''),
    );
  }
  return sets;
}

/** Loads a model by registry reference (production, staging, NAME@VERSION) or from an artifact file (*.json). */
async function loadArtifacts(program: Command, refs: string[]): Promise<ModelArtifact[]> {
  const { parseArtifact } = await import('../../models/artifact.js');
  const fromFile = (r: string) => /\.json$/i.test(r) && existsSync(r);
  const out: Array<ModelArtifact | undefined> = refs.map((r) =>
    fromFile(r) ? parseArtifact(readFileSync(r), r) : undefined,
  );
  if (out.some((a) => a === undefined)) {
    const { BUNDLED_ARTIFACT } = await import('../../server/index.js');
    await withRegistry(program, async (reg) => {
      // As the server does on start: a fresh store has the bundled model as production.
      await reg.bootstrap(BUNDLED_ARTIFACT);
      for (const [i, r] of refs.entries()) {
        if (out[i]) continue;
        const ref = await resolveModelRef(reg, r);
        out[i] = await reg.load(ref.name, ref.version);
      }
    });
  }
  return out as ModelArtifact[];
}

/** The command line as typed, with the API key's value hidden. */
function commandLine(): string {
  const args = process.argv.slice(2);
  return [
    'reviewlens',
    ...args.map((a, i) => (args[i - 1] === '--load-key' ? '***' : a.startsWith('--load-key=') ? '--load-key=***' : a)),
  ]
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/** The full evaluation: every figure, the HTML report and its JSON (`--report`), comparison and load test. */
async function fullEvaluation(program: Command, o: EvalOptions): Promise<void> {
  const t0 = Date.now();
  const cfg = cliConfig(program, { 'log.level': 'silent' });
  const seed = int(o.seed, 'seed');
  const resamples = int(o.resamples, 'resamples', 100);
  const robustnessN = int(o.robustnessN, 'robustness-n');
  const photoN = int(o.photoN, 'photo-n');
  const glowingN = int(o.glowingN, 'glowing-n');
  const report = await import('../../evaluation/report/index.js');
  if (o.load) report.loopbackOrigin(o.load);
  if (o.report && !/\.html?$/i.test(o.report)) {
    throw new ValidationError(`--report must name an .html file (got ${o.report})`, 'report');
  }
  const sets = await loadSets(o, cfg.limits.maxTextChars, seed);
  const artifacts = await loadArtifacts(program, o.against ? [o.model, o.against] : [o.model]);
  const [cand, prod] = artifacts as [ModelArtifact, ModelArtifact | undefined];
  if (prod && prod.name === cand.name && prod.version === cand.version) {
    progress(`note: --against ${o.against} is the same model as --model (${cand.name}@${cand.version})`);
  }
  const { loadArtifactEncoders } = await import('../../models/index.js');
  const { Analyzer } = await import('../../sentiment/analyzer.js');
  const { readImageSource } = await import('../../training/image-source.js');
  const fetcher = (await import('../../net/index.js')).fetcherFromConfig(cfg);
  const { loadBehaviourSuite } = await import('../../evaluation/index.js');
  const behaviour = o.behaviour ? loadBehaviourSuite() : [];
  let glowing: { damaged: string[]; intact: string[] } | undefined;
  if (glowingN > 0) {
    try {
      const photos = (await import('../../training/index.js')).loadProductPhotos();
      const pick = (c: 'damaged' | 'intact') =>
        limitItems(
          photos.filter((p) => p.condition === c),
          glowingN,
          seed,
        ).map((p) => p.image);
      glowing = { damaged: pick('damaged'), intact: pick('intact') };
    } catch (e) {
      progress(`glowing-text check skipped: product photos unavailable (${(e as Error).message})`);
    }
  }
  const runs = [];
  const encCache = new Map<string, Awaited<ReturnType<typeof loadArtifactEncoders>>>();
  try {
    for (const a of artifacts) {
      const key = `${a.encoders.text}|${a.encoders.image}`;
      let enc = encCache.get(key);
      if (!enc) {
        enc = await loadArtifactEncoders(cfg.models, a);
        encCache.set(key, enc);
      }
      const analyzer = new Analyzer(a, enc, { ...cfg.limits }, cfg.models.useImage);
      runs.push(
        await report.runModel(report.analyzerUnderTest(analyzer), sets, {
          sampleSeed: seed,
          perturbationSeed: seed,
          robustnessN,
          photoN,
          readImage: (ref) => readImageSource(ref, { fetcher }),
          log: progress,
          behaviour,
          ...(glowing ? { glowing } : {}),
        }),
      );
    }
  } finally {
    for (const enc of encCache.values()) {
      await enc.text.dispose();
      await enc.image.dispose();
    }
  }
  let load: Awaited<ReturnType<typeof report.loadTest>> | undefined;
  if (o.load) {
    progress(`load test against ${o.load}`);
    load = await report.loadTest(o.load, {
      levels: o.loadLevels.split(',').map((x) => Number(x.trim())),
      seconds: Number(o.loadSeconds),
      texts: sets.flatMap((s) => s.items.slice(0, 200).map((e) => e.text)),
      ...((o.loadKey ?? process.env.REVIEWLENS_API_KEY) ? { apiKey: o.loadKey ?? process.env.REVIEWLENS_API_KEY } : {}),
      log: progress,
    });
  }
  progress('computing figures (bootstrap intervals)');
  const rep = report.buildReport({
    command: commandLine(),
    createdAt: new Date().toISOString(),
    sets,
    runs,
    boot: { resamples, seed },
    seeds: { bootstrap: seed, perturbation: seed, sample: seed },
    options: {
      resamples,
      ...(o.limit !== undefined ? { limit: Number(o.limit) } : {}),
      robustness_n: robustnessN,
      photo_n: photoN,
      glowing_n: glowingN,
    },
    ...(load ? { load } : {}),
    seconds: (Date.now() - t0) / 1000,
  });
  if (o.report) {
    const w = report.writeReport(o.report, rep, runs);
    progress(`report: ${w.html} (${(w.bytes / 1024).toFixed(0)} KiB); run data: ${w.json}`);
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify(rep, null, 2)}\n`);
    return;
  }
  const f = (x: number) => x.toFixed(3);
  for (const m of rep.models) {
    for (const s of m.sets) {
      const c = s.classification;
      say(
        `${m.model.name}@${m.model.version} on ${s.set} (n=${c.n}): accuracy ${f(c.accuracy.estimate)}  macro-F1 ${f(c.macro_f1.estimate)} (95% CI ${f(c.macro_f1.low)}-${f(c.macro_f1.high)})`,
      );
    }
  }
  for (const d of rep.comparison ?? []) {
    say(
      `  ${d.what}: ${f(d.candidate)} vs ${f(d.production)}, difference ${f(d.diff.estimate)} [${f(d.diff.low)}, ${f(d.diff.high)}]`,
    );
  }
}

/** `reviewlens eval`: metrics on labelled data; with --report (or --against, --load) the full evaluation report. */
export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description(
      'score a model on labelled data, answering each review as the server does. With --report FILE.html: ' +
        'the full evaluation (classification per data set and slice, calibration, robustness to typos, casing, ' +
        'punctuation and photo corruptions, the behaviour suite, text vs photo vs fused, glowing text over ' +
        'damaged-product photos) as one self-contained HTML page, with a JSON of every scored item beside it; ' +
        '--against compares with another model; --load measures latency and throughput of a running server on ' +
        'this machine. Progress goes to stderr.',
    )
    .option('-m, --model <ref>', 'production, staging, NAME@VERSION, or a model artifact file (.json)', 'production')
    .option(
      '-d, --data <files...>',
      `labelled reviews (.jsonl, .csv, .tsv) or built-in sets (${BUILTIN_SETS.join(', ')}); default: both built-in sets`,
    )
    .option('--images <dir>', 'folder for relative image paths in --data')
    .option('--report <file>', 'write the full evaluation as one HTML file (and FILE.json beside it)')
    .option('--against <ref>', 'compare with this model (e.g. production) on the same items, with paired intervals')
    .option('--load <url>', 'load-test a running server on this machine (loopback only), e.g. http://127.0.0.1:8080')
    .option('--load-key <key>', 'API key for --load (default: $REVIEWLENS_API_KEY)')
    .option('--load-seconds <n>', 'seconds per concurrency level (1-30)', '5')
    .option('--load-levels <list>', 'concurrency levels (connections, 1-32), comma-separated', '1,4,8')
    .option('--limit <n>', 'score at most N reviews per data set (a seeded sample)')
    .option('--robustness-n <n>', 'reviews the text perturbations run on', '300')
    .option('--photo-n <n>', 'reviews with a photo the photo perturbations run on', '60')
    .option('--glowing-n <n>', 'damaged and intact product photos for the glowing-text check (each)', '40')
    .option('--resamples <n>', 'bootstrap resamples for the 95% intervals', '1000')
    .option('--seed <n>', 'seed of samples, perturbations and bootstrap', '17')
    .option('--no-behaviour', 'skip the behaviour suite')
    .option('--json', 'print JSON')
    .action(async (o: EvalOptions) => {
      if (o.report || o.against || o.load) {
        await fullEvaluation(program, o);
        return;
      }
      await quickEvaluation(program, o);
    });
}

/** `reviewlens eval` without --report: accuracy, macro-F1 with its interval, per class, on each set. */
async function quickEvaluation(program: Command, o: EvalOptions): Promise<void> {
  const cfg = cliConfig(program, { 'log.level': 'silent' });
  const { loadArtifactEncoders } = await import('../../models/index.js');
  const { Analyzer } = await import('../../sentiment/analyzer.js');
  const { evaluateAnalyzer } = await import('../../training/index.js');
  const seed = int(o.seed, 'seed');
  const sets = await loadSets(o, cfg.limits.maxTextChars, seed);
  const [artifact] = (await loadArtifacts(program, [o.model])) as [ModelArtifact];
  const encoders = await loadArtifactEncoders(cfg.models, artifact);
  try {
    const analyzer = new Analyzer(artifact, encoders, { ...cfg.limits }, cfg.models.useImage);
    const fetcher = (await import('../../net/index.js')).fetcherFromConfig(cfg);
    const reports = [];
    for (const set of sets) {
      progress(`scoring ${artifact.name}@${artifact.version} on ${set.items.length} reviews (${set.name})`);
      reports.push({ set: set.name, ...(await evaluateAnalyzer(analyzer, set.items, progress, { fetcher })) });
    }
    if (o.json) {
      const body = reports.length === 1 ? reports[0] : { sets: reports };
      process.stdout.write(`${JSON.stringify({ model: analyzer.model, ...body }, null, 2)}\n`);
      return;
    }
    const f = (x: number) => x.toFixed(3);
    for (const rep of reports) {
      say(
        `${artifact.name}@${artifact.version} on ${rep.set} (n=${rep.n}, ${rep.photos_used} with photos` +
          `${rep.photos_unreadable ? `, ${rep.photos_unreadable} photos unreadable` : ''})`,
      );
      say(
        `accuracy ${f(rep.accuracy)}  macro-F1 ${f(rep.macro_f1)} (95% CI ${f(rep.macro_f1_ci.low)}-${f(rep.macro_f1_ci.high)})`,
      );
      for (const c of rep.per_class) {
        say(`  ${c.label.padEnd(9)} precision ${f(c.precision)} recall ${f(c.recall)} F1 ${f(c.f1)} (n=${c.support})`);
      }
    }
  } finally {
    await encoders.text.dispose();
    await encoders.image.dispose();
  }
}
