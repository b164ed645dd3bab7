import type { FastifyInstance } from 'fastify';
import { isAppError, TimeoutError } from '../core/errors.js';
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
        summary: 'Readiness: 200 when the model is loaded and every store answers, else 503 with the reasons',
        tags: ['operations'],
        response: {
          '2xx': { type: 'object', additionalProperties: true },
          '5xx': { type: 'object', additionalProperties: true },
        },
      },
    },
    async (_req, reply) => {
      const [metadata, blobs] = await Promise.all([ctx.meta.status(), ctx.blobs.status()]);
      const checks: Record<string, { ok: boolean; error?: string }> = {
        model: { ok: true },
        metadata,
        blobs,
        cache: ctx.cache.connected()
          ? { ok: true }
          : { ok: false, error: `the ${ctx.cache.backend} cache is not connected` },
      };
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
      // The search index is optional for serving analyses: it is reported, not required.
      const required = ['model', 'metadata', 'blobs', 'cache'];
      const ready = required.every((k) => checks[k]?.ok);
      return reply.status(ready ? 200 : 503).send({ ready, model: ctx.service.model, checks });
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
