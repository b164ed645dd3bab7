import { fileURLToPath } from 'node:url';
import type { Config } from '../core/config.js';
import { reviewContentId } from '../core/ids.js';
import type { SimilarReview } from '../core/types.js';
import { DriftMonitor, DriftTrigger } from '../drift/index.js';
import { VlmAnalyzer } from '../llm/index.js';
import type { ModelArtifact } from '../models/artifact.js';
import { type Encoders, loadArtifactEncoders, loadWordVectorAsset } from '../models/index.js';
import { batchedEncoders, type EncoderBatching } from '../models/micro-batch.js';
import {
  PIPELINE_STEPS,
  type PipelineControl,
  PipelineRunner,
  PipelineScheduler,
  type PipelineServices,
} from '../pipeline/index.js';
import { openRetrieval, type Retrieval, type SearchHit } from '../retrieval/index.js';
import {
  type Analysis,
  AnalysisService,
  Analyzer,
  type SentimentAnalyzer,
  type SimilarFinder,
} from '../sentiment/index.js';
import {
  type BlobStore,
  type Cache,
  FallbackCache,
  LruCache,
  MetadataStore,
  openBlobStore,
  RedisCache,
} from '../storage/index.js';
import { ModelRegistry } from '../training/registry.js';
import { ApiKeyStore } from './auth/index.js';
import { registerDriftMetrics } from './drift-routes.js';
import { ServerMetrics } from './metrics.js';
import { ModelWatcher } from './reload.js';
import { registerStoreMetrics } from './store-metrics.js';

/** The model artifact shipped in the repository, promoted to production on a fresh store. */
export const BUNDLED_ARTIFACT = fileURLToPath(new URL('../../artifacts/reviewlens-fusion.json', import.meta.url));

export interface AppContext {
  config: Config;
  meta: MetadataStore;
  blobs: BlobStore;
  cache: Cache<Analysis>;
  registry: ModelRegistry;
  /** The local model's encoders; absent when `analyzer.backend` is `vlm` (they are not loaded then). */
  encoders?: Encoders;
  service: AnalysisService;
  metrics: ServerMetrics;
  /** API keys in the metadata store. */
  keys: ApiKeyStore;
  /** Hot reload of the production model (absent with the `vlm` backend); started by the server. */
  watcher?: ModelWatcher;
  /** The search index; absent with the `vlm` backend (no local encoders) or when it could not be opened. */
  retrieval?: Retrieval;
  /** Why `retrieval` is absent, for the search routes' 503 and the health report. */
  retrievalError?: string;
  /**
   * The pipeline runner: in-process (absent with the `vlm` backend: its steps need the local encoders), or with
   * `pipeline.queue.backend: bullmq` the queue runner that hands steps to `reviewlens worker` processes.
   */
  pipeline?: PipelineControl;
  /** Starts the configured schedules' runs (`pipeline.schedules`); only on a server with schedules. */
  scheduler?: PipelineScheduler;
  /** The live distribution of analyses against the served model's reference (absent when `drift.enabled` is false). */
  drift?: DriftMonitor;
  /** Starts a pipeline run on drift (`drift.triggerPipeline`); started by the server. */
  driftTrigger?: DriftTrigger;
  close(): Promise<void>;
}

/** `requested_by` of the pipeline runs the drift trigger starts. */
export const DRIFT_REQUESTER = 'drift';

/** URL of a stored photo's thumbnail on this server. */
export const thumbnailUrl = (imageId: string) => `/api/photos/${imageId}/thumbnail`;

/** A search hit in the analysis answer's `similar_reviews` shape. */
export function similarReview(h: SearchHit): SimilarReview {
  const r = h.review;
  return {
    id: h.id,
    text: r.text,
    score: h.scores.rerank_score ?? h.scores.fused_score,
    ...(r.label ? { sentiment: r.label } : {}),
    ...(r.product ? { product: r.product } : {}),
    ...(r.rating != null ? { rating: r.rating } : {}),
    ...(r.imageId ? { thumbnail_url: thumbnailUrl(r.imageId) } : {}),
  };
}

