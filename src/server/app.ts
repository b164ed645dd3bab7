import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { isAppError, PayloadTooLargeError, ValidationError } from '../core/errors.js';
import { isTransientError } from '../core/transient.js';
import type { AnalyzeInput } from '../core/types.js';
import { textLlmStatus } from '../llm/local-llama.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerAuth } from './auth/index.js';
import { clientErrorOf, frameworkError, requireDocumentedBody } from './client-errors.js';
import type { AppContext } from './context.js';
import { registerDriftRoutes } from './drift-routes.js';
import { registerLabelRoutes } from './label-routes.js';
import { asClientError, multipartParts } from './multipart.js';
import { registerOpsRoutes, withTimeout } from './ops-routes.js';
import { registerRateLimit } from './rate-limit.js';
import { registerReportRoutes } from './report-routes.js';
import { registerRetrievalRoutes } from './retrieval-routes.js';
import { analysisSchema, analyzeJsonBody, analyzeMultipartBody, errorSchema, healthSchema } from './schemas.js';
import { registerSecurityHeaders } from './security.js';
import { registerSynthesisRoutes } from './synthesis-routes.js';
import { registerWebUi } from './web-ui.js';

const VERSION = '0.1.0';

export interface ServerOptions {
  /** A pino logger, or false for none (tests). */
  logger?: Logger | false;
}

/** Swagger UI; the OpenAPI document is at OPENAPI_PATH (and, for clients that do not ask for HTML, here too). */
export const DOCS_PREFIX = '/api/docs';
export const OPENAPI_PATH = '/api/openapi.json';

/** Whether an Accept header asks for an HTML page (a browser) rather than data. */
function wantsHtml(accept: string | undefined): boolean {
  return typeof accept === 'string' && /\btext\/html\b/.test(accept);
}

const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Decodes `image_base64` (optionally a data URL), refusing non-base64 text and oversize payloads. */
export function decodeBase64Image(value: string, maxBytes: number): Buffer {
  const s = value.replace(/^data:[^;,]*;base64,/, '').replace(/\s+/g, '');
  if (s === '') throw new ValidationError('image_base64 is empty', 'image_base64');
  if (!BASE64_RE.test(s)) throw new ValidationError('image_base64 is not valid base64', 'image_base64');
  if (Math.floor((s.length * 3) / 4) > maxBytes + 2) {
    throw new PayloadTooLargeError(`image_base64 decodes to more than the limit of ${maxBytes} bytes`, 'image_base64');
  }
  return Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64');
}

async function readMultipart(req: FastifyRequest, maxImageBytes: number): Promise<AnalyzeInput> {
  let text: unknown;
  let image: Buffer | undefined;
  let imageField = 'image';
  for await (const part of multipartParts(req)) {
    if (part.type === 'file') {
      if (part.fieldname === 'image' || part.fieldname === 'text') {
        let buf: Buffer;
        try {
          buf = await part.toBuffer();
        } catch (e) {
          if ((e as FastifyError).code === 'FST_REQ_FILE_TOO_LARGE') {
            throw new PayloadTooLargeError(
              `${part.fieldname} is larger than the limit of ${maxImageBytes} bytes`,
              part.fieldname,
            );
          }
          throw asClientError(e);
        }
        if (part.fieldname === 'image') {
          image = buf;
          imageField = 'image';
        } else text = buf.toString('utf8');
      } else {
        part.file.resume(); // unknown file fields are ignored, like unknown JSON fields
      }
    } else {
      if (part.valueTruncated)
        throw new PayloadTooLargeError(`${part.fieldname} is longer than the limit`, part.fieldname);
      if (part.fieldname === 'text') text = part.value;
      else if (part.fieldname === 'image_base64' && typeof part.value === 'string' && part.value !== '') {
        image = decodeBase64Image(part.value, maxImageBytes);
        imageField = 'image_base64';
      }
    }
  }
  if (text === undefined) throw new ValidationError('text is required', 'text');
  return { text: text as string, image, imageField };
}

