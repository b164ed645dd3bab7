import type { FastifyInstance, FastifyReply } from 'fastify';
import { NotFoundError } from '../core/errors.js';
import type { StoredReport } from '../training/index.js';
import type { AppContext } from './context.js';
import { errorSchema } from './schemas.js';

/**
 * The policy of a stored evaluation report page: the page is self-contained (inline CSS and SVG, no script, no
 * request of any kind), so it may style itself inline and nothing else: no script at all, no other resource.
 */
export const REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const errors = { '4xx': errorSchema, '5xx': errorSchema };

/** A model name or version as the registry writes them (`reviewlens-fusion`, `3.1.0+4392c889`). */
const REF_PART = '^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$';

/** The public URL of a stored report's HTML page (its blob id: only someone who was given it can fetch it). */
export const publicReportUrl = (r: Pick<StoredReport, 'htmlBlob'>): string => `/api/reports/${r.htmlBlob}`;

/**
 * Stored evaluation reports (the pipeline's `evaluate` step; docs/evaluation.md):
 * - `GET /api/models/:name/:version/report` (any key that may analyze, like `GET /api/models`): the HTML page, or
 *   with `?format=json` its run JSON (every scored item, seeds, data hashes); 404 with a JSON error when the version
 *   is not registered or has no report; 400 for a malformed name or version.
 * - `GET /api/reports/:id` (public, like `/api/photos/:id`): the page by the sha256 of its HTML, the link the web UI's
 *   Models page opens in a new tab (a plain link carries no API key). Only blobs recorded as a report's page are
 *   served.
 * Both answer under {@link REPORT_CSP}.
 */
export function registerReportRoutes(app: FastifyInstance, ctx: AppContext): void {
  const reg = ctx.registry;

  const sendHtml = async (reply: FastifyReply, r: StoredReport, cache: string) =>
    reply
      .header('content-security-policy', REPORT_CSP)
      .header('cache-control', cache)
      .type('text/html; charset=utf-8')
      .send(await ctx.blobs.get(r.htmlBlob));

  app.get(
    '/api/models/:name/:version/report',
    {
      config: { scope: 'analyze' },
      schema: {
        summary:
          "A model version's stored evaluation report (the pipeline's evaluate step): one self-contained HTML page, or its run JSON",
        tags: ['models'],
        params: {
          type: 'object',
          required: ['name', 'version'],
          properties: {
            name: { type: 'string', pattern: REF_PART },
            version: { type: 'string', pattern: REF_PART },
          },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            format: {
              type: 'string',
              enum: ['html', 'json'],
              default: 'html',
              description: 'html (default): the page; json: the run JSON every figure is computed from',
            },
          },
        },
        response: errors,
      },
    },
    async (req, reply) => {
      const { name, version } = req.params as { name: string; version: string };
      const { format } = req.query as { format: 'html' | 'json' };
      const r = await reg.report(name, version);
      if (!r) {
        const registered = (await reg.list()).some((v) => v.name === name && v.version === version);
        throw new NotFoundError(
          registered
            ? `model ${name}@${version} has no evaluation report: run the pipeline step evaluate with candidate ${name}@${version}`
            : `model ${name}@${version} is not registered`,
        );
      }
      if (format === 'json') {
        return reply
          .header('cache-control', 'no-cache')
          .type('application/json; charset=utf-8')
          .send(await ctx.blobs.get(r.jsonBlob));
      }
      return sendHtml(reply, r, 'no-cache');
    },
  );

  app.get(
    '/api/reports/:id',
    {
      // Public: the id is the sha256 of the page, handed out by GET /api/models (which needs a key).
      config: { scope: 'public' },
      schema: {
        summary: 'A stored evaluation report page by the sha256 of its HTML (the link of GET /api/models)',
        tags: ['models'],
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
        },
        response: errors,
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const r = await reg.reportByHtmlBlob(id);
      if (!r) throw new NotFoundError(`no evaluation report ${id}`);
      return sendHtml(reply, r, 'private, max-age=31536000, immutable');
    },
  );
}
