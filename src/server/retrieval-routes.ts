import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { NotFoundError, PayloadTooLargeError, UnavailableError, ValidationError } from '../core/errors.js';
import type { Sentiment } from '../core/types.js';
import type { Retrieval, ReviewInput, SearchFilters, SearchMode, SearchRequest } from '../retrieval/index.js';
import { type AppContext, thumbnailUrl } from './context.js';
import { asClientError, multipartParts } from './multipart.js';
import { withTimeout } from './ops-routes.js';
import {
  errorSchema,
  indexStatsSchema,
  reviewBody,
  reviewRecordSchema,
  reviewUpdateBody,
  searchJsonBody,
  searchMultipartBody,
  searchResultSchema,
} from './schemas.js';

type Decode = (value: string, maxBytes: number) => Buffer;

/** When the search answer was handed to the serializer, per reply (for the `serialize` Server-Timing entry). */
const serializeStart = new WeakMap<object, { at: number; stages: string }>();

/**
 * Route hooks that put a search's stage timings in a `Server-Timing` header, with `serialize` (the time
 * from the handler's answer to its JSON text, which the body's `timings_ms` cannot hold) added.
 */
const serverTiming = {
  async preSerialization(_req: FastifyRequest, reply: object, payload: unknown) {
    const t = (payload as { timings_ms?: Record<string, number> } | null)?.timings_ms;
    if (t) {
      const stages = Object.entries(t)
        .map(([k, v]) => `${k};dur=${v}`)
        .join(', ');
      serializeStart.set(reply, { at: performance.now(), stages });
    }
    return payload;
  },
  async onSend(_req: FastifyRequest, reply: { header(k: string, v: string): unknown }, payload: unknown) {
    const s = serializeStart.get(reply);
    if (s) {
      const dur = Math.round((performance.now() - s.at) * 100) / 100;
      reply.header('server-timing', `${s.stages}, serialize;dur=${dur}`);
    }
    return payload;
  },
};

interface SearchBody {
  text?: string;
  image_base64?: string;
  k?: number;
  offset?: number;
  mode?: SearchMode;
  rerank?: boolean;
  filters?: {
    product?: string;
    sentiment?: Sentiment;
    rating_min?: number;
    rating_max?: number;
    date_from?: string;
    date_to?: string;
    source?: string;
    has_image?: boolean;
  };
}

function filtersOf(f: SearchBody['filters']): SearchFilters | undefined {
  if (!f) return undefined;
  const out: SearchFilters = {};
  if (f.product !== undefined) out.product = f.product;
  if (f.sentiment !== undefined) out.sentiment = f.sentiment;
  if (f.rating_min !== undefined) out.ratingMin = f.rating_min;
  if (f.rating_max !== undefined) out.ratingMax = f.rating_max;
  if (f.date_from !== undefined) out.dateFrom = f.date_from;
  if (f.date_to !== undefined) out.dateTo = f.date_to;
  if (f.source !== undefined) out.source = f.source;
  if (f.has_image !== undefined) out.hasImage = f.has_image;
  return out;
}

const NUMERIC_FIELDS = new Set(['k', 'offset', 'rating_min', 'rating_max']);
const FILTER_FIELDS = new Set(['product', 'sentiment', 'rating_min', 'rating_max', 'date_from', 'date_to', 'source']);

/** A multipart search form: `text`, `image` (file), `k`, `offset`, `mode`, `rerank` and the filter fields. */
async function readSearchForm(req: FastifyRequest, maxImageBytes: number, decode: Decode): Promise<SearchBody> {
  const body: SearchBody = {};
  const filters: Record<string, unknown> = {};
  let image: Buffer | undefined;
  for await (const part of multipartParts(req)) {
    if (part.type === 'file') {
      if (part.fieldname === 'image')
        image = await part.toBuffer().catch((e: unknown) => Promise.reject(asClientError(e)));
      else part.file.resume();
      continue;
    }
    const name = part.fieldname;
    const raw = String(part.value ?? '');
    if (raw === '') continue;
    const value: unknown = NUMERIC_FIELDS.has(name) ? Number(raw) : raw;
    if (NUMERIC_FIELDS.has(name) && !Number.isFinite(value))
      throw new ValidationError(`${name} must be a number`, name);
    if (FILTER_FIELDS.has(name)) filters[name] = value;
    else if (name === 'has_image') filters.has_image = raw === 'true' || raw === '1';
    else if (name === 'rerank') body.rerank = raw === 'true' || raw === '1';
    else if (name === 'text') body.text = raw;
    else if (name === 'k') body.k = value as number;
    else if (name === 'offset') body.offset = value as number;
    else if (name === 'mode') body.mode = raw as SearchMode;
    else if (name === 'image_base64') image = decode(raw, maxImageBytes);
  }
  if (filters.sentiment !== undefined && !['positive', 'negative', 'neutral'].includes(filters.sentiment as string)) {
    throw new ValidationError('sentiment must be positive, negative or neutral', 'sentiment');
  }
  if (body.mode !== undefined && !['hybrid', 'bm25', 'dense'].includes(body.mode)) {
    throw new ValidationError('mode must be hybrid, bm25 or dense', 'mode');
  }
  if (Object.keys(filters).length > 0) body.filters = filters as SearchBody['filters'];
  if (image) body.image_base64 = image.toString('base64');
  return body;
}