/** Words of an analyzed review that its similar-review search matches by BM25. */
const SIMILAR_QUERY_WORDS = 48;
/**
 * Of those, the rarest terms its BM25 list scores. A whole review's 25 terms (MAX_QUERY_TERMS) cost 7.4 ms p50
 * at 100,000 reviews, 12 cost 2.2 ms, and the similar reviews found agree with the review's label as often
 * (0.609 vs 0.603 of the top 10, 200 held-out reviews; docs/benchmarks.md, search-scale notes).
 */
const SIMILAR_QUERY_TERMS = 12;

function similarFinder(retrieval: Retrieval, k: number): SimilarFinder {
  const norm = (t: string) => t.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
  return async (input, vectors, imageSha) => {
    if (k === 0 || typeof input.text !== 'string') return [];
    const self = reviewContentId({ text: input.text }, imageSha);
    const res = await retrieval.searcher.search({
      // BM25's cost grows with the query's terms: a long review is matched on its first words (the dense list
      // uses the whole review's vector, passed below).
      text: vectors?.text ? input.text.split(/\s+/, SIMILAR_QUERY_WORDS).join(' ') : input.text,
      ...(vectors ? { vectors } : input.image ? { image: input.image } : {}),
      // A few extra, for the copies of this very review (same text, maybe another product) left out below.
      k: k + 3,
      rerank: false,
      bm25MaxTerms: SIMILAR_QUERY_TERMS,
      excludeIds: [self],
    });
    const text = norm(input.text);
    return res.hits
      .filter((h) => norm(h.review.text) !== text)
      .slice(0, k)
      .map(similarReview);
  };
}

/**
 * The analysis cache: in-process, or with `redis.url` set, Redis (shared by every server) with the
 * in-process cache standing in while Redis is unreachable (at start or later; `/api/ready` says so). Redis
 * is used again, without a restart, once it answers.
 */
async function openCache(
  config: Config,
  log: (msg: string) => void,
): Promise<Cache<Analysis> & { close?(): Promise<void>; errors?: number }> {
  const memory = new LruCache<Analysis>(config.cache);
  if (config.redis.url === '') return memory;
  // Its own prefix: the rate limiter keeps its counters under reviewlens:ratelimit:.
  const opts = { url: config.redis.url, ttlSeconds: config.cache.ttlSeconds, keyPrefix: 'reviewlens:cache:' };
  let redis: RedisCache<Analysis>;
  try {
    redis = await RedisCache.connect<Analysis>(opts);
  } catch (e) {
    log(`WARNING: ${(e as Error).message}; the in-process cache serves until Redis answers`);
    redis = RedisCache.connectInBackground<Analysis>(opts);
  }
  return new FallbackCache<Analysis>(redis, memory, {
    onChange: (mode, reason) =>
      log(
        mode === 'fallback'
          ? `WARNING: ${reason}; the in-process cache serves until Redis answers`
          : `${reason}: the analysis cache is shared in Redis again`,
      ),
  });
}

/**
 * Opens the stores (applying migrations), bootstraps the registry, and loads the production model
 * with its encoders, or, with `analyzer.backend: vlm`, sets up the vision-language model client
 * instead (no local model is loaded then). Everything the server and the CLI's `analyze` share.
 * `serve: true` (the server) shares an embedded database with other processes (see MetadataStore.open).
 */
