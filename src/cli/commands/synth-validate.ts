import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { cliConfig } from '../shared.js';

const err = (m: string) => process.stderr.write(`${m}\n`);

function int(name: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

interface ValidateOpts {
  synthetic: string;
  real?: string;
  data?: string;
  folds: number;
  seed: number;
  top: number;
  embedding: boolean;
  save?: boolean;
  json?: boolean;
}

const pct = (x: number) => x.toFixed(3);

/**
 * `reviewlens synth validate`: the adversarial validator (src/synthesis validateSynthetic). A discriminator per
 * generator tries to tell the file's synthetic reviews from as many real reviews of the same domain; prints its
 * held-out accuracy with a bootstrap 95% interval (0.5: it cannot tell), the synthetic reviews it found most real
 * and the style features that give synthetic text away. `--save` keeps the report as the last one in
 * `<dataDir>/synthesis/validator-report.json`, which `GET /api/synthesis` and the web UI's Synthesis page show.
 */
export function registerSynthValidateCommand(synth: Command, program: Command): void {
  synth
    .command('validate')
    .description(
      'adversarial validation: cross-validate a discriminator (MiniLM embedding + style features, logistic regression) ' +
        'that tells the synthetic reviews of --synthetic from as many real reviews of the same domain; reports held-out ' +
        'accuracy per generator (and round) with a bootstrap 95% interval (0.5 = cannot tell), the most real-looking ' +
        'samples and the style features that give synthetic text away',
    )
    .requiredOption('--synthetic <file>', 'JSONL of synthetic reviews (reviewlens synth --out)')
    .option(
      '--real <file>',
      'JSONL of real reviews (text plus rating 1-5 or sentiment; department/category, product_id used when present); ' +
        'default: the e-commerce reviews of the shared data (womens-clothing and MARC, minus the held-out test/val split)',
    )
    .option('--data <dir>', 'the shared data directory (default ../shared/data or REVIEWLENS_SHARED_DATA)')
    .option('--folds <n>', 'cross-validation folds, 2-20', int('--folds', 2, 20), 5)
    .option(
      '--seed <n>',
      'seed of the real-review draw, the folds, the classifier and the bootstrap',
      int('--seed', -2147483648, 2147483647),
      1,
    )
    .option('--top <n>', 'most real-looking synthetic samples to list per generator', int('--top', 0, 100), 5)
    .option('--no-embedding', 'style features only (no MiniLM; faster, weaker)')
    .option(
      '--save',
      'keep the report as the last one (<dataDir>/synthesis/validator-report.json, shown by the API and UI)',
    )
    .option('--json', 'print the whole report as JSON on stdout')
    .action(async (opts: ValidateOpts) => {
      // --json, --seed and --data are also options of `synth` itself, and commander gives them to the parent
      // wherever they stand on the line: take them from there when the parent got them.
      const fromParent = (k: 'json' | 'seed' | 'data') =>
        synth.getOptionValueSource(k) === 'cli' ? (synth.opts()[k] as unknown) : undefined;
      const seed = fromParent('seed');
      const o: ValidateOpts = {
        ...opts,
        json: opts.json || fromParent('json') === true,
        ...(typeof seed === 'number' ? { seed } : {}),
        ...(opts.data === undefined && typeof fromParent('data') === 'string'
          ? { data: fromParent('data') as string }
          : {}),
      };
      const cfg = cliConfig(program, { 'log.level': 'silent' });
      const { loadSourceReviews, readRealJsonl, readSyntheticJsonl, saveValidatorReport, validateSynthetic } =
        await import('../../synthesis/index.js');
      const syntheticFile = resolve(o.synthetic);
      const synthetic = readSyntheticJsonl(syntheticFile);
      let real: ReturnType<typeof readRealJsonl>;
      let realSource: string;
      if (o.real) {
        realSource = resolve(o.real);
        real = readRealJsonl(realSource);
      } else {
        const { sharedDataDir } = await import('../../training/datasets.js');
        const dir = o.data ? resolve(o.data) : sharedDataDir();
        real = loadSourceReviews(dir);
        realSource = `${dir}/ecommerce-reviews (womens-clothing, marc-en; minus the test/val split)`;
        if (real.length === 0) {
          const { ValidationError } = await import('../../core/errors.js');
          throw new ValidationError(`no real reviews found in ${dir}/ecommerce-reviews (see --data or --real)`);
        }
      }
      err(
        `synth validate: ${synthetic.length} synthetic review(s) from ${syntheticFile}, ${real.length} real to draw from`,
      );
      let embedder:
        | { id: string; encode(t: readonly string[]): Promise<Float32Array[]>; dispose(): Promise<void> }
        | undefined;
      if (o.embedding) {
        const { MiniLmTextEncoder, resolveAsset } = await import('../../models/index.js');
        const { TEXT_ENCODER } = await import('../../training/index.js');
        const dir = await resolveAsset(cfg.models.dir, TEXT_ENCODER);
        embedder = await MiniLmTextEncoder.load({ assetDir: dir, id: TEXT_ENCODER, threads: cfg.models.threads });
      }
      try {
        const report = await validateSynthetic(synthetic, real, {
          folds: o.folds,
          seed: o.seed,
          topN: o.top,
          syntheticSource: syntheticFile,
          realSource,
          onProgress: (m) => err(`synth ${m}`),
          ...(embedder ? { embedder } : {}),
        });
        if (o.save) err(`synth validate: report saved to ${saveValidatorReport(cfg.dataDir, report)}`);
        if (o.json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        const lines = [
          `Adversarial validation, ${report.folds}-fold, seed ${report.seed}; features: ${report.features.embedding ?? 'no embedding'} + ${report.features.style.length} style features. 0.5 = cannot tell.`,
        ];
        for (const [gen, g] of Object.entries(report.byGenerator)) {
          if (!g.accuracy) {
            lines.push(`${gen}: not measured (${g.skipped})`);
            continue;
          }
          const a = g.accuracy;
          lines.push(
            `${gen}: ${g.pairs} synthetic vs ${g.pairs} real: accuracy ${pct(a.estimate)} [${pct(a.low)}, ${pct(a.high)}], AUC ${g.auc}` +
              `; style only ${pct(g.byFeatures.style?.estimate ?? Number.NaN)}` +
              (g.byFeatures.embedding ? `, embedding only ${pct(g.byFeatures.embedding.estimate)}` : ''),
          );
          for (const [r, v] of Object.entries(g.byRound)) {
            lines.push(
              `  round ${r}: ${v.pairs} pairs, accuracy ${pct(v.accuracy.estimate)} [${pct(v.accuracy.low)}, ${pct(v.accuracy.high)}]`,
            );
          }
          lines.push(
            `  tells (style feature: single-feature AUC, synthetic vs real mean): ${g.giveaways
              .slice(0, 4)
              .map((x) => `${x.feature} ${x.auc} (${x.syntheticMean} vs ${x.realMean})`)
              .join('; ')}`,
          );
          for (const m of g.mostReal)
            lines.push(`  most real (P(synthetic) ${m.pSynthetic}): "${m.text.slice(0, 160)}"`);
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        await embedder?.dispose();
      }
    });
}
