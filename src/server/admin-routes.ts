import type { FastifyInstance } from 'fastify';
import { NotFoundError, UnavailableError } from '../core/errors.js';
import type { RunView } from '../pipeline/index.js';
import { PRODUCTION, STAGING, type StoredReport } from '../training/index.js';
import type { AppContext } from './context.js';
import { publicReportUrl } from './report-routes.js';
import { errorSchema } from './schemas.js';

const anyObject = { type: 'object', additionalProperties: true } as const;
const errors = { '4xx': errorSchema, '5xx': errorSchema };
const idParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } },
} as const;

const runJson = (r: RunView) => ({
  id: r.id,
  status: r.status,
  steps: r.steps.map((s) => ({
    name: s.name,
    status: s.status,
    progress: s.progress,
    message: s.message,
    output: s.output,
    error: s.error,
    started_at: s.startedAt?.toISOString() ?? null,
    finished_at: s.finishedAt?.toISOString() ?? null,
  })),
  params: r.params,
  requested_by: r.requestedBy,
  error: r.error,
  created_at: r.createdAt.toISOString(),
  started_at: r.startedAt?.toISOString() ?? null,
  finished_at: r.finishedAt?.toISOString() ?? null,
});

/**
 * The registry and the pipeline for the web UI and scripts: model versions with their metrics and
 * aliases, promote and roll back (scope `admin`); pipeline runs with steps, progress and logs, start,
 * cancel and resume (scope `admin`). Reading the registry needs any key that may analyze.
 */