export async function createContext(
  config: Config,
  log: (msg: string) => void = () => {},
  opts: { serve?: boolean } = {},
): Promise<AppContext> {
  // A server (`serve: true`) owns an embedded data directory and shares it: CLI commands run meanwhile
  // go through it. A one-off command (`reviewlens analyze`) only holds it for its run.
  const meta = await MetadataStore.open({
    url: config.database.url,
    dataDir: config.dataDir,
    share: opts.serve ?? false,
    command: opts.serve ? 'reviewlens start (server)' : undefined,
  });
  const closers: (() => Promise<void>)[] = [() => meta.close()];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    const blobs = openBlobStore(config);
    const cache = await openCache(config, log);
    if (cache.close) closers.push(() => cache.close?.() ?? Promise.resolve());
    const registry = new ModelRegistry(meta, blobs);
    const boot = await registry.bootstrap(BUNDLED_ARTIFACT);
    if (boot.promoted) log(`promoted the bundled model ${boot.version} to production: ${boot.reason}`);
    let encoders: Encoders | undefined;
    let batching: EncoderBatching | undefined;
    const metrics = new ServerMetrics({
      cacheErrors: () => cache.errors ?? 0,
      queueDepth: () => batching?.queueDepth() ?? {},
    });
    const observe = (stage: string, seconds: number) => metrics.stageSeconds.observe({ stage }, seconds);
    let analyzer: SentimentAnalyzer;
    let retrieval: Retrieval | undefined;
    let retrievalError: string | undefined = 'the search index needs the local encoders (analyzer.backend is vlm)';
    let build: ((artifact: ModelArtifact) => Promise<SentimentAnalyzer>) | undefined;
    if (config.analyzer.backend === 'vlm') {
      analyzer = VlmAnalyzer.fromConfig(config);
      log(
        `serving the vision-language model ${config.vlm.model} at ${config.vlm.url} (metadata: ${meta.backend}); ` +
          'its confidences are self-reported, not calibrated',
      );
    } else {
      const artifact = await registry.production();
      const raw = await loadArtifactEncoders(config.models, artifact);
      // Concurrent requests share encoder calls when models.microBatchMax > 1 (off by default: on two
      // cores the quantised encoders gained nothing from batching, see docs/benchmarks.md).
      if (config.models.microBatchMax > 1) {
        const o = { maxBatch: config.models.microBatchMax, maxWaitMs: config.models.microBatchWaitMs };
        batching = batchedEncoders(raw, { text: o, image: o });
      }
      const loaded = batching?.encoders ?? raw;
      encoders = loaded;
      closers.push(async () => {
        await loaded.text.dispose();
        await loaded.image.dispose();
      });
      build = async (a) => {
        if (a.encoders.text !== loaded.text.id || a.encoders.image !== loaded.image.id) {
          throw new Error(
            `it needs encoders ${a.encoders.text} + ${a.encoders.image}, the server runs ${loaded.text.id} + ${loaded.image.id}: restart the server (and re-index) to serve it`,
          );
        }
        // Word vectors are not part of the search index: a reloaded model that reads others loads them here.
        if (a.encoders.words && loaded.words?.name !== a.encoders.words) {
          loaded.words = await loadWordVectorAsset(config.models.dir, a.encoders.words);
        }
        return new Analyzer(a, loaded, { ...config.limits }, config.models.useImage, observe);
      };
      analyzer = await build(artifact);
      log(`serving model ${artifact.name}@${artifact.version} (metadata: ${meta.backend}, cache: ${cache.backend})`);
      try {
        const r = await openRetrieval(config, loaded, blobs);
        retrieval = r;
        closers.push(() => r.close());
        retrievalError = undefined;
        log(`search index: ${r.backend.name}, ${await r.backend.count()} reviews`);
      } catch (e) {
        // Analysis still works without the index; search answers 503 with this reason.
        retrievalError = `the search index could not be opened: ${(e as Error).message}`;
        log(`WARNING: ${retrievalError}`);
      }
    }
    const index = retrieval;
    const drift = config.drift.enabled
      ? new DriftMonitor(analyzer.model, {
          windowSize: config.drift.windowSize,
          minSamples: config.drift.minSamples,
          threshold: config.drift.psiThreshold,
          ...(config.drift.referenceFile ? { referenceFile: config.drift.referenceFile } : {}),
        })
      : undefined;
    if (drift && !drift.hasReference) log(`drift is not measured: ${drift.report().reason}`);
    const service = new AnalysisService(
      analyzer,
      cache,
      index ? similarFinder(index, config.retrieval.similarK) : undefined,
      {
        cacheLookup: (hit) => metrics.cacheLookups.inc({ result: hit ? 'hit' : 'miss' }),
        similarTtlMs: config.retrieval.similarCacheSeconds * 1000,
        similarTimeoutMs: config.retrieval.similarTimeoutMs,
        ...(drift
          ? {
              answered: (input, r) =>
                drift.observe({
                  sentiment: r.sentiment,
                  confidence: r.confidence,
                  textChars: typeof input.text === 'string' ? input.text.length : 0,
                  hasPhoto: input.image !== undefined,
                  mismatch: r.mismatch,
                }),
            }
          : {}),
      },
    );
    const driftMetrics = drift ? registerDriftMetrics(metrics.registry, drift) : undefined;
    registerStoreMetrics(metrics.registry, meta);
    metrics.setModel(service.model);
    const watcher = build
      ? new ModelWatcher({
          registry,
          current: () => service.model,
          build,
          swap: (a) => {
            service.swap(a);
            metrics.setModel(a.model);
            drift?.setModel(a.model);
          },
          intervalMs: config.models.reloadIntervalSeconds * 1000,
          log: (level, msg) => log(level === 'error' ? `ERROR: ${msg}` : msg),
          onReload: (result) => metrics.reloads.inc({ result }),
        })
      : undefined;
    if (watcher) closers.push(() => watcher.stop());
    let pipeline: PipelineControl | undefined;
    if (config.pipeline.queue.backend === 'bullmq') {
      // Scale-out: this server records runs and queues their steps; `reviewlens worker` processes run them.
      const { QueuedPipelineRunner, queueSettings } = await import('../pipeline/queue/index.js');
      const runner = new QueuedPipelineRunner(meta.db, PIPELINE_STEPS, queueSettings(config), {
        log: (level, msg) => log(level === 'info' ? msg : `${level.toUpperCase()}: ${msg}`),
      });
      pipeline = runner;
      closers.push(() => runner.close());
    } else if (encoders) {
      const enc = encoders;
      const services: PipelineServices = {
        config,
        meta,
        blobs,
        registry,
        encoders: async () => enc,
        retrieval: async () => index,
      };
      const runner = new PipelineRunner(services, PIPELINE_STEPS, {
        log: (level, msg) => log(level === 'info' ? msg : `${level.toUpperCase()}: ${msg}`),
      });
      pipeline = runner;
      // Closed first (closers run in reverse): a running step is stopped before the stores close.
      closers.push(() => runner.close());
    }
    let scheduler: PipelineScheduler | undefined;
    if (pipeline && opts.serve && config.pipeline.schedules.some((s) => s.enabled)) {
      // Started after the runner's closer is registered, so it is stopped before the runner closes.
      const sched = new PipelineScheduler(meta.db, pipeline, config.pipeline.schedules, {
        log: (level, msg) => log(level === 'info' ? msg : `${level.toUpperCase()}: ${msg}`),
      }).start();
      scheduler = sched;
      closers.push(() => sched.stop());
      for (const u of sched.upcoming())
        log(`schedule ${u.name} (${u.cron} ${u.timezone}): next run ${u.next.toISOString()}`);
    }
    // Drift: a pipeline run when the live distribution moves past drift.psiThreshold (drift.triggerPipeline).
    const runner = pipeline;
    const driftTrigger =
      drift && runner && config.drift.triggerPipeline
        ? new DriftTrigger(drift, {
            intervalMs: config.drift.checkIntervalSeconds * 1000,
            cooldownMs: config.drift.cooldownSeconds * 1000,
            start: async (report) =>
              (
                await runner.start({
                  ...(config.drift.triggerSteps.length > 0 ? { steps: config.drift.triggerSteps } : {}),
                  params: { drift: { drifted: report.drifted, threshold: report.threshold } },
                  requestedBy: DRIFT_REQUESTER,
                })
              ).id,
            lastStartedAt: async () => {
              const row = await meta.db
                .selectFrom('pipeline_runs')
                .select('created_at')
                .where('requested_by', '=', DRIFT_REQUESTER)
                .orderBy('id', 'desc')
                .executeTakeFirst();
              return row ? new Date(row.created_at).getTime() : undefined;
            },
            log: (level, msg) => log(level === 'info' ? msg : `WARNING: ${msg}`),
            onTrigger: () => driftMetrics?.triggeredRuns.inc(),
          })
        : undefined;
    if (driftTrigger) closers.push(async () => driftTrigger.stop());
    return {
      config,
      meta,
      blobs,
      cache,
      registry,
      metrics,
      keys: new ApiKeyStore(meta),
      ...(watcher ? { watcher } : {}),
      ...(encoders ? { encoders } : {}),
      service,
      ...(index ? { retrieval: index } : {}),
      ...(retrievalError ? { retrievalError } : {}),
      ...(pipeline ? { pipeline } : {}),
      ...(scheduler ? { scheduler } : {}),
      ...(drift ? { drift } : {}),
      ...(driftTrigger ? { driftTrigger } : {}),
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
