import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { ValidationError } from '../../core/errors.js';
import type { FusionArtifact } from '../../models/artifact.js';
import type { Example } from '../../training/datasets.js';
import { cliConfig, resolveModelRef, withRegistry } from '../shared.js';
import { registerEvalCommand } from './eval.js';

const say = (m: string) => process.stdout.write(`${m}\n`);

/** `reviewlens train` and `reviewlens eval` (in eval.ts). */
export function registerTrainCommands(program: Command): void {
  program
    .command('train')
    .description(
      'train the multimodal model, score it on held-out data, record the run, and register it through the gate.\n' +
        'Without --data: from ../shared/data (MVSA-Single + the general text corpus). With --data: adapt a base\n' +
        'model (default: production) to your labelled reviews; seeded 70/10/20 split, scored on your test part.\n' +
        'Image URLs on loopback, private, link-local or metadata addresses are refused unless\n' +
        'REVIEWLENS_INGEST_ALLOW_HOSTS lists them.',
    )
    .option('-d, --data <file>', 'your labelled reviews: .jsonl, .csv or .tsv with text, image (path or URL), label')
    .option('--images <dir>', "folder that relative image paths in --data are resolved against (default: the file's)")
    .option(
      '--base <ref>',
      'with --data: model whose general text models are kept (production, NAME@VERSION, none)',
      'production',
    )
    .option('-o, --out <file>', 'artifact path', 'artifacts/reviewlens-fusion.json')
    .option('--cache <dir>', 'feature cache directory (encoder outputs, reused across runs)', '.cache/features')
    .option('--seed <n>', 'random seed', '42')
    .option('--folds <n>', 'folds for the out-of-fold meta features', '5')
    .option(
      '--augment',
      'add composed reviews (contrast, sarcasm, long) to the text training (measured: lower val macro-F1)',
    )
    .option(
      '--words <asset>',
      'word vectors whose mean joins MiniLM as the general text head input: a model asset such as glove-6b-100d (measured: no significant gain on val, so not in the shipped recipe), or "none"; with --data the base model choice is kept',
      'none',
    )
    .option(
      '--z-clip <z>',
      'clip standardised inputs of the review text heads at +-z (a number), or "none"; default: the shipped recipe (Z_CLIP)',
      parseZClip,
    )
    .option(
      '--fdu-share <share>',
      "share (0..1) of FDU-MTL's binary training reviews (14 Amazon domains) added to the e-commerce training split; default: the shipped recipe (FDU_TRAIN_SHARE)",
      parseShare,
    )
    .option(
      '--synthetic <file>',
      'synthetic reviews (the JSONL `reviewlens synth` writes: text, sentiment, source synthetic) added to the e-commerce training split of the review text model only, never to val or test; counted apart from real reviews in the log, data hash and artifact (params.synthetic). Text only: photos in the file are not used. Not with --data unless --base none. Default: none (the shipped recipe)',
    )
    .option('--promote', 'promote the model to production when it passes the gate')
    .option('--no-register', 'only write the artifact; do not record the run or touch the registry')
    .action(
      async (o: {
        data?: string;
        images?: string;
        base: string;
        out: string;
        cache: string;
        seed: string;
        folds: string;
        augment?: boolean;
        words: string;
        zClip?: number | null;
        fduShare?: number;
        synthetic?: string;
        promote?: boolean;
        register: boolean;
      }) => {
        const cfg = cliConfig(program);
        let data: { examples: Example[]; name: string } | undefined;
        let base: FusionArtifact | undefined;
        if (o.data) {
          const { loadUserData } = await import('../../training/user-data.js');
          const { examples, report } = loadUserData(resolve(o.data), o.images);
          say(
            `${o.data}: ${report.rows} rows, ${report.used} used (${report.withImage} with a photo), ${report.skipped.length} skipped`,
          );
          for (const sk of report.skipped.slice(0, 10)) say(`  row ${sk.row} skipped: ${sk.reason}`);
          data = { examples, name: `user:${o.data.split('/').pop()}` };
          if (o.base !== 'none') {
            const { BUNDLED_ARTIFACT } = await import('../../server/index.js');
            base = await withRegistry(program, async (r) => {
              // As the server does on start: a fresh store has the bundled model as production.
              await r.bootstrap(BUNDLED_ARTIFACT);
              const ref = await resolveModelRef(r, o.base);
              const a = await r.load(ref.name, ref.version);
              if (a.format !== 'reviewlens.model/2') {
                throw new Error(`--base ${ref.name}@${ref.version} is not a multimodal (format 2) model`);
              }
              return a;
            });
            say(`base model: ${base.name}@${base.version} (its general text and sarcasm models are kept)`);
          }
        }
        let synthetic: import('../../training/synthetic-data.js').SyntheticTrainingData | undefined;
        if (o.synthetic) {
          const { loadSyntheticTraining } = await import('../../training/synthetic-data.js');
          synthetic = loadSyntheticTraining(resolve(o.synthetic));
          const c = synthetic.byLabel;
          say(
            `${o.synthetic}: ${synthetic.examples.length} synthetic reviews (negative ${c.negative} / neutral ${c.neutral} / positive ${c.positive})` +
              (synthetic.photosIgnored ? `; ${synthetic.photosIgnored} photos not used (text only)` : ''),
          );
          if (base) {
            throw new ValidationError(
              `--synthetic joins the review text model's training, which --data reuses from the base model ${base.name}@${base.version}; add --base none`,
              'synthetic',
            );
          }
        }
        const opts = {
          ...(data ? { data } : {}),
          ...(base ? { base } : {}),
          modelsDir: cfg.models.dir,
          cacheDir: resolve(o.cache),
          out: resolve(o.out),
          threads: cfg.models.threads,
          seed: Number(o.seed),
          folds: Number(o.folds),
          ...(o.augment ? { augment: true } : {}),
          words: o.words === 'none' ? (false as const) : o.words,
          ...(o.zClip !== undefined ? { zClip: o.zClip } : {}),
          ...(o.fduShare !== undefined ? { fduTrainShare: o.fduShare } : {}),
          ...(synthetic ? { synthetic } : {}),
          // Photo URLs in --data go through the SSRF guard, with ingest.allowHosts as its allow list.
          fetcher: (await import('../../net/index.js')).fetcherFromConfig(cfg),
          log: say,
        };
        if (!o.register) {
          const { trainMultimodal } = await import('../../training/multimodal.js');
          await trainMultimodal(opts);
          return;
        }
        const { openBlobStore, MetadataStore } = await import('../../storage/index.js');
        const { runTraining } = await import('../../training/run.js');
        const meta = await MetadataStore.open({ url: cfg.database.url, dataDir: cfg.dataDir });
        try {
          const r = await runTraining(
            { meta, blobs: openBlobStore(cfg) },
            { ...opts, gate: { minMacroF1: cfg.training.minMacroF1 }, promote: o.promote ?? false },
          );
          say(
            `run ${r.runId}: ${r.version} ${r.registered ? 'registered as staging' : 'refused by the gate'}${r.promoted ? ', promoted to production' : ''}`,
          );
          if (!r.registered) process.exitCode = 2;
        } finally {
          await meta.close();
        }
      },
    );

  registerEvalCommand(program);
}

/** `--z-clip`: a positive number, or "none" (null: no clip). */
function parseZClip(v: string): number | null {
  if (v === 'none') return null;
  const z = Number(v);
  if (!Number.isFinite(z) || z <= 0)
    throw new InvalidArgumentError(`--z-clip must be a positive number or "none", not "${v}"`);
  return z;
}

/** `--fdu-share`: a number from 0 to 1. */
function parseShare(v: string): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0 || x > 1)
    throw new InvalidArgumentError(`--fdu-share must be a number from 0 to 1, not "${v}"`);
  return x;
}