export function registerAdminRoutes(app: FastifyInstance, ctx: AppContext): void {
  const reg = ctx.registry;

  app.get(
    '/api/models',
    {
      config: { scope: 'analyze' },
      schema: {
        summary: 'Registered model versions with their metrics and aliases, newest first',
        tags: ['models'],
        response: { 200: anyObject, ...errors },
      },
    },
    async () => {
      const rows = await reg.list();
      const [production, staging] = await Promise.all([reg.alias(PRODUCTION), reg.alias(STAGING)]);
      const reports = new Map((await reg.reports()).map((r) => [`${r.name}@${r.version}`, r]));
      return {
        production: production ?? null,
        staging: staging ?? null,
        serving: ctx.service.model,
        versions: rows.map((r) => ({
          name: r.name,
          version: r.version,
          aliases: r.aliases,
          created_at: r.createdAt.toISOString(),
          data_hash: r.dataHash,
          summary: summaryOf(r.metrics),
          report: reportOf(reports.get(`${r.name}@${r.version}`)),
        })),
      };
    },
  );

  app.get(
    '/api/models/:name/:version',
    {
      config: { scope: 'analyze' },
      schema: {
        summary: "One model version's evaluation report: every metric recorded at training, and the params",
        tags: ['models'],
        params: {
          type: 'object',
          required: ['name', 'version'],
          properties: { name: { type: 'string' }, version: { type: 'string' } },
        },
        response: { 200: anyObject, ...errors },
      },
    },
    async (req) => {
      const { name, version } = req.params as { name: string; version: string };
      const row = (await reg.list()).find((r) => r.name === name && r.version === version);
      if (!row) throw new NotFoundError(`model ${name}@${version} is not registered`);
      return {
        name,
        version,
        aliases: row.aliases,
        created_at: row.createdAt.toISOString(),
        data_hash: row.dataHash,
        summary: summaryOf(row.metrics),
        report: reportOf(await reg.report(name, version)),
        metrics: row.metrics,
        params: row.params,
      };
    },
  );

  app.get(
    '/api/models/promotions',
    {
      config: { scope: 'analyze' },
      schema: {
        summary: "The pipeline's promotion decisions (promoted, held, refused) and rollbacks, newest first",
        tags: ['models'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: {
              type: 'string',
              pattern: '^([1-9]|[1-9][0-9]|[1-4][0-9][0-9]|500)$',
              description: '1-500, default 50',
            },
          },
        },
        response: { 200: anyObject, ...errors },
      },
    },
    async (req) => {
      const { limit } = req.query as { limit?: string };
      const rows = await reg.promotions(Number(limit ?? 50));
      return {
        promotions: rows.map((p) => ({
          id: p.id,
          name: p.name,
          version: p.version,
          policy: p.policy,
          outcome: p.outcome,
          reasons: p.reasons,
          gate: p.gate,
          shadow: p.shadow,
          previous: p.previous,
          run_id: p.runId,
          at: p.at.toISOString(),
        })),
      };
    },
  );

  app.get(
    '/api/models/history',
    {
      config: { scope: 'analyze' },
      schema: {
        summary: 'Changes of an alias, newest first',
        tags: ['models'],
        querystring: { type: 'object', properties: { alias: { type: 'string', default: PRODUCTION } } },
        response: { 200: anyObject, ...errors },
      },
    },
    async (req) => {
      const { alias } = req.query as { alias: string };
      const history = await reg.history(alias);
      return {
        alias,
        history: history.map((h) => ({
          name: h.name,
          version: h.version,
          action: h.action,
          reason: h.reason,
          changed_at: h.changedAt.toISOString(),
        })),
      };
    },
  );

  app.post(
    '/api/models/promote',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Point an alias (default production) at a registered version; servers pick it up',
        tags: ['models'],
        body: {
          type: 'object',
          required: ['name', 'version'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1 },
            version: { type: 'string', minLength: 1 },
            alias: { type: 'string', enum: [PRODUCTION, STAGING], default: PRODUCTION },
            reason: { type: 'string', maxLength: 500 },
          },
        },
        response: { 200: anyObject, ...errors },
      },
    },
    async (req) => {
      const b = req.body as { name: string; version: string; alias: string; reason?: string };
      const who = req.apiKey?.name ?? 'anonymous';
      await reg.promote(b.name, b.version, b.alias, b.reason ?? `promoted by ${who} in the web UI or API`);
      return { alias: b.alias, name: b.name, version: b.version };
    },
  );

  app.post(
    '/api/models/rollback',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Move an alias (default production) back to the version it pointed at before',
        tags: ['models'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { alias: { type: 'string', enum: [PRODUCTION, STAGING], default: PRODUCTION } },
        },
        response: { 200: anyObject, ...errors },
      },
    },
    async (req) => {
      const { alias } = (req.body ?? {}) as { alias?: string };
      return reg.rollback(alias ?? PRODUCTION);
    },
  );

  const runner = () => {
    if (!ctx.pipeline) throw new UnavailableError('the pipeline runner is not enabled on this server');
    return ctx.pipeline;
  };

  app.get(
    '/api/pipeline/steps',
    {
      config: { scope: 'admin' },
      schema: { summary: 'The pipeline steps this server can run', tags: ['pipeline'], response: { 200: anyObject } },
    },
    async () => ({ steps: runner().available(), runner: runner().kind }),
  );

  app.get(
    '/api/pipeline/schedules',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'The configured schedules: cron, next fire on this server, last fire and its run',
        tags: ['pipeline'],
        response: { 200: anyObject },
      },
    },
    async () => {
      const rows = await ctx.meta.db.selectFrom('pipeline_schedules').selectAll().execute();
      const next = new Map((ctx.scheduler?.upcoming() ?? []).map((u) => [u.name, u.next]));
      return {
        schedules: ctx.config.pipeline.schedules.map((sc) => {
          const row = rows.find((r) => r.name === sc.name);
          return {
            name: sc.name,
            cron: sc.cron,
            timezone: sc.timezone,
            enabled: sc.enabled,
            steps: sc.steps ?? null,
            next_fire_at: next.get(sc.name)?.toISOString() ?? null,
            last_fire_at: row?.last_fire_at ? new Date(row.last_fire_at).toISOString() : null,
            last_run_id: row?.last_run_id ?? null,
            last_outcome: row?.last_outcome ?? null,
          };
        }),
      };
    },
  );

  app.get(
    '/api/pipeline/runs',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Pipeline runs with their steps, status and progress, newest first',
        tags: ['pipeline'],
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'string', pattern: '^([1-9]|[1-9][0-9]|100)$', description: '1-100, default 20' },
            offset: { type: 'string', pattern: '^[0-9]{1,9}$', description: 'default 0' },
          },
        },
        response: { 200: anyObject, ...errors },
      },
    },
    async (req) => {
      const q = req.query as { limit?: string; offset?: string };
      const limit = Number(q.limit ?? 20);
      const offset = Number(q.offset ?? 0);
      const r = runner();
      const [runs, total] = await Promise.all([r.store.list(limit, offset), r.store.count()]);
      return { runs: runs.map(runJson), total };
    },
  );

  app.get(
    '/api/pipeline/runs/:id',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'One pipeline run with its steps and its log (from `after`, for tailing)',
        tags: ['pipeline'],
        params: idParam,
        querystring: {
          type: 'object',
          properties: { after: { type: 'string', pattern: '^[0-9]{1,12}$', description: 'last log id seen' } },
        },
        response: { 200: anyObject, ...errors },
      },
    },
    async (req) => {
      const id = Number((req.params as { id: string }).id);
      const after = Number((req.query as { after?: string }).after ?? 0);
      const r = runner();
      const run = await r.store.get(id);
      if (!run) throw new NotFoundError(`pipeline run ${id} does not exist`);
      const logs = await r.store.logs(id, after);
      return {
        ...runJson(run),
        logs: logs.map((l) => ({ id: l.id, step: l.step, level: l.level, message: l.message, at: l.at.toISOString() })),
      };
    },
  );

  app.post(
    '/api/pipeline/runs',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Start a pipeline run (queued behind a running one); answers 202 with the run',
        tags: ['pipeline'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            steps: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 20 },
            params: { type: 'object', additionalProperties: true },
          },
        },
        response: { 202: anyObject, ...errors },
      },
    },
    async (req, reply) => {
      const b = (req.body ?? {}) as { steps?: string[]; params?: Record<string, unknown> };
      const run = await runner().start({
        ...(b.steps ? { steps: b.steps } : {}),
        params: b.params ?? {},
        requestedBy: req.apiKey?.name ?? 'anonymous',
      });
      return reply.status(202).send(runJson(run));
    },
  );

  for (const action of ['cancel', 'resume'] as const) {
    app.post(
      `/api/pipeline/runs/:id/${action}`,
      {
        config: { scope: 'admin' },
        schema: {
          summary: action === 'cancel' ? 'Cancel a queued or running run' : 'Resume a failed or stopped run',
          tags: ['pipeline'],
          params: idParam,
          response: { 200: anyObject, ...errors },
        },
      },
      async (req) => {
        const id = Number((req.params as { id: string }).id);
        return runJson(action === 'cancel' ? await runner().cancel(id) : await runner().resume(id));
      },
    );
  }
}

