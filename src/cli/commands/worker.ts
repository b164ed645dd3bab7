import type { Command } from 'commander';
import { cliConfig } from '../shared.js';

/**
 * `reviewlens worker`: a pipeline worker for the scale-out runner. It takes step jobs from the BullMQ queue on
 * Redis (`redis.url`, `pipeline.queue.*`) and runs them against the shared metadata store (PostgreSQL,
 * `database.url`), blob store (`blobs.*`) and search index (`retrieval.*`). Start as many as the work needs,
 * on as many machines; SIGTERM/SIGINT hands a running step back to the queue and exits. It logs like the server
 * (`log.level`, `log.format`: human-readable lines on a terminal, JSON lines otherwise, e.g. in a container).
 */
export function registerWorkerCommands(program: Command): void {
  program
    .command('worker')
    .description(
      'run pipeline steps from the BullMQ queue on Redis (scale-out; needs database.url and redis.url); several workers share the work',
    )
    .option('--id <id>', 'name recorded on the steps this worker runs (default host:pid)')
    .action(async (o: { id?: string }) => {
      const cfg = cliConfig(program);
      if (cfg.database.url === '' || cfg.database.url.startsWith('memory:')) {
        throw new Error(
          'a worker shares the metadata store with the servers: set database.url (DATABASE_URL) to a PostgreSQL server',
        );
      }
      if (cfg.redis.url === '') throw new Error('a worker takes its steps from Redis: set redis.url (REDIS_URL)');
      const { openPipelineServices, PIPELINE_STEPS } = await import('../../pipeline/index.js');
      const { PipelineWorker, queueSettings } = await import('../../pipeline/queue/index.js');
      const { BUNDLED_ARTIFACT, createLogger } = await import('../../server/index.js');
      const logger = createLogger({ level: cfg.log.level, format: cfg.log.format });
      const info = (m: string) => logger.info(m);
      const services = await openPipelineServices(cfg, {
        log: (m) => (m.startsWith('ERROR: ') ? logger.error(m.slice(7)) : info(m)),
        bundledArtifact: BUNDLED_ARTIFACT,
      });
      const settings = queueSettings(cfg);
      const worker = new PipelineWorker(services, PIPELINE_STEPS, settings, {
        ...(o.id ? { id: o.id } : {}),
        log: (level, m) => logger[level](m),
      });
      await worker.start();
      info(
        `worker ${worker.id}: taking pipeline steps from queue ${settings.name} (prefix ${settings.prefix}) on ${cfg.redis.url.replace(/\/\/[^@]*@/, '//****@')}`,
      );
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        info(`worker ${worker.id}: ${signal}: stopping; a running step goes back to the queue`);
        await worker.close();
        await services.close();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
      // Runs until a signal stops it.
      await new Promise<never>(() => {});
    });
}
