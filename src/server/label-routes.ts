import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationError } from '../core/errors.js';
import { LabelQueue, type QueueStatus, type SubmitAction } from '../labeling/index.js';
import type { AppContext } from './context.js';
import {
  errorSchema,
  queueItemIdParam,
  queueItemResponse,
  queueListQuery,
  queueListSchema,
  queueNextBody,
  queueNextSchema,
  queueStatsSchema,
  queueSubmitBody,
} from './schemas.js';

/**
 * Who is labelling: the API key's name; with API keys off, the body's `labeller` or the `X-Labeller`
 * header, else `anonymous`.
 */
export function labellerOf(req: FastifyRequest): string {
  if (req.apiKey?.name) return req.apiKey.name;
  const body = req.body as { labeller?: unknown } | undefined;
  if (body && typeof body.labeller === 'string' && body.labeller.trim() !== '') return body.labeller.trim();
  const h = req.headers['x-labeller'];
  const v = typeof h === 'string' ? h.trim() : '';
  return v !== '' ? v.slice(0, 100) : 'anonymous';
}

/** The human review queue for the web UI and other clients (scope `label`). */
export function registerLabelRoutes(app: FastifyInstance, ctx: AppContext): void {
  const queue = new LabelQueue(ctx.meta);
  const tags = ['labeling'];

  app.get(
    '/api/queue',
    {
      config: { scope: 'label' },
      schema: {
        summary: 'List the review queue',
        description:
          'Items of one status (default pending) or `all`, with the total for that status and the counts of every status. ' +
          'Pending items come highest priority first; labelled and skipped ones most recent first.',
        tags,
        querystring: queueListQuery,
        response: { 200: queueListSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const q = req.query as { status?: QueueStatus | 'all'; limit?: string; offset?: string };
      const limit = q.limit === undefined ? 50 : Number(q.limit);
      if (limit < 1 || limit > 500) throw new ValidationError('limit must be between 1 and 500', 'limit');
      return queue.list({
        status: q.status ?? 'pending',
        limit,
        offset: q.offset === undefined ? 0 : Number(q.offset),
      });
    },
  );

  app.post(
    '/api/queue/next',
    {
      config: { scope: 'label' },
      schema: {
        summary: 'Claim the next item to label',
        description:
          'Claims for the caller the highest-priority pending item that is unassigned or already theirs; `item` is null when none is left.',
        tags,
        body: queueNextBody,
        response: { 200: queueNextSchema, '4xx': errorSchema },
      },
      // A request without a body means `{}`.
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) req.body = {};
      },
    },
    async (req) => queue.next(labellerOf(req)),
  );

  app.post(
    '/api/queue/:id/submit',
    {
      config: { scope: 'label' },
      schema: {
        summary: 'Answer a queue item: accept the suggestion, correct it, or skip',
        description:
          'The label (the suggestion for `accept`, `label` for `correct`) is written to the review with label source `human` and to the audit trail. ' +
          'Errors: 400 `correct` without `label` (field `label`), 404 unknown id.',
        tags,
        params: queueItemIdParam,
        body: queueSubmitBody,
        response: { 200: queueItemResponse, '4xx': errorSchema },
      },
    },
    async (req) => {
      const id = Number((req.params as { id: string }).id);
      const body = req.body as { action: SubmitAction; label?: string };
      const item = await queue.submit(
        id,
        labellerOf(req),
        body.action,
        body.action === 'skip' ? undefined : body.label,
      );
      return { item };
    },
  );

  app.get(
    '/api/queue/stats',
    {
      config: { scope: 'label' },
      schema: {
        summary: 'Queue counts, work per labeller, and agreement',
        tags,
        response: { 200: queueStatsSchema, '4xx': errorSchema },
      },
    },
    async () => queue.stats(),
  );
}