function fieldOf(err: FastifyError): string | undefined {
  const v = err.validation?.[0];
  if (!v) return undefined;
  const missing = (v.params as { missingProperty?: string }).missingProperty;
  if (missing) return missing;
  return v.instancePath.replace(/^\//, '').replace(/\//g, '.') || undefined;
}

/** Builds the HTTP API over an application context. Every route has a JSON schema (see /api/docs). */
export async function buildServer(ctx: AppContext, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const { limits, server } = ctx.config;
  const started = Date.now();
  // Large enough for a photo at the limit in base64 plus the text; anything larger is refused unread.
  const bodyLimit = Math.ceil(limits.maxImageBytes * 1.4) + limits.maxTextChars * 4 + 64 * 1024;
  const app = Fastify({
    loggerInstance: opts.logger === false || opts.logger === undefined ? undefined : opts.logger,
    bodyLimit,
    requestTimeout: server.requestTimeoutMs,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    frameworkErrors: frameworkError,
    ajv: { customOptions: { removeAdditional: true, coerceTypes: false, allErrors: false, strictTypes: false } },
  }) as unknown as FastifyInstance;

  app.removeContentTypeParser('text/plain');
  // Every API route says which scope it needs (or that it is public): a route that forgets is a bug.
  app.addHook('onRoute', (route) => {
    // Swagger UI's own routes (its page, scripts and the document) are public, like the document always was.
    if (route.url.startsWith(`${DOCS_PREFIX}/`) || route.url === DOCS_PREFIX) {
      route.config = { ...(route.config ?? {}), scope: 'public' } as typeof route.config;
    }
    if (route.url.startsWith('/api/') && route.config?.scope === undefined && route.method !== 'HEAD') {
      throw new Error(`route ${route.method} ${route.url} declares no scope (config.scope)`);
    }
  });
  app.addHook('onRoute', requireDocumentedBody);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'reviewlens API',
        version: VERSION,
        description: 'Multimodal review sentiment: text + photo -> sentiment, confidence and evidence.',
      },
    },
  });
  await app.register(multipart, {
    limits: { fileSize: limits.maxImageBytes, files: 3, fields: 10, fieldSize: limits.maxTextChars * 4 + 1024 },
  });
  // Security headers (CSP, nosniff, frame denial...) and CORS (off unless server.corsOrigins is set), on every
  // answer: registered before the auth hook, so refused requests carry them too.
  await registerSecurityHeaders(app, { corsOrigins: server.corsOrigins });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  const { metrics } = ctx;
  app.addHook('onRequest', async () => {
    metrics.inFlight.inc();
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.inFlight.dec();
    const labels = { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    metrics.requests.inc(labels);
    metrics.requestSeconds.observe(labels, reply.elapsedTime / 1000);
  });
  // Auth first: the rate limiter keys on the verified API key.
  registerAuth(app, {
    store: ctx.keys,
    enabled: ctx.config.auth.enabled,
    log: (m) => (opts.logger ? opts.logger.warn(m) : undefined),
  });
  await registerRateLimit(app, ctx);

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isAppError(err)) return reply.status(err.statusCode).send({ error: err.toJSON() });
    const known = clientErrorOf(err, req);
    if (known) return reply.status(known.statusCode).send({ error: known.toJSON() });
    if (err.validation) {
      const field = fieldOf(err);
      return reply
        .status(400)
        .send({ error: { code: 'invalid_input', message: err.message, ...(field ? { field } : {}) } });
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send({
        error: {
          code: 'payload_too_large',
          message: `request body is larger than the limit of ${bodyLimit} bytes (a photo may be at most ${limits.maxImageBytes} bytes, text at most ${limits.maxTextChars} characters)`,
        },
      });
    }
    const status = err.statusCode ?? 500;
    if (status >= 500 && isTransientError(err)) {
      // A store this route needs (the metadata database, most often) is unreachable: the client may retry.
      req.log.warn({ err: { message: err.message, code: err.code } }, 'a store this request needs is unreachable');
      return reply
        .status(503)
        .header('retry-after', '5')
        .send({
          error: {
            code: 'unavailable',
            message: 'a store this request needs is not reachable; retry shortly (GET /api/ready says what is away)',
            request_id: req.id,
          },
        });
    }
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      return reply
        .status(500)
        .send({ error: { code: 'internal_error', message: 'internal error; see the server log', request_id: req.id } });
    }
    const code =
      status === 413
        ? 'payload_too_large'
        : status === 415
          ? 'unsupported_media_type'
          : status === 404
            ? 'not_found'
            : 'invalid_input';
    return reply.status(status).send({ error: { code, message: err.message } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url}` } });
  });

  app.post(
    '/api/analyze',
    {
      config: { scope: 'analyze' },
      schema: {
        summary: 'Analyze a review: text and an optional photo',
        description:
          'Multipart form (`text`, optional `image` file) or JSON (`text`, optional `image_base64`). Unknown fields are ignored. ' +
          'Errors: 400 empty/missing text or undecodable photo, 413 text or photo over the limit, 415 a file that is not an image.',
        tags: ['analysis'],
        body: {
          content: {
            'application/json': { schema: analyzeJsonBody },
            'multipart/form-data': { schema: analyzeMultipartBody },
          },
        },
        response: { 200: analysisSchema, '4xx': errorSchema, '5xx': errorSchema },
      },
    },
    async (req) => {
      let input: AnalyzeInput;
      if (req.isMultipart()) {
        input = await readMultipart(req, limits.maxImageBytes);
      } else {
        const body = req.body as { text: string; image_base64?: string };
        input = {
          text: body.text,
          imageField: 'image_base64',
          image:
            body.image_base64 !== undefined && body.image_base64 !== ''
              ? decodeBase64Image(body.image_base64, limits.maxImageBytes)
              : undefined,
        };
      }
      return withTimeout(ctx.service.analyze(input), server.requestTimeoutMs, 'the analysis');
    },
  );

  app.get(
    '/api/health',
    {
      config: { scope: 'public' },
      schema: {
        summary: 'Liveness and status of models and stores',
        tags: ['operations'],
        response: { 200: healthSchema },
      },
    },
    async () => {
      const [metadata, blobs] = await Promise.all([ctx.meta.status(), ctx.blobs.status()]);
      const model = ctx.service.model;
      return {
        status: metadata.ok && blobs.ok ? 'ok' : 'degraded',
        models_loaded: true,
        device: 'cpu',
        threads: ctx.config.models.threads,
        // The configured cache (Redis) itself, not the in-process one standing in for it.
        cache_connected: ctx.cache.health ? ctx.cache.health().mode === 'primary' : ctx.cache.connected(),
        cache_backend: ctx.cache.backend,
        store: { metadata, blobs },
        search_index: ctx.retrieval
          ? { backend: ctx.retrieval.backend.name, ok: true }
          : { backend: ctx.config.retrieval.backend, ok: false, error: ctx.retrievalError ?? 'not configured' },
        model,
        model_version: model.version,
        // Without `where`: a public route names no file path or server address.
        llm: (({ where: _where, ...st }) => st)(textLlmStatus(ctx.config)),
        uptime_s: Math.round((Date.now() - started) / 1000),
      };
    },
  );

  registerRetrievalRoutes(app, ctx, decodeBase64Image);
  registerLabelRoutes(app, ctx);
  registerOpsRoutes(app, ctx, decodeBase64Image);
  registerAdminRoutes(app, ctx);
  registerReportRoutes(app, ctx);
  registerDriftRoutes(app, ctx);
  registerSynthesisRoutes(app, ctx);

  // The OpenAPI document at a stable path, and Swagger UI (the browsable docs) at /api/docs. A client that does
  // not ask for HTML (curl, scripts, the fuzz bench) still gets the JSON document at /api/docs, as before.
  app.get(OPENAPI_PATH, { config: { scope: 'public' }, schema: { hide: true } }, async () => app.swagger());
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { docExpansion: 'list', deepLinking: true },
    uiHooks: {
      onRequest: (req, reply, done) => {
        const path = req.url.split('?')[0];
        if ((path === DOCS_PREFIX || path === `${DOCS_PREFIX}/`) && !wantsHtml(req.headers.accept)) {
          reply.send(app.swagger());
          return;
        }
        done();
      },
    },
  });

  app.get('/api', { config: { scope: 'public' }, schema: { hide: true } }, async () => ({
    name: 'reviewlens',
    version: VERSION,
    routes: {
      analyze: 'POST /api/analyze',
      analyze_batch: 'POST /api/analyze/batch',
      search: 'POST /api/search',
      reviews: 'POST /api/reviews',
      index_stats: 'GET /api/index/stats',
      queue: 'GET /api/queue',
      queue_next: 'POST /api/queue/next',
      health: 'GET /api/health',
      ready: 'GET /api/ready',
      metrics: 'GET /metrics',
      docs: 'GET /api/docs',
      openapi: `GET ${OPENAPI_PATH}`,
      models: 'GET /api/models',
      pipeline: 'GET /api/pipeline/runs',
      web_ui: 'GET /',
    },
  }));

  await registerWebUi(app);

  ctx.watcher?.start();
  ctx.driftTrigger?.start();
  app.addHook('onClose', async () => {
    ctx.driftTrigger?.stop();
    await ctx.watcher?.stop();
  });
  return app;
}