/** The search index, or a 503 saying why there is none. */
function need(ctx: AppContext): Retrieval {
  if (!ctx.retrieval) throw new UnavailableError(ctx.retrievalError ?? 'the search index is not configured');
  return ctx.retrieval;
}

/**
 * Search and index routes: `POST /api/search`, reviews one by one (`POST/GET/PATCH/DELETE /api/reviews`),
 * `GET /api/index/stats`, and the stored photos and their thumbnails.
 */
export function registerRetrievalRoutes(app: FastifyInstance, ctx: AppContext, decode: Decode): void {
  const { limits } = ctx.config;

  app.post(
    '/api/search',
    {
      config: { scope: 'search' },
      schema: {
        summary: 'Search reviews by text, by photo, or both',
        description:
          'JSON (`text`, `image_base64`, `filters`, `k`, `offset`, `mode`, `rerank`) or a multipart form with the same ' +
          'fields flat (`image` as a file; filters as `product`, `sentiment`, `rating_min`, ...). Hits carry each stage: ' +
          'BM25 rank and score, dense rank and cosine, photo rank and cosine, the RRF score and the rerank score.',
        tags: ['search'],
        body: {
          content: {
            'application/json': { schema: searchJsonBody },
            'multipart/form-data': { schema: searchMultipartBody },
          },
        },
        response: { 200: searchResultSchema, '4xx': errorSchema, '5xx': errorSchema },
      },
      ...serverTiming,
    },
    async (req) => {
      const retrieval = need(ctx);
      const body = req.isMultipart()
        ? await readSearchForm(req, limits.maxImageBytes, decode)
        : (req.body as SearchBody);
      // A query is a few words; the analysis's text limit bounds it, so a pasted document is refused at once
      // instead of being encoded window by window until the request times out.
      if (typeof body.text === 'string' && body.text.length > limits.maxTextChars) {
        throw new PayloadTooLargeError(
          `text is ${body.text.length} characters; the limit is ${limits.maxTextChars} (limits.maxTextChars)`,
          'text',
        );
      }
      const filters = filtersOf(body.filters);
      const request: SearchRequest = {
        ...(body.text !== undefined ? { text: body.text } : {}),
        ...(body.image_base64 ? { image: decode(body.image_base64, limits.maxImageBytes), imageField: 'image' } : {}),
        ...(filters ? { filters } : {}),
        ...(body.k !== undefined ? { k: body.k } : {}),
        ...(body.offset !== undefined ? { offset: body.offset } : {}),
        ...(body.mode ? { mode: body.mode } : {}),
        ...(body.rerank !== undefined ? { rerank: body.rerank } : {}),
      };
      const res = await withTimeout(
        retrieval.searcher.search(request),
        ctx.config.server.requestTimeoutMs,
        'the search',
      );
      return {
        ...res,
        hits: res.hits.map((h) => ({
          ...h,
          review: { ...h.review, ...(h.review.imageId ? { thumbnail_url: thumbnailUrl(h.review.imageId) } : {}) },
        })),
      };
    },
  );

  app.post(
    '/api/reviews',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Index one review (a no-op when the same review is indexed already)',
        description:
          'The id is the content hash of text, product and photo bytes. 201 when added, 200 with `created: false` ' +
          'when it was there already.',
        tags: ['search'],
        body: reviewBody,
        response: {
          200: { type: 'object', properties: { id: { type: 'string' }, created: { type: 'boolean' } } },
          201: { type: 'object', properties: { id: { type: 'string' }, created: { type: 'boolean' } } },
          '4xx': errorSchema,
          '5xx': errorSchema,
        },
      },
    },
    async (req, reply) => {
      const retrieval = need(ctx);
      const b = req.body as Omit<ReviewInput, 'image'> & { image_base64?: string };
      const { image_base64, ...fields } = b;
      const input: ReviewInput = {
        ...fields,
        ...(image_base64 ? { image: decode(image_base64, limits.maxImageBytes) } : {}),
      };
      const report = await retrieval.indexer.index([input], { failFast: true });
      const id = report.ids[0] as string;
      return reply.status(report.added === 1 ? 201 : 200).send({ id, created: report.added === 1 });
    },
  );

  const idParam = {
    type: 'object',
    properties: { id: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
    required: ['id'],
  } as const;

  app.get(
    '/api/reviews/:id',
    {
      config: { scope: 'search' },
      schema: {
        summary: 'One indexed review',
        tags: ['search'],
        params: idParam,
        response: { 200: reviewRecordSchema, '4xx': errorSchema, '5xx': errorSchema },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const r = (await need(ctx).backend.records([id])).get(id);
      if (!r) throw new NotFoundError(`no review ${id} in the index`);
      return { ...r, ...(r.imageId ? { thumbnail_url: thumbnailUrl(r.imageId) } : {}) };
    },
  );

  app.patch(
    '/api/reviews/:id',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Change a review’s label, rating, date or source (text, product and photo make its id)',
        tags: ['search'],
        params: idParam,
        body: reviewUpdateBody,
        response: { 200: reviewRecordSchema, '4xx': errorSchema, '5xx': errorSchema },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const retrieval = need(ctx);
      if (!(await retrieval.backend.existing([id])).has(id)) throw new NotFoundError(`no review ${id} in the index`);
      await retrieval.backend.update(id, req.body as Record<string, never>);
      return (await retrieval.backend.records([id])).get(id);
    },
  );

  app.delete(
    '/api/reviews/:id',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Remove a review from the index',
        tags: ['search'],
        params: idParam,
        response: { 204: { type: 'null' }, '4xx': errorSchema, '5xx': errorSchema },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const retrieval = need(ctx);
      if (!(await retrieval.backend.existing([id])).has(id)) throw new NotFoundError(`no review ${id} in the index`);
      await retrieval.backend.delete([id]);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/index/stats',
    {
      config: { scope: 'search' },
      schema: {
        summary: 'Counts and sizes of the search index',
        tags: ['search'],
        response: { 200: indexStatsSchema, '5xx': errorSchema },
      },
    },
    async () => need(ctx).backend.stats(),
  );

  const photoParam = {
    type: 'object',
    properties: { id: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
    required: ['id'],
  } as const;

  async function photo(id: string): Promise<Buffer> {
    if (!(await ctx.blobs.has(id))) throw new NotFoundError(`no photo ${id}`);
    return ctx.blobs.get(id);
  }

  app.get(
    '/api/photos/:id',
    {
      // Public: the id is the photo's sha256, so only someone who was given the URL can fetch it.
      config: { scope: 'public' },
      schema: {
        summary: 'A stored review photo, as uploaded less its EXIF (GPS, device); HEIC as JPEG',
        tags: ['search'],
        params: photoParam,
      },
    },
    async (req, reply) => {
      const bytes = await photo((req.params as { id: string }).id);
      const type = await fileTypeFromBuffer(bytes);
      return reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .type(type?.mime ?? 'application/octet-stream')
        .send(bytes);
    },
  );

  app.get(
    '/api/photos/:id/thumbnail',
    {
      config: { scope: 'public' },
      schema: { summary: 'A 256-pixel JPEG thumbnail of a stored photo', tags: ['search'], params: photoParam },
    },
    async (req, reply) => {
      const bytes = await photo((req.params as { id: string }).id);
      const thumb = await sharp(bytes, { limitInputPixels: limits.maxImagePixels })
        .rotate()
        .resize(256, 256, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 80 })
        .toBuffer();
      return reply.header('cache-control', 'public, max-age=31536000, immutable').type('image/jpeg').send(thumb);
    },
  );
}
