import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { AppError } from '../core/errors.js';
import type { AppContext } from './context.js';

/** A client went over its rate limit: 429, with `Retry-After` and `RateLimit-*` headers. */
export class RateLimitedError extends AppError {
  constructor(message: string) {
    super(message, { statusCode: 429, code: 'rate_limited' });
  }
}

const routeOf = (req: FastifyRequest) => req.routeOptions.url ?? 'unmatched';

/**
 * Rate limits per API key (the client address when auth is off) and per route, `rateLimit.max`
 * requests per `rateLimit.windowSeconds` (per-route overrides in `rateLimit.routes`). In-process by
 * default; in Redis when `redis.url` is set, so every server behind a load balancer counts together.
 * Public routes (health, readiness, metrics, docs, photos) are not limited. If Redis fails, requests
 * are let through (and logged) rather than refused.
 */
export async function registerRateLimit(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const cfg = ctx.config.rateLimit;
  if (!cfg.enabled) return;
  let redis: Redis | undefined;
  if (ctx.config.redis.url !== '') {
    redis = new Redis(ctx.config.redis.url, {
      connectTimeout: 2000,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: false,
    });
    // Errors are reported by the requests that meet them (skipOnError lets those through).
    redis.on('error', () => {});
    app.addHook('onClose', async () => {
      redis?.disconnect();
    });
  }
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    max: (req) => cfg.routes[routeOf(req)] ?? cfg.max,
    timeWindow: cfg.windowSeconds * 1000,
    keyGenerator: (req) => `${req.apiKey?.prefix ?? req.ip}|${routeOf(req)}`,
    allowList: (req) =>
      (req.routeOptions.config as { scope?: string }).scope === 'public' || req.routeOptions.url === undefined,
    ...(redis ? { redis, nameSpace: 'reviewlens:ratelimit:' } : {}),
    skipOnError: true,
    enableDraftSpec: true,
    onExceeded: (req) => {
      ctx.metrics.rateLimited.inc({ route: routeOf(req) });
    },
    errorResponseBuilder: (_req, c) =>
      new RateLimitedError(
        `rate limit of ${c.max} requests per ${cfg.windowSeconds} s on this route exceeded; retry in ${c.after}`,
      ),
  });
}
