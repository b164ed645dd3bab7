import type { FastifyInstance } from 'fastify';
import { isAppError, TimeoutError } from '../core/errors.js';
import type { CacheHealth } from '../storage/index.js';
import type { AppContext } from './context.js';
import { analysisSchema, errorSchema } from './schemas.js';

type Decode = (value: string, maxBytes: number) => Buffer;

/** Rejects with a 503 `timeout` when `p` takes longer than `ms` (the work itself is not cancelled). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TimeoutError(`${what} took longer than ${ms} ms (server.requestTimeoutMs)`)),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Readiness (`/api/ready`: models loaded, stores reachable), Prometheus metrics (`/metrics`), and
 * `POST /api/analyze/batch`.
 */
export function registerOpsRoutes(app: FastifyInstance, ctx: AppContext, decode: Decode): void {
  const { limits, server } = ctx.config;

  app.get(
    '/api/ready',
    {
      config: { scope: 'public' },
      schema: {
        summary:
          'Readiness: 200 when analyses can be served (status ok, or degraded naming what is away or in fallback), else 503',
        description:
          '`status`: `ok`; `degraded` (200: `degraded` lists the checks that are down or served by a fallback: ' +
          'the metadata database, the Redis cache or rate-limit store standing in in-process); `unavailable` (503). ' +
          'Each check says `ok`, and for the cache and the rate limits `backend`, `mode` (primary or fallback) and why.',
        tags: ['operations'],
        response: {
          '2xx': { type: 'object', additionalProperties: true },
          '5xx': { type: 'object', additionalProperties: true },
        },
      },
    },
    async (_req, reply) => {
      const [metadata, blobs] = await Promise.all([ctx.meta.status(), ctx.blobs.status()]);
      const cache: CacheHealth = ctx.cache.health?.() ?? {
        ok: ctx.cache.connected(),
        backend: ctx.cache.backend,
        mode: 'primary',
        ...(ctx.cache.connected() ? {} : { error: `the ${ctx.cache.backend} cache is not connected` }),
      };
      const checks: Record<string, { ok: boolean; error?: string; mode?: string; affects?: string }> = {
        model: { ok: true },
        metadata: metadata.ok
          ? metadata
          : {
              ...metadata,
              // What still works: analyses (and search) need no database; keys verified lately stay valid.
              affects:
                'routes that read or write the database (keys, queue, labels, models, pipeline, reviews) answer 503; ' +
                'analysis and search go on; API keys verified before the outage stay accepted',
            },
        blobs,
        cache,
      };
      if (app.rateLimitHealth) checks.rate_limit = app.rateLimitHealth();
      if (ctx.retrieval) {
        try {
          await ctx.retrieval.backend.count();
          checks.search_index = { ok: true };
        } catch (e) {
          checks.search_index = { ok: false, error: (e as Error).message };
        }
      } else {
        checks.search_index = { ok: false, error: ctx.retrievalError ?? 'not configured' };
      }
      // Analyses need the model and the blob store. A database, cache or rate-limit store that is away
      // degrades the server (listed in `degraded`) without taking it out of service: the cache and the
      // limits fall back to in-process ones, and only the routes that need the database answer 503.
      const required = ['model', 'blobs', 'cache'];
      const ready = required.every((k) => checks[k]?.ok);
      const degraded = Object.entries(checks)
        .filter(([k, c]) => k !== 'search_index' && (!c.ok || c.mode === 'fallback'))
        .map(([k]) => k);
      return reply.status(ready ? 200 : 503).send({
        ready,
        status: !ready ? 'unavailable' : degraded.length ? 'degraded' : 'ok',
        degraded,
        model: ctx.service.model,
        checks,
      });
    },
  );

  app.get('/metrics', { config: { scope: 'public' }, schema: { hide: true } }, async (_req, reply) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });

  app.post(
    '/api/analyze/batch',
    {
      config: { scope: 'analyze' },
      schema: {
        summary: 'Analyze up to limits.maxBatchItems reviews in one request',
        description:
          'Each item is analyzed as by `POST /api/analyze`; the items run concurrently and share encoder calls. ' +
          'A bad item gets its own `error` in its place; the others are answered.',
        tags: ['analysis'],
        body: {
          type: 'object',
          properties: {
            items: {
              type: 'array',
              minItems: 1,
              maxItems: limits.maxBatchItems,
              items: {
                type: 'object',
                properties: { text: { type: 'string' }, image_base64: { type: 'string' } },
                required: ['text'],
              },
            },
          },
          required: ['items'],
        },
        response: {
          200: {
            type: 'object',
            properties: {
              results: { type: 'array', items: { anyOf: [analysisSchema, errorSchema] } },
              processing_time_ms: { type: 'number' },
            },
            required: ['results', 'processing_time_ms'],
          },
          '4xx': errorSchema,
          '5xx': errorSchema,
        },
      },
    },
    async (req) => {
      const t0 = performance.now();
      const { items } = req.body as { items: { text: string; image_base64?: string }[] };
      const work = Promise.all(
        items.map(async (it) => {
          try {
            const image = it.image_base64 ? decode(it.image_base64, limits.maxImageBytes) : undefined;
            return await ctx.service.analyze({ text: it.text, image, imageField: 'image_base64' });
          } catch (e) {
            if (!isAppError(e)) throw e;
            return { error: e.toJSON() };
          }
        }),
      );
      const results = await withTimeout(work, server.requestTimeoutMs, 'the batch');
      return { results, processing_time_ms: Math.round((performance.now() - t0) * 100) / 100 };
    },
  );
}
