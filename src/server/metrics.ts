import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The server's Prometheus metrics, in one registry per server (so tests and several servers in one
 * process never share counters). Served at `GET /metrics` in the text exposition format.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly requestSeconds: Histogram<'method' | 'route' | 'status'>;
  readonly stageSeconds: Histogram<'stage'>;
  readonly cacheLookups: Counter<'result'>;
  readonly rateLimited: Counter<'route'>;
  readonly modelInfo: Gauge<'name' | 'version'>;
  readonly reloads: Counter<'result'>;
  readonly inFlight: Gauge;

  constructor(opts: { queueDepth?: () => Record<string, number>; cacheErrors?: () => number } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'reviewlens_http_requests_total',
      help: 'HTTP requests answered, by method, route and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'reviewlens_http_request_duration_seconds',
      help: 'Time from request received to response sent',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.stageSeconds = new Histogram({
      name: 'reviewlens_stage_duration_seconds',
      help: 'Time in one stage of an analysis or search: text_encoder, image_encoder, classifier, search',
      labelNames: ['stage'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.cacheLookups = new Counter({
      name: 'reviewlens_cache_lookups_total',
      help: 'Analysis cache lookups by result (hit or miss)',
      labelNames: ['result'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'reviewlens_rate_limited_total',
      help: 'Requests refused with 429 by the rate limiter, by route',
      labelNames: ['route'],
      registers,
    });
    this.modelInfo = new Gauge({
      name: 'reviewlens_model_info',
      help: 'The model being served (value 1), by name and version',
      labelNames: ['name', 'version'],
      registers,
    });
    this.reloads = new Counter({
      name: 'reviewlens_model_reloads_total',
      help: 'Hot reloads of the production model, by result',
      labelNames: ['result'],
      registers,
    });
    this.inFlight = new Gauge({
      name: 'reviewlens_http_requests_in_flight',
      help: 'Requests being handled now',
      registers,
    });
    const { queueDepth, cacheErrors } = opts;
    new Gauge({
      name: 'reviewlens_queue_depth',
      help: 'Items waiting for an encoder batch, by encoder',
      labelNames: ['queue'],
      registers,
      collect() {
        for (const [queue, n] of Object.entries(queueDepth?.() ?? {})) this.set({ queue }, n);
      },
    });
    new Gauge({
      name: 'reviewlens_cache_errors',
      help: 'Cache operations that failed (a Redis that was unreachable); each counted as a miss',
      registers,
      collect() {
        this.set(cacheErrors?.() ?? 0);
      },
    });
  }

  /** Marks `model` as the one served (and no other). */
  setModel(model: { name: string; version: string }): void {
    this.modelInfo.reset();
    this.modelInfo.set({ name: model.name, version: model.version }, 1);
  }

  /** Times `fn` as one observation of `stage`. */
  async time<T>(stage: string, fn: () => Promise<T>): Promise<T> {
    const end = this.stageSeconds.startTimer({ stage });
    try {
      return await fn();
    } finally {
      end();
    }
  }
}
