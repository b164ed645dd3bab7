import { createRequire } from 'node:module';
import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { AppError } from '../core/errors.js';
import type { CacheHealth } from '../storage/index.js';
import { maskRedisUrl } from '../storage/redis-cache.js';
import type { AppContext } from './context.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Where the rate limits are counted now (Redis, or the in-process fallback), for `/api/ready`. */
    rateLimitHealth?: () => CacheHealth;
  }
}

/** The stores @fastify/rate-limit ships (CommonJS, untyped files): one counts in Redis, one in-process. */
type StoreCtor = new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  ...rest: unknown[]
) => FastifyRateLimitStore;
const requireCjs = createRequire(import.meta.url);
const RedisStore = requireCjs('@fastify/rate-limit/store/RedisStore.js') as StoreCtor;
const LocalStore = requireCjs('@fastify/rate-limit/store/LocalStore.js') as StoreCtor;

/** Whether Redis counts the limits now; switches (and logs) when a failure or a recovery says so. */
class LimiterState {
  mode: 'primary' | 'fallback' = 'primary';
  since = Date.now();
  reason = '';
  private lastFailure = 0;

  constructor(
    private readonly redis: Redis,
    private readonly url: string,
    private readonly log: (level: 'warn' | 'info', msg: string) => void,
    /** After a failure, Redis is left alone this long before one request probes it again. */
    private readonly retryAfterMs = 2000,
  ) {}

  redisCounts(): boolean {
    if (this.redis.status !== 'ready') {
      this.switchTo('fallback', `Redis at ${this.url} is not connected (${this.redis.status})`);
      return false;
    }
    return Date.now() - this.lastFailure >= this.retryAfterMs;
  }

  failed(e: Error): void {
    this.lastFailure = Date.now();
    this.switchTo('fallback', `Redis at ${this.url} failed: ${e.message}`);
  }

  succeeded(): void {
    this.switchTo('primary', `Redis at ${this.url} answers again`);
  }

  private switchTo(mode: 'primary' | 'fallback', reason: string): void {
    if (mode === 'fallback') this.reason = reason;
    if (this.mode === mode) return;
    this.mode = mode;
    this.since = Date.now();
    if (mode === 'fallback') this.log('warn', `${reason}: rate limits are counted in-process until it is back`);
    else this.log('info', `${reason}: rate limits are counted in Redis again`);
  }
}

/**
 * A rate-limit store that counts in Redis (shared by every server) and, while Redis is unreachable,
 * in-process, so limits still hold per server instead of being dropped; Redis is used again once it
 * answers. Written here because @fastify/rate-limit has no fallback of its own (its `skipOnError` lets
 * every request through); the counting is its own two stores'.
 */
class FallbackStore implements FastifyRateLimitStore {
  constructor(
    private readonly redis: FastifyRateLimitStore,
    private readonly local: FastifyRateLimitStore,
    private readonly state: LimiterState,
  ) {}

  incr(key: string, cb: Parameters<FastifyRateLimitStore['incr']>[1], timeWindow: number, max: number): void {
    if (!this.state.redisCounts()) {
      this.local.incr(key, cb, timeWindow, max);
      return;
    }
    this.redis.incr(
      key,
      (err, res) => {
        if (err || !res) {
          this.state.failed(err ?? new Error('no answer'));
          this.local.incr(key, cb, timeWindow, max);
          return;
        }
        this.state.succeeded();
        cb(null, res);
      },
      timeWindow,
      max,
    );
  }

  child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
    return new FallbackStore(this.redis.child(routeOptions), this.local.child(routeOptions), this.state);
  }
}

/** A client went over its rate limit: 429, with `Retry-After` and `RateLimit-*` headers. */
export class RateLimitedError extends AppError {
  constructor(message: string) {
    super(message, { statusCode: 429, code: 'rate_limited' });
  }
}

/** Where the counters live in Redis (the analysis cache uses reviewlens:cache:). */
const NAMESPACE = 'reviewlens:ratelimit:';

const routeOf = (req: FastifyRequest) => req.routeOptions.url ?? 'unmatched';

/**
 * Rate limits per API key (the client address when auth is off) and per route, `rateLimit.max`
 * requests per `rateLimit.windowSeconds` (per-route overrides in `rateLimit.routes`). In-process by
 * default; in Redis when `redis.url` is set, so every server behind a load balancer counts together.
 * Public routes (health, readiness, metrics, docs, photos) are not limited. While Redis is unreachable
 * the limits are counted in-process (per server) and `/api/ready` says so; Redis is used again once it
 * answers, without a restart.
 */
export async function registerRateLimit(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const cfg = ctx.config.rateLimit;
  if (!cfg.enabled) return;
  let store: (new (params: { continueExceeding?: boolean; exponentialBackoff?: boolean }) => FallbackStore) | undefined;
  let health: () => CacheHealth = () => ({ ok: true, backend: 'memory', mode: 'primary' });
  if (ctx.config.redis.url !== '') {
    const url = maskRedisUrl(ctx.config.redis.url);
    const redis = new Redis(ctx.config.redis.url, {
      connectTimeout: 2000,
      // A command fails within 500 ms (a hung server) or at once while disconnected; never replayed.
      commandTimeout: 500,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: false,
      // Reconnect in the background for as long as it takes, backing off up to 2 s.
      retryStrategy: (times) => Math.min(times * 100, 2000),
    });
    // Connection trouble is reported by the state below (and /api/ready), not printed by ioredis.
    redis.on('error', () => {});
    app.addHook('onClose', async () => {
      redis.disconnect();
    });
    const state = new LimiterState(redis, url, (level, msg) => app.log[level](msg));
    // (Re)connected: count there again (a server that connects but then fails is caught by the next request).
    redis.on('ready', () => state.succeeded());
    // Counting starts in Redis when it answers within its connect timeout, else in-process (said once).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    state.redisCounts();
    store = class extends FallbackStore {
      constructor(params: { continueExceeding?: boolean; exponentialBackoff?: boolean }) {
        const a = params.continueExceeding ?? false;
        const b = params.exponentialBackoff ?? false;
        super(new RedisStore(a, b, redis, NAMESPACE), new LocalStore(a, b), state);
      }
    };
    health = () => {
      state.redisCounts();
      return state.mode === 'primary'
        ? { ok: true, backend: 'redis', mode: 'primary' }
        : {
            ok: true,
            backend: 'redis',
            mode: 'fallback',
            fallback: 'memory',
            since: new Date(state.since).toISOString(),
            error: state.reason,
          };
    };
  }
  app.decorate('rateLimitHealth', health);
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    max: (req) => cfg.routes[routeOf(req)] ?? cfg.max,
    timeWindow: cfg.windowSeconds * 1000,
    keyGenerator: (req) => `${req.apiKey?.prefix ?? req.ip}|${routeOf(req)}`,
    allowList: (req) =>
      (req.routeOptions.config as { scope?: string }).scope === 'public' || req.routeOptions.url === undefined,
    ...(store ? { store: store as never } : {}),
    // Only a store failure the fallback could not absorb: let the request through rather than fail it.
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
