import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { FusionArtifact } from '../../models/artifact.js';
import type { Example } from '../../training/datasets.js';
import { cliConfig, resolveModelRef, withRegistry } from '../shared.js';

const say = (m: string) => process.stdout.write(`${m}\n`);

/** `reviewlens train` and `reviewlens eval`. */
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
          // Photo URLs in --data go through the SSRF guard, with ingest.allowHosts as its allow list.
          fetcher: (await import('../../net/index.js')).fetcherFromConfig(cfg),
          log: say,
        };
        if (!o.register) {
          const { trainMultimodal } = await import('../../training/multimodal.js');
          await trainMultimodal(opts);
          return;
        }
        const { LocalBlobStore, MetadataStore } = await import('../../storage/index.js');
        const { runTraining } = await import('../../training/run.js');
        const meta = await MetadataStore.open({ url: cfg.database.url, dataDir: cfg.dataDir });
        try {
          const r = await runTraining(
            { meta, blobs: new LocalBlobStore(join(cfg.dataDir, 'blobs')) },
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

  program
    .command('eval')
    .description('score a registered model on labelled data, answering each review as the server does')
    .option('-m, --model <ref>', 'production, staging, or NAME@VERSION', 'production')
    .option(
      '-d, --data <file>',
      'labelled reviews (.jsonl, .csv, .tsv); default: the e-commerce test split (star-balanced), then MVSA-Single test',
    )
    .option('--images <dir>', 'folder for relative image paths in --data')
    .option('--json', 'print JSON')
    .action(async (o: { model: string; data?: string; images?: string; json?: boolean }) => {
      const cfg = cliConfig(program, { 'log.level': 'silent' });
      const progress = (m: string) => process.stderr.write(`${m}\n`);
      const { loadEncoders } = await import('../../models/index.js');
      const { Analyzer } = await import('../../sentiment/analyzer.js');
      const { evaluateAnalyzer, loadEcommerce, loadMvsa, loadUserData, mvsaSplit } = await import(
        '../../training/index.js'
      );
      const artifact = await withRegistry(program, async (r) => {
        const ref = await resolveModelRef(r, o.model);
        return r.load(ref.name, ref.version);
      });
      const sets: Array<{ name: string; examples: Example[] }> = [];
      if (o.data) {
        const { examples: ex, report } = loadUserData(resolve(o.data), o.images);
        progress(`${o.data}: ${report.used} of ${report.rows} rows used`);
        sets.push({ name: o.data, examples: ex });
      } else {
        // The product's own domain first: held-out product reviews; then the tweets with photos.
        sets.push({ name: 'e-commerce test split (star-balanced, text only)', examples: loadEcommerce().test });
        const mvsa = loadMvsa();
        const ids = new Set(mvsaSplit(mvsa).test);
        sets.push({ name: 'MVSA-Single test split', examples: mvsa.filter((e) => ids.has(e.id)) });
      }
      const encoders = await loadEncoders({
        modelsDir: cfg.models.dir,
        threads: cfg.models.threads,
        text: artifact.encoders.text,
        image: artifact.encoders.image,
      });
      try {
        const analyzer = new Analyzer(artifact, encoders, { ...cfg.limits }, cfg.models.useImage);
        const reports = [];
        for (const set of sets) {
          progress(`scoring ${artifact.name}@${artifact.version} on ${set.examples.length} reviews (${set.name})`);
          const fetcher = (await import('../../net/index.js')).fetcherFromConfig(cfg);
          reports.push({ set: set.name, ...(await evaluateAnalyzer(analyzer, set.examples, progress, { fetcher })) });
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
            say(
              `  ${c.label.padEnd(9)} precision ${f(c.precision)} recall ${f(c.recall)} F1 ${f(c.f1)} (n=${c.support})`,
            );
          }
        }
      } finally {
        await encoders.text.dispose();
        await encoders.image.dispose();
      }
    });
}
