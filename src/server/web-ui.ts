import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The built web UI (`npm run build:web`, run by `npm ci`'s postinstall). */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>reviewlens</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:3rem auto;line-height:1.5">
<h1>reviewlens</h1>
<p>The web UI has not been built on this machine. Run <code>npm run build:web</code> and reload this page.</p>
<p>The API is running: see <a href="/api/docs">/api/docs</a> and <a href="/api/health">/api/health</a>.</p>
</body></html>`;

/**
 * Serves the web UI's static files at `/` (no CDN, nothing fetched at run time). Its pages live behind
 * `#/...` hashes, so `/` is the only HTML route. Without a build, `/` says how to make one.
 */
export async function registerWebUi(app: FastifyInstance, dir = WEB_DIST): Promise<void> {
  if (!existsSync(`${dir}/index.html`)) {
    app.get('/', { config: { scope: 'public' }, schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/html; charset=utf-8').send(NOT_BUILT),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    // The build writes .br and .gz beside each asset (web/vite.config.ts).
    preCompressed: true,
    cacheControl: true,
    maxAge: 0,
    setHeaders: (res, path) => {
      // Vite's hashed assets never change; index.html must be revalidated to pick up a new build.
      if (path.includes('/assets/')) res.header('Cache-Control', 'public, max-age=31536000, immutable');
      else res.header('Cache-Control', 'no-cache');
    },
  });
}
