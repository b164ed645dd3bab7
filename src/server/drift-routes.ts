import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { DRIFT_FEATURES, type DriftMonitor } from '../drift/index.js';
import type { AppContext } from './context.js';

/**
 * Drift in `/metrics`, computed from the monitor at scrape time:
 * - `reviewlens_drift_psi{feature}`: PSI of each feature's live window against the reference (only once the window
 *   holds `drift.minSamples` analyses and a reference is loaded);
 * - `reviewlens_drift_window_analyses`: analyses in the live window;
 * - `reviewlens_drift_reference_loaded`: 1 when the served model has a reference, else 0 (drift is not measured);
 * - `reviewlens_drift_psi_threshold`: `drift.psiThreshold`, for dashboards and alerts;
 * - `reviewlens_drift_triggered_runs_total`: pipeline runs started because of drift.
 */
export function registerDriftMetrics(registry: Registry, drift: DriftMonitor): { triggeredRuns: Counter } {
  const registers = [registry];
  new Gauge({
    name: 'reviewlens_drift_psi',
    help: 'Population stability index of the live window against the model reference, by feature',
    labelNames: ['feature'],
    registers,
    collect() {
      this.reset();
      const r = drift.report();
      for (const f of DRIFT_FEATURES) {
        const v = r.features[f]?.psi;
        if (v !== undefined) this.set({ feature: f }, v);
      }
    },
  });
  new Gauge({
    name: 'reviewlens_drift_window_analyses',
    help: 'Analyses in the live drift window',
    registers,
    collect() {
      this.set(drift.report().window.n);
    },
  });
  new Gauge({
    name: 'reviewlens_drift_reference_loaded',
    help: 'Whether the served model has a drift reference (1) or drift is not measured (0)',
    registers,
    collect() {
      this.set(drift.hasReference ? 1 : 0);
    },
  });
  new Gauge({
    name: 'reviewlens_drift_psi_threshold',
    help: 'PSI above which a feature counts as drifted (drift.psiThreshold)',
    registers,
    collect() {
      this.set(drift.opts.threshold);
    },
  });
  const triggeredRuns = new Counter({
    name: 'reviewlens_drift_triggered_runs_total',
    help: 'Pipeline runs started because drift crossed the threshold',
    registers,
  });
  return { triggeredRuns };
}

const featureSchema = {
  type: 'object',
  properties: {
    psi: { type: 'number' },
    bins: { type: 'array', items: { type: 'string' } },
    reference: { type: 'array', items: { type: 'number' } },
    live: { type: 'array', items: { type: 'number' } },
  },
} as const;

/** `GET /api/drift`: the drift report of this server (any key that may analyze, like `GET /api/models`). */
export function registerDriftRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    '/api/drift',
    {
      config: { scope: 'analyze' },
      schema: {
        summary: "Drift of this server's recent analyses against the served model's reference (PSI per feature)",
        description:
          'PSI (population stability index; Siddiqi 2006: < 0.1 stable, 0.1-0.25 moderate, > 0.25 significant) of the ' +
          'last `drift.windowSize` analyses against the reference distributions of the served model, for the predicted ' +
          'class, confidence, text length, photo share and mismatch rate. `status`: `disabled`, `no_reference`, ' +
          '`warming_up` (fewer than `window.min_samples` analyses), `ok` or `drift`.',
        tags: ['models'],
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['disabled', 'no_reference', 'warming_up', 'ok', 'drift'] },
              model: { type: 'object', additionalProperties: true },
              reference: { type: ['object', 'null'], additionalProperties: true },
              reason: { type: 'string' },
              window: { type: 'object', additionalProperties: true },
              threshold: { type: 'number' },
              features: { type: 'object', additionalProperties: featureSchema },
              drifted: { type: 'array', items: { type: 'string' } },
              trigger: { type: 'object', additionalProperties: true },
            },
            required: ['status'],
          },
        },
      },
    },
    async () => {
      if (!ctx.drift) return { status: 'disabled', reason: 'drift.enabled is false', features: {}, drifted: [] };
      return {
        ...ctx.drift.report(),
        trigger: {
          enabled: ctx.driftTrigger !== undefined,
          cooldown_seconds: ctx.config.drift.cooldownSeconds,
          steps: ctx.config.drift.triggerSteps,
        },
      };
    },
  );
}
