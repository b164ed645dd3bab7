import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/core/index.js';
import { type AppContext, buildServer, createContext } from '../../src/server/index.js';
import { MODELS_DIR, tempDir } from './paths.js';

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  ctx: AppContext;
  close(): Promise<void>;
}

/**
 * Starts the real server on 127.0.0.1 with an ephemeral port, embedded stores in a temp directory.
 * API keys are off unless `env` turns them on (`REVIEWLENS_AUTH: 'true'`): the auth tests do.
 * The metadata store is the embedded PGlite in `<dataDir>/db` as `reviewlens start` has it (owned, and shared over its
 * socket), unless `env.DATABASE_URL` says otherwise (`memory://`, `postgres://...`); `opts.dataDir` reuses a directory.
 */
export async function startServer(
  env: Record<string, string> = {},
  opts: { dataDir?: string } = {},
): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? tempDir();
  const cfg = loadConfig({
    env: {
      REVIEWLENS_MODELS_DIR: MODELS_DIR,
      REVIEWLENS_AUTH: 'false',
      REVIEWLENS_RELOAD_INTERVAL_SECONDS: '0',
      ...env,
    },
    cwd: dataDir,
    overrides: { dataDir, 'database.url': env.DATABASE_URL ?? '', 'server.port': 0 },
  });
  const ctx = await createContext(cfg, undefined, { serve: true });
  const app = await buildServer(ctx, { logger: false });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    app,
    ctx,
    async close() {
      await app.close();
      await ctx.close();
    },
  };
}
