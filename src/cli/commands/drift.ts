import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ValidationError } from '../../core/errors.js';
import { cliConfig } from '../shared.js';

const err = (m: string) => process.stderr.write(`${m}\n`);

/**
 * `reviewlens drift reference`: the reference distributions drift is measured against (src/drift), from the
 * model's own answers on the e-commerce val split (marc + womens-clothing, 1500 star-balanced reviews, the split the
 * model was calibrated on and never trained on), written to `data/drift/<name>@<version>.json` unless `--out`.
 */
export function registerDriftCommands(program: Command): void {
  const drift = program
    .command('drift')
    .description('drift of live traffic against the model’s training reference (PSI)');
  drift
    .command('reference')
    .description(
      'analyze the e-commerce val split with a model and write the reference histograms drift is measured against',
    )
    .option('--artifact <file>', 'the model artifact (default: the bundled artifacts/reviewlens-fusion.json)')
    .option('--out <file>', 'where to write it (default data/drift/<name>@<version>.json in the repository)')
    .option('--limit <n>', 'analyze only the first n val reviews (a quicker, rougher reference)')
    .option('--data <dir>', 'the shared data directory (default ../shared/data or REVIEWLENS_SHARED_DATA)')
    .action(async (o: { artifact?: string; out?: string; limit?: string; data?: string }) => {
      const cfg = cliConfig(program, { 'log.level': 'silent' });
      const limit = o.limit === undefined ? Number.POSITIVE_INFINITY : Number(o.limit);
      if (!(limit > 0)) throw new ValidationError(`--limit must be a positive number, got ${o.limit}`, 'limit');
      const { parseArtifact, loadArtifactEncoders } = await import('../../models/index.js');
      const { BUNDLED_ARTIFACT } = await import('../../server/index.js');
      const { Analyzer } = await import('../../sentiment/index.js');
      const { loadEcommerce, sharedDataDir } = await import('../../training/index.js');
      const { buildReference, referenceFileFor, writeReference } = await import('../../drift/index.js');
      const file = resolve(o.artifact ?? BUNDLED_ARTIFACT);
      if (!existsSync(file)) throw new ValidationError(`--artifact ${file}: no such file`, 'artifact');
      const artifact = parseArtifact(readFileSync(file), file);
      const dataDir = o.data ? resolve(o.data) : sharedDataDir();
      if (!existsSync(join(dataDir, 'ecommerce-reviews'))) {
        throw new ValidationError(
          `no e-commerce reviews in ${dataDir} (ecommerce-reviews/): pass --data DIR or set REVIEWLENS_SHARED_DATA`,
          'data',
        );
      }
      const val = loadEcommerce(dataDir).val.slice(0, limit);
      err(`${artifact.name}@${artifact.version}: analyzing ${val.length} e-commerce val reviews`);
      const encoders = await loadArtifactEncoders(cfg.models, artifact);
      try {
        const analyzer = new Analyzer(artifact, encoders, { ...cfg.limits }, cfg.models.useImage);
        const obs = [];
        for (const [i, ex] of val.entries()) {
          const a = await analyzer.analyze({ text: ex.text });
          obs.push({
            sentiment: a.sentiment,
            confidence: a.confidence,
            textChars: ex.text.length,
            hasPhoto: false,
            mismatch: a.mismatch,
          });
          if ((i + 1) % 250 === 0) err(`  ${i + 1}/${val.length}`);
        }
        const reference = buildReference(
          artifact,
          obs,
          `the model's answers on the e-commerce val split (${val.length} star-balanced reviews of marc and womens-clothing, text only: data/splits/ecommerce.json)`,
        );
        const out = o.out ? resolve(o.out) : referenceFileFor(artifact);
        await writeReference(reference, out);
        process.stdout.write(`${out}\n`);
      } finally {
        await encoders.text.dispose();
        await encoders.image.dispose();
      }
    });
}