/**
 * The headline figures of a model's metrics, whatever else they hold: the e-commerce test split first (the
 * product's own domain) when the model recorded it, then its in-domain test set (MVSA-Single or the user's).
 */
/**
 * A version's stored evaluation report in listings: null when it has none; else where to read it (`url`: the
 * public link by the page's sha256, `path`: the route that needs a key) and its headline figures.
 */
function reportOf(r: StoredReport | undefined): Record<string, unknown> | null {
  if (!r) return null;
  return {
    url: publicReportUrl(r),
    path: `/api/models/${encodeURIComponent(r.name)}/${encodeURIComponent(r.version)}/report`,
    created_at: r.createdAt.toISOString(),
    n: r.summary.n ?? null,
    macro_f1: r.summary.macro_f1 ?? null,
    against: r.summary.against ? `${r.summary.against.name}@${r.summary.against.version}` : null,
    run_id: r.runId,
  };
}

function summaryOf(m: Record<string, unknown>): Record<string, unknown> {
  type Scored = { accuracy?: number; macro_f1?: number; n?: number; per_class_f1?: number[] };
  const test = (m.test ?? {}) as Record<string, Scored>;
  const served = test.served ?? test.fused;
  const ecom = (m.ecommerce as { test?: Scored } | undefined)?.test;
  const polarity = (m.product_polarity ?? {}) as Record<string, { accuracy?: number }>;
  const inDomain = {
    accuracy: served?.accuracy ?? null,
    macro_f1: served?.macro_f1 ?? null,
    n: served?.n ?? null,
  };
  const head = ecom ?? served;
  return {
    test_set: ecom ? 'e-commerce reviews (star-balanced test split)' : (m.test_set ?? null),
    accuracy: head?.accuracy ?? null,
    macro_f1: head?.macro_f1 ?? null,
    neutral_f1: head?.per_class_f1?.[1] ?? null,
    n: head?.n ?? null,
    ...(ecom ? { other_sets: { [String(m.test_set ?? 'mvsa-single')]: inDomain } } : {}),
    product_polarity: Object.fromEntries(Object.entries(polarity).map(([k, v]) => [k, v.accuracy ?? null])),
  };
}
