import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * The Content-Security-Policy of every answer. The web UI (web/dist, built by Vite) loads only its own
 * hashed script and style files, calls only its own API, and shows photos from `/api/photos/...` and
 * previews of a picked file as `blob:` URLs; React's `style={...}` props are set through the DOM, which a
 * CSP does not govern. Nothing else is needed, so nothing else is allowed: no inline script, no other
 * origin, no plugins, no framing by other sites (clickjacking).
 */
export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
} as const;

/** Headers a browser may read from a cross-origin answer (request id, rate-limit state). */
const EXPOSED_HEADERS = [
  'x-request-id',
  'retry-after',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'www-authenticate',
];

/** Options of `registerSecurityHeaders`. */
export interface SecurityOptions {
  /**
   * Origins allowed to call the API from a browser (`server.corsOrigins`, already validated). Empty: no
   * CORS headers at all, so only the server's own web UI can call it from a browser. `*`: any origin.
   */
  corsOrigins: readonly string[];
}

/**
 * Security headers on every answer, the web UI's and the API's, errors included (`@fastify/helmet`): the CSP
 * above, `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`,
 * `Strict-Transport-Security` (browsers heed it only over HTTPS, e.g. behind a TLS proxy),
 * `Cross-Origin-Opener-Policy: same-origin`, `Cross-Origin-Resource-Policy` (`same-origin`, or
 * `cross-origin` when CORS origins are configured so their pages can show review photos). CORS is off
 * unless origins are configured (`@fastify/cors`); credentials (cookies) are never allowed: API keys
 * travel in headers. Register before the auth hook so that refused requests carry the headers too.
 */
export async function registerSecurityHeaders(app: FastifyInstance, opts: SecurityOptions): Promise<void> {
  const origins = opts.corsOrigins.map((o) => (o === '*' ? o : new URL(o).origin));
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: origins.length > 0 ? 'cross-origin' : 'same-origin' },
  });
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'x-api-key', 'content-type', 'x-request-id'],
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: 600,
  });
}
