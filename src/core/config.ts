import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CronExpressionParser } from 'cron-parser';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_CHROMIUM_PATH } from './chromium.js';
import { ConfigError } from './errors.js';

/** A boolean that also accepts the strings an environment variable holds: 1/0, true/false, yes/no, on/off. */
const envBoolean = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  return v;
}, z.boolean());

/** A list given as one comma-separated string (an environment variable) -> its trimmed, non-empty items. */
const commaList = (v: unknown): unknown =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : v;

/** A labeling gate threshold: a confidence 0..1, or `auto` (from the calibration in use; see `labeling`). */
const labelThreshold = z
  .union([z.literal('auto'), z.coerce.number().min(0).max(1)], {
    error: (iss) => (iss.code === 'invalid_union' ? "expected a number 0..1 or 'auto'" : undefined),
  })
  .default('auto');

/** A list given as one JSON string (an environment variable) -> the parsed list; anything else as it is. */
const jsonList = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

/** A cron expression (5 fields, or 6 with seconds first) that cron-parser reads; the message says why not. */
function cronProblem(expr: string, tz: string | undefined): string | undefined {
  try {
    CronExpressionParser.parse(expr, tz ? { tz } : {}).next();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** One `pipeline.schedules` entry. */
const scheduleSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)'),
    cron: z.string().min(1),
    /** Steps in order (default: every step). */
    steps: z.array(z.string().min(1)).optional(),
    params: z.record(z.string(), z.unknown()).default({}),
    /** IANA time zone of the cron fields (default UTC). */
    timezone: z.string().default('UTC'),
    enabled: envBoolean.default(true),
  })
  .strict()
  .superRefine((s, ctx) => {
    const why = cronProblem(s.cron, s.timezone);
    if (why) ctx.addIssue({ code: 'custom', path: ['cron'], message: `not a cron expression or time zone: ${why}` });
  });

/**
 * The one configuration schema. Values come, lowest precedence first, from the defaults below,
 * a config file (JSON or YAML: `--config`, `REVIEWLENS_CONFIG`, or `reviewlens.config.{json,yaml,yml}`
 * in the working directory), environment variables (ENV_VARS), and command-line overrides.
 */
export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.coerce.number().int().min(0).max(65535).default(8080),
        requestTimeoutMs: z.coerce.number().int().positive().default(30_000),
        /**
         * Web origins (`https://shop.example`, `http://localhost:3000`) whose pages may call the API from a
         * browser (CORS). Empty, the default: no CORS headers, so browsers let only the server's own UI call
         * it. `*` allows any origin. A list, or one comma-separated string (REVIEWLENS_CORS_ORIGINS).
         */
        corsOrigins: z
          .preprocess(
            commaList,
            z.array(
              z.string().refine((o) => o === '*' || isWebOrigin(o), {
                message:
                  "expected an origin like https://shop.example or http://localhost:3000 (scheme, host, optional port; no path), or '*'",
              }),
            ),
          )
          .default([]),
      })
      .prefault({}),
    dataDir: z.string().min(1).default('.reviewlens'),
    database: z
      .object({
        /** PostgreSQL connection string; when empty the embedded PGlite database in `<dataDir>/db` is used. */
        url: z.string().default(''),
      })
      .prefault({}),
    models: z
      .object({
        /** Directory the model assets are resolved into (default: `<dataDir>/models` if it exists, else the install's `.reviewlens/models`, where `npm ci` fetched them; see defaultModelsDir). */
        dir: z.string().default(''),
        /** Threads per model for inference (ONNX intra-op threads; TF.js wasm threads). */
        threads: z.coerce.number().int().min(1).max(64).default(1),
        /** Use the photo when one is given (false: always analyze text only). */
        useImage: envBoolean.default(true),
        /** Concurrent requests share encoder calls, at most this many items per call; 1: off (the default, measured faster here). */
        microBatchMax: z.coerce.number().int().min(1).max(256).default(1),
        /** How long a request waits for others to join its encoder call. */
        microBatchWaitMs: z.coerce.number().min(0).max(100).default(2),
        /** How often a server checks the registry's `production` alias and hot-swaps a new model (0: never). */
        reloadIntervalSeconds: z.coerce.number().min(0).default(10),
      })
      .prefault({}),
    limits: z
      .object({
        maxTextChars: z.coerce.number().int().positive().default(20_000),
        maxImageBytes: z.coerce
          .number()
          .int()
          .positive()
          .default(10 * 1024 * 1024),
        maxImagePixels: z.coerce.number().int().positive().default(40_000_000),
        /** Items in one `POST /api/analyze/batch`. */
        maxBatchItems: z.coerce.number().int().min(1).max(1000).default(32),
      })
      .prefault({}),
    cache: z
      .object({
        maxEntries: z.coerce.number().int().min(0).default(5000),
        ttlSeconds: z.coerce.number().int().min(0).default(3600),
      })
      .prefault({}),
    auth: z
      .object({
        /** API keys (`reviewlens keys create`) on every route but health, readiness, docs and metrics. Off only when set false, and start-up says so. */
        enabled: envBoolean.default(true),
      })
      .prefault({}),
    redis: z
      .object({
        /** `redis://host:port/db`: when set, the analysis cache and the rate limits live in Redis, shared by every server. */
        url: z.string().default(''),
      })
      .prefault({}),
    rateLimit: z
      .object({
        enabled: envBoolean.default(true),
        /** Requests per window, per API key (or client address without auth) and per route. */
        max: z.coerce.number().int().min(1).default(600),
        windowSeconds: z.coerce.number().int().min(1).default(60),
        /** Per-route overrides of `max`, keyed by route URL, e.g. `{ "/api/analyze/batch": 60 }`. */
        routes: z.record(z.string(), z.coerce.number().int().min(1)).default({}),
      })
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** `auto`: human-readable lines when stdout is a terminal, JSON lines otherwise (production); or force one. */
        format: z.enum(['auto', 'json', 'pretty']).default('auto'),
      })
      .prefault({}),
    training: z
      .object({
        /** The registration gate: a candidate below this macro-F1 on its evaluation set is never registered. */
        minMacroF1: z.coerce.number().min(0).max(1).default(0.5),
        gate: z
          .object({
            /**
             * Promotion (the pipeline's `promote` step) also reads the candidate's stored evaluation report (the
             * `evaluate` step's): refused when there is none, when the lower end of its overall macro-F1 95%
             * interval is below `reportMinMacroF1`, or when on any data set of the report it is worse than
             * production beyond the paired-bootstrap interval. Off by default: the gate stays as it was.
             */
            useReport: envBoolean.default(false),
            /** With `useReport`: least lower end of the report's overall macro-F1 95% interval. */
            reportMinMacroF1: z.coerce.number().min(0).max(1).default(0.4),
          })
          .prefault({}),
      })
      .prefault({}),
    pipeline: z
      .object({
        /** Attempts of a step that fails because a store is unreachable (1: no retry); the runner's writes too. */
        retryAttempts: z.coerce.number().int().min(1).max(20).default(5),
        /** Wait before the first retry; each next one doubles, up to `retryMaxMs`. */
        retryBaseMs: z.coerce.number().int().min(0).max(600_000).default(1000),
        retryMaxMs: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
        /**
         * Runs started by the server on a clock (cron syntax, 5 fields, or 6 with seconds first), e.g.
         * `{ name: nightly, cron: "0 3 * * *", steps: [ingest, label, index, train, promote] }`. A fire time is
         * claimed once across all servers, and a schedule whose last run is still queued or running skips the fire.
         * A list, or one JSON string (REVIEWLENS_PIPELINE_SCHEDULES). See docs/pipeline.md.
         */
        schedules: z
          .preprocess(jsonList, z.array(scheduleSchema))
          .default([])
          .refine((l) => new Set(l.map((x) => x.name)).size === l.length, { message: 'schedule names must be unique' }),
        /**
         * What the `promote` step does with a candidate the train step registered: `manual` (default) records it
         * as held for a person (`reviewlens models promote`); `auto` promotes it to production when the registry
         * gate passed and the shadow comparison on recent traffic holds (`pipeline.shadow`). Reversible:
         * `reviewlens models rollback` / `POST /api/models/rollback`.
         */
        promotion: z.enum(['manual', 'auto']).default('manual'),
        /**
         * The `evaluate` step: the evaluation report (`reviewlens eval --report`) of the candidate `train`
         * registered, kept small so a pipeline run stays quick. See docs/pipeline.md.
         */
        evaluate: z
          .object({
            /** Reviews scored per data set (a seeded sample): the candidate's held-out store reviews, each built-in set. */
            sample: z.coerce.number().int().min(10).max(100_000).default(200),
            /** Built-in held-out sets scored besides the store's (`ecommerce-test`, `mvsa-test`); empty: none. */
            sets: z.preprocess(commaList, z.array(z.enum(['ecommerce-test', 'mvsa-test']))).default(['ecommerce-test']),
            /** Reviews the text perturbations (typos, casing, punctuation) run on. */
            robustnessN: z.coerce.number().int().min(0).max(10_000).default(40),
            /** Reviews with a photo the photo perturbations (noise, blur, JPEG, rotation, low light) run on. */
            photoN: z.coerce.number().int().min(0).max(1000).default(10),
            /** Damaged and intact product photos (each) for the glowing-text check; 0: skipped. */
            glowingN: z.coerce.number().int().min(0).max(1000).default(5),
            /** Also run the production model on the same items, for the differences with paired intervals. */
            againstProduction: envBoolean.default(true),
          })
          .prefault({}),
        shadow: z
          .object({
            /** The most recent stored reviews (the traffic the system saw last) that both models answer. */
            sample: z.coerce.number().int().min(1).max(10_000).default(200),
            /** Fewer recent reviews than this and the comparison does not hold (nothing to judge on). */
            minSamples: z.coerce.number().int().min(1).default(20),
            /** Share of those reviews on which candidate and production answer the same sentiment. */
            minAgreement: z.coerce.number().min(0).max(1).default(0.8),
            /** On the labelled part of the sample: candidate accuracy may trail production's by at most this. */
            maxAccuracyDrop: z.coerce.number().min(0).max(1).default(0.02),
          })
          .prefault({}),
        queue: z
          .object({
            /** `in-process` (default: the server runs the steps) or `bullmq`: `reviewlens worker` processes run them from Redis (`redis.url`). */
            backend: z.enum(['in-process', 'bullmq']).default('in-process'),
            /** BullMQ queue name and Redis key prefix (several deployments can share one Redis). */
            name: z.string().min(1).default('reviewlens-pipeline'),
            prefix: z.string().min(1).default('reviewlens:bull'),
            /** A worker's hold on a step; a worker silent this long (killed) hands the step to another. */
            lockSeconds: z.coerce.number().int().min(1).max(3600).default(60),
            /** Re-deliveries of a step whose worker stopped answering before the step is failed. */
            maxStalled: z.coerce.number().int().min(0).max(100).default(3),
          })
          .prefault({}),
      })
      .prefault({}),
    blobs: z
      .object({
        /** `local` (default: `<dataDir>/blobs`) or `s3` (S3 / MinIO: shared by several servers and workers). */
        backend: z.enum(['local', 's3']).default('local'),
        s3: z
          .object({
            bucket: z.string().default(''),
            /** Key prefix inside the bucket (`reviewlens/blobs/`). */
            prefix: z.string().default('blobs/'),
            /** Endpoint of an S3-compatible server (MinIO: `http://minio:9000`); empty: AWS. */
            endpoint: z.string().default(''),
            region: z.string().min(1).default('us-east-1'),
            /** Empty: the AWS SDK's default credential chain (environment, profile, instance role). */
            accessKeyId: z.string().default(''),
            secretAccessKey: z.string().default(''),
            /** Path-style URLs (`endpoint/bucket/key`): needed by MinIO and most S3-compatible servers. */
            forcePathStyle: envBoolean.default(true),
          })
          .prefault({}),
      })
      .prefault({}),
    drift: z
      .object({
        /** Track the live distribution of analyses against the served model's reference (PSI; see src/drift). */
        enabled: envBoolean.default(true),
        /** A reference file (`reviewlens drift reference --out`); empty: `data/drift/<name>@<version>.json` in the repository. */
        referenceFile: z.string().default(''),
        /** The live window: the last this many analyses answered by this server. */
        windowSize: z.coerce.number().int().min(10).max(1_000_000).default(2000),
        /** Fewer analyses than this in the window: no PSI is reported yet. */
        minSamples: z.coerce.number().int().min(1).default(200),
        /** PSI above this on any feature is drift (0.25: a significant shift in Siddiqi's 2006 reading). */
        psiThreshold: z.coerce.number().positive().default(0.25),
        /** Start a pipeline run when drift is seen (off by default: a run retrains, which an operator may want to decide). */
        triggerPipeline: envBoolean.default(false),
        /** The steps of a drift-started run; empty: every step. */
        triggerSteps: z.preprocess(commaList, z.array(z.string().min(1))).default([]),
        /** How often drift is checked for the trigger (s). */
        checkIntervalSeconds: z.coerce.number().min(1).default(60),
        /** Least time between two drift-started runs (s). */
        cooldownSeconds: z.coerce.number().min(0).default(86_400),
      })
      .prefault({}),
    labeling: z
      .object({
        /**
         * Gate: a calibrated confidence at or above this is accepted without a human. `auto` (default): the
         * threshold that came with the calibration in use (the production model's shipped one, proposed for
         * precision 0.9 at train time), else the seed's 0.9. A number always wins. The loaded config reads `auto`
         * as 0.9 with `thresholdsSet.accept` false; the labeling agent resolves it (src/labeling/agent.ts).
         */
        acceptThreshold: labelThreshold,
        /**
         * Gate: at or above this (and below acceptThreshold) the review goes to the human queue; below: discarded.
         * `auto` (default) as for acceptThreshold, else the seed's 0.7 (read as 0.7, `thresholdsSet.review` false).
         */
        reviewThreshold: labelThreshold,
        /** The ensemble's calibration (written by `reviewlens label calibrate`); empty: `<dataDir>/labeling/calibration.json`. */
        calibrationFile: z.string().default(''),
        /** Ask the LLM (`llm.url`) as a third labeler when it is set. */
        useLlm: envBoolean.default(true),
        /**
         * Ask the local LLM (`llm.local`) as a third labeler when no `llm.url` is set. Off by default: on real product
         * reviews the 2-bit TinyLlama vote lowered the ensemble's accuracy and costs seconds a review
         * (docs/benchmarks.md#local-llm).
         */
        useLocalLlm: envBoolean.default(false),
        /** Time allowed for one labeler on one review; past it the ensemble decides without that labeler. */
        labelerTimeoutMs: z.coerce.number().int().positive().default(30_000),
        /** Reviews labelled between queue-priority computations (the diversity term looks across one batch). */
        batchSize: z.coerce.number().int().min(1).max(10_000).default(1000),
        /** Queue order: weight of uncertainty against diversity (0..1). */
        uncertaintyWeight: z.coerce.number().min(0).max(1).default(0.5),
        /** Uncertainty measure for the queue order. */
        uncertainty: z.enum(['margin', 'entropy']).default('margin'),
        /**
         * The demo pool `reviewlens start` imports and labels when the store holds no review at all, so the
         * review queue is real out of the box: `auto` (a seeded sample of 560 unlabelled Amazon product reviews,
         * 40 from each of FDU-MTL's 14 domains, from the shared data when present; text only), a JSONL path
         * (`{text, image?}` a line, photos beside it in `images/`), or `off`.
         */
        demoPool: z.string().default('auto'),
      })
      .prefault({})
      .refine(
        (l) => l.reviewThreshold === 'auto' || l.acceptThreshold === 'auto' || l.reviewThreshold <= l.acceptThreshold,
        { message: 'reviewThreshold must not be above acceptThreshold', path: ['reviewThreshold'] },
      )
      .transform(({ acceptThreshold, reviewThreshold, ...rest }) => ({
        ...rest,
        acceptThreshold: acceptThreshold === 'auto' ? 0.9 : acceptThreshold,
        reviewThreshold: reviewThreshold === 'auto' ? 0.7 : reviewThreshold,
        /** Which thresholds were set to a number (false: `auto`, resolved by the labeling agent). */
        thresholdsSet: { accept: acceptThreshold !== 'auto', review: reviewThreshold !== 'auto' },
      })),
    analyzer: z
      .object({
        /** `local`: the trained model in this repository; `vlm`: a vision-language model behind an API (`vlm.*`). */
        backend: z.enum(['local', 'vlm']).default('local'),
      })
      .prefault({}),
    retrieval: z
      .object({
        /** `lancedb`: the embedded index; `external`: Qdrant (vectors) + OpenSearch/Elasticsearch (BM25, records). */
        backend: z.enum(['lancedb', 'external']).default('lancedb'),
        /** LanceDB location: a directory (default `<dataDir>/index`) or an object-store URI such as `s3://bucket/path`. */
        uri: z.string().default(''),
        /** Options for an object-store `uri`, e.g. `{ aws_endpoint, aws_region, aws_access_key_id, allow_http }`. */
        storageOptions: z.record(z.string(), z.string()).default({}),
        table: z.string().min(1).default('reviews'),
        /** Build the in-memory HNSW graph once a vector column has this many rows (exact in-memory scan below; chosen by `npm run bench:search-scale`). */
        annMinRows: z.coerce.number().int().min(1).default(50_000),
        /** Exact re-scoring of HNSW candidates: this many times k. */
        refineFactor: z.coerce.number().int().min(1).default(4),
        /** HNSW search breadth (ef) up to `efScaleRows` rows. */
        ef: z.coerce.number().int().min(1).default(256),
        /**
         * Past this many rows the HNSW breadth doubles per tenfold rows, ef × 2^log10(rows / efScaleRows), so
         * recall@10 holds as the graph grows: 389 at 100k, 778 at 1M (chosen by `npm run bench:search-scale-1m`);
         * 0 keeps ef fixed.
         */
        efScaleRows: z.coerce.number().int().min(0).default(25_000),
        /** Precision of the vectors inside the HNSW graph (f16: half of f32's memory; results are re-scored exactly). */
        annQuantization: z.enum(['f32', 'f16', 'i8']).default('f16'),
        /** Reciprocal Rank Fusion constant. */
        rrfK: z.coerce.number().min(0).default(60),
        /** RRF weight of each list; 0 leaves a list out (BM25 0.5 : dense 1 was chosen on MS MARCO; see docs/benchmarks.md). */
        weights: z
          .object({
            bm25: z.coerce.number().min(0).default(0.5),
            dense: z.coerce.number().min(0).default(1),
            image: z.coerce.number().min(0).default(1),
          })
          .prefault({}),
        /** Candidates fetched from each list before fusion. */
        candidates: z.coerce.number().int().min(1).max(1000).default(50),
        /** Largest `k` a search may ask for. */
        maxK: z.coerce.number().int().min(1).max(1000).default(100),
        rerank: z
          .object({
            /** `none`, `embedding` (USE-Lite cosine), `cross-encoder` (needs `crossEncoderDir`), `llm` (needs `llm.url`). */
            kind: z.enum(['none', 'embedding', 'cross-encoder', 'llm']).default('none'),
            /** Rerank every search unless the request says otherwise. */
            byDefault: envBoolean.default(false),
            /** How many fused candidates are re-scored. */
            depth: z.coerce.number().int().min(2).max(200).default(30),
            /** A cross-encoder in the Hugging Face layout (config.json, tokenizer.json, onnx/model.onnx). */
            crossEncoderDir: z.string().default(''),
          })
          .prefault({}),
        /** How many similar reviews `/api/analyze` returns (0: none). */
        similarK: z.coerce.number().int().min(0).max(50).default(5),
        /** How long the similar reviews kept with a cached analysis are reused before being looked up again. */
        similarCacheSeconds: z.coerce.number().min(0).default(60),
        /** Time budget of `/api/analyze`'s similar-review search (ms): past it the answer has none and a warning (0: no limit). */
        similarTimeoutMs: z.coerce.number().min(0).default(50),
        /** Index maintenance (new rows into the indices, compaction) runs this long after an unmaintained write (s). */
        maintenanceSeconds: z.coerce.number().min(0).default(10),
        /** ...or once this many rows were written since the last one. */
        maintenanceRows: z.coerce.number().int().min(1).default(5000),
        /**
         * Stored records kept in memory for hits (entries; 0: none): filled with the in-memory indices at load,
         * then least recently used. About 0.7 KB a review of 550 characters (docs/retrieval.md).
         */
        recordCacheSize: z.coerce.number().int().min(0).default(1_000_000),
        qdrant: z
          .object({
            url: z.string().default(''),
            apiKey: z.string().default(''),
            collection: z.string().min(1).default('reviews'),
          })
          .prefault({}),
        opensearch: z
          .object({
            url: z.string().default(''),
            index: z.string().min(1).default('reviews'),
            username: z.string().default(''),
            password: z.string().default(''),
          })
          .prefault({}),
      })
      .prefault({}),
    llm: z
      .object({
        /** Base URL of an OpenAI-compatible API for text tasks (LLM reranking, labeling), e.g. `http://127.0.0.1:8080/v1`. */
        url: z
          .string()
          .refine((v) => v === '' || isHttpUrl(v), {
            message: 'must be an http:// or https:// URL without user:password',
          })
          .default(''),
        model: z.string().min(1).default('default'),
        apiKey: z.string().default(''),
        timeoutMs: z.coerce.number().int().positive().default(60_000),
        maxAttempts: z.coerce.number().int().min(1).max(10).default(3),
        /**
         * The local LLM (src/llm/local-llama.ts): TinyLlama-1.1B-Chat GGUF on the CPU through node-llama-cpp. It serves
         * the text tasks when `url` is empty, `enabled` is true and its model file is present.
         */
        local: z
          .object({
            enabled: envBoolean.default(true),
            /** llama.cpp threads; on the shared 2-core box 1 beat 2 (docs/benchmarks.md#local-llm). */
            threads: z.coerce.number().int().min(1).max(64).default(1),
            /** Context window in tokens (TinyLlama was trained on 2048). */
            contextSize: z.coerce.number().int().min(256).max(8192).default(2048),
            /** A GGUF chat model to run instead of the pinned asset (any llama.cpp model); empty: the pinned TinyLlama. */
            modelFile: z.string().default(''),
          })
          .prefault({}),
      })
      .prefault({}),
    ingest: z
      .object({
        /** Pages fetched per crawl (start pages and followed review pages together), unless `--max-pages` says otherwise. */
        maxPages: z.coerce.number().int().min(1).max(100_000).default(50),
        /** Review pages ("next page", "see all reviews") followed from one start page. */
        maxPaginationDepth: z.coerce.number().int().min(0).max(1000).default(10),
        /** `auto`: plain HTTP first, the browser when a page with scripts shows no reviews; `static`; `browser`. */
        crawler: z.enum(['auto', 'static', 'browser']).default('auto'),
        /** Pages fetched at once in all (per domain: `domainConcurrency`, `domainDelayMs`). */
        concurrency: z.coerce.number().int().min(1).max(64).default(4),
        /** Pages of one domain fetched and processed at once. */
        domainConcurrency: z.coerce.number().int().min(1).max(64).default(2),
        /** Pause between the starts of two requests to the same domain. */
        domainDelayMs: z.coerce.number().int().min(0).max(600_000).default(1000),
        /** Retries of a failed page, with exponential backoff from `retryBaseMs`. */
        maxRetries: z.coerce.number().int().min(0).max(10).default(2),
        retryBaseMs: z.coerce.number().int().min(0).max(60_000).default(500),
        /** The watchdog: a page (fetch, render and extraction) that takes longer is abandoned and counted as an error. */
        pageTimeoutSeconds: z.coerce.number().int().min(1).max(600).default(45),
        respectRobotsTxt: envBoolean.default(true),
        userAgent: z.string().min(1).default('reviewlens-ingest/0.1 (+https://github.com/reviewlens)'),
        /** Chromium for the browser crawler (Debian's package by default). */
        chromiumPath: z.string().min(1).default(DEFAULT_CHROMIUM_PATH),
        /** Download the review photos into the blob store. */
        photos: envBoolean.default(true),
        photoMaxBytes: z.coerce
          .number()
          .int()
          .positive()
          .default(10 * 1024 * 1024),
        photoTimeoutMs: z.coerce.number().int().positive().default(15_000),
        /** Keep each fetched page's HTML in the blob store (its id is the reviews' `raw_page_blob`). */
        keepRawPages: envBoolean.default(true),
        /** Let the configured LLM (`llm.url`) discover selectors on pages the other layers cannot read. */
        llmSelectors: envBoolean.default(true),
        /**
         * ...also with the local LLM when `llm.url` is empty. Off by default: the 2-bit TinyLlama sees ~4k characters
         * of HTML in its 2048-token context and takes minutes a page on 2 cores; its selectors were not measured to help.
         */
        llmSelectorsLocal: envBoolean.default(false),
        /** Characters of trimmed HTML sent to the LLM. */
        llmMaxChars: z.coerce.number().int().min(1000).max(200_000).default(12_000),
        /** Sources the bandit picks when a crawl names none. */
        banditSources: z.coerce.number().int().min(1).max(1000).default(3),
        /**
         * Hosts and addresses fetched although the SSRF guard refuses them by default (loopback, private,
         * link-local, metadata...; see docs/ingestion.md "Fetching URLs safely"): host names (`intranet.example`,
         * `*.corp.example`), IP addresses and CIDRs (`127.0.0.1`, `10.0.0.0/8`, `::1`). A list, or one
         * comma-separated string (REVIEWLENS_INGEST_ALLOW_HOSTS). Also applies to photo URLs in pages and to
         * image URLs in `train --data` and `index --data` files.
         */
        allowHosts: allowHostList(),
        /** Redirects followed for one URL; each hop is checked again. */
        maxRedirects: z.coerce.number().int().min(0).max(20).default(10),
        /** Largest page (or browser sub-resource) fetched, in bytes after decompression. */
        pageMaxBytes: z.coerce
          .number()
          .int()
          .positive()
          .default(20 * 1024 * 1024),
      })
      .prefault({}),
    vlm: z
      .object({
        /**
         * Base URL of an OpenAI-compatible API (`POST {url}/chat/completions`), e.g.
         * `http://127.0.0.1:8000/v1` (vLLM) or `http://127.0.0.1:11434/v1` (Ollama). Required for backend `vlm`.
         */
        url: z
          .string()
          .refine((v) => v === '' || isHttpUrl(v), {
            message: 'must be an http:// or https:// URL without user:password (a key goes in vlm.apiKey)',
          })
          .default(''),
        /** Model name the server knows, e.g. `llava` (Ollama) or `llava-hf/llava-1.5-7b-hf` (vLLM). */
        model: z.string().min(1).default('llava'),
        /** Sent as `Authorization: Bearer ...` when not empty. A secret: masked when printed. */
        apiKey: z.string().default(''),
        /** Time allowed for one HTTP call to the server, answer included. */
        timeoutMs: z.coerce.number().int().positive().default(60_000),
        /** Attempts per request, for transport failures (network, 5xx, timeout) and for invalid answers alike. */
        maxAttempts: z.coerce.number().int().min(1).max(10).default(3),
      })
      .prefault({}),
    synthesis: z
      .object({
        /**
         * Base URL of an image-generation server for `synth --with-photos --photo-generator http` and the pipeline's
         * `synthesize` step with `photoGenerator: http`: an OpenAI-compatible images API (`POST {url}/images/generations`,
         * e.g. `http://127.0.0.1:8000/v1`) or AUTOMATIC1111 (`POST {url}/sdapi/v1/txt2img`, e.g. `http://127.0.0.1:7860`).
         * Fetched through the SSRF guard: a loopback or private address must be listed in `imageAllowHosts`.
         */
        imageUrl: z
          .string()
          .refine((v) => v === '' || isHttpUrl(v), {
            message: 'must be an http:// or https:// URL without user:password (a key goes in synthesis.imageApiKey)',
          })
          .default(''),
        /** `openai` (images/generations, b64_json) or `automatic1111` (sdapi/v1/txt2img). */
        imageApi: z.enum(['openai', 'automatic1111']).default('openai'),
        /** The `model` field sent to an OpenAI-compatible server (empty: not sent). */
        imageModel: z.string().default(''),
        /** Sent as `Authorization: Bearer ...` when not empty. A secret: masked when printed. */
        imageApiKey: z.string().default(''),
        /** Requested size, `WIDTHxHEIGHT`, each 64..2048. */
        imageSize: z
          .string()
          .regex(/^\d{2,4}x\d{2,4}$/, 'expected WIDTHxHEIGHT, e.g. 512x512')
          .default('512x512'),
        /** Time allowed for one image (a diffusion model on a CPU takes minutes). */
        imageTimeoutMs: z.coerce.number().int().positive().default(180_000),
        /** Largest answer accepted from the image server, in bytes (base64 JSON included). */
        imageMaxBytes: z.coerce
          .number()
          .int()
          .positive()
          .default(20 * 1024 * 1024),
        /**
         * Hosts and addresses of the image server the SSRF guard lets through although they are loopback or
         * private (`127.0.0.1`, `10.0.0.0/8`, `diffusion.internal`); as `ingest.allowHosts`. A list, or one
         * comma-separated string (REVIEWLENS_SYNTH_IMAGE_ALLOW_HOSTS).
         */
        imageAllowHosts: allowHostList(),
        /** The pipeline's `synthesize` step (docs/pipeline.md): tops up the thinnest sentiment classes in the store. */
        pipeline: z
          .object({
            /** Off: the step is skipped (a run's `synthesize: true` parameter still runs it). */
            enabled: envBoolean.default(true),
            /** Synthetic reviews added per run at most, over all classes. */
            perRun: z.coerce.number().int().min(0).max(10_000).default(50),
            /** `recombine` (no LLM, the default) or `llm` (llm.url, else the local LLM; falls back to recombine). */
            generator: z.enum(['recombine', 'llm']).default('recombine'),
            /** Time the LLM generator may take in one run (s); past it the rest is recombined. */
            llmBudgetSeconds: z.coerce.number().min(1).max(86_400).default(300),
            /** Attach a photo of the matching condition to each synthetic review (into the blob store). */
            photos: envBoolean.default(false),
            /** `pair` (a real photo of the matching condition, lightly edited) or `http` (`imageUrl`). */
            photoGenerator: z.enum(['pair', 'http']).default('pair'),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.retrieval.backend === 'external') {
      for (const [key, v] of [
        ['qdrant', cfg.retrieval.qdrant.url],
        ['opensearch', cfg.retrieval.opensearch.url],
      ] as const) {
        if (v === '') {
          ctx.addIssue({
            code: 'custom',
            path: ['retrieval', key, 'url'],
            message: "is required when retrieval.backend is 'external'",
          });
        }
      }
    }
    if (cfg.retrieval.rerank.kind === 'cross-encoder' && cfg.retrieval.rerank.crossEncoderDir === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['retrieval', 'rerank', 'crossEncoderDir'],
        message: "is required when retrieval.rerank.kind is 'cross-encoder'",
      });
    }
    if (cfg.retrieval.rerank.kind === 'llm' && cfg.llm.url === '' && !cfg.llm.local.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['llm', 'url'],
        message: "is required when retrieval.rerank.kind is 'llm' and the local LLM is off (llm.local.enabled false)",
      });
    }
    if (cfg.pipeline.queue.backend === 'bullmq' && cfg.redis.url === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['redis', 'url'],
        message: "is required when pipeline.queue.backend is 'bullmq' (the workers take the steps from Redis)",
      });
    }
    if (cfg.blobs.backend === 's3' && cfg.blobs.s3.bucket === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['blobs', 's3', 'bucket'],
        message: "is required when blobs.backend is 's3'",
      });
    }
    if (cfg.analyzer.backend === 'vlm' && cfg.vlm.url === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['vlm', 'url'],
        message:
          "is required when analyzer.backend is 'vlm' (the OpenAI-compatible base URL, e.g. REVIEWLENS_VLM_URL=http://127.0.0.1:8000/v1)",
      });
    }
  });

/** An `ingest.allowHosts` entry: a host name, `*.domain` / `.domain`, an IP address or a CIDR. */
/** An SSRF allow list (`ingest.allowHosts`, `synthesis.imageAllowHosts`): a list, or one comma-separated string. */
function allowHostList() {
  return z
    .preprocess(
      commaList,
      z.array(
        z.string().refine(isAllowHostEntry, {
          message: 'each entry must be a host name, *.domain, an IP address or a CIDR such as 10.0.0.0/8',
        }),
      ),
    )
    .default([]);
}

function isAllowHostEntry(v: string): boolean {
  const s = v.trim();
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const ip = s.slice(0, slash).replace(/^\[|\]$/g, '');
    const bits = s.slice(slash + 1);
    const kind = isIP(ip);
    return kind !== 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= (kind === 4 ? 32 : 128);
  }
  if (isIP(s.replace(/^\[|\]$/g, '')) !== 0) return true;
  return /^(\*\.|\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i.test(s);
}

/** `scheme://host[:port]` with nothing after it: what a browser sends in an `Origin` header. */
function isWebOrigin(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === v.replace(/\/$/, '');
  } catch {
    return false;
  }
}

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

export type Config = z.infer<typeof configSchema>;

/** Environment variable -> config path. */
export const ENV_VARS: Record<string, string> = {
  REVIEWLENS_HOST: 'server.host',
  HOST: 'server.host',
  REVIEWLENS_PORT: 'server.port',
  PORT: 'server.port',
  REVIEWLENS_REQUEST_TIMEOUT_MS: 'server.requestTimeoutMs',
  REVIEWLENS_CORS_ORIGINS: 'server.corsOrigins',
  REVIEWLENS_DATA_DIR: 'dataDir',
  DATABASE_URL: 'database.url',
  REVIEWLENS_DATABASE_URL: 'database.url',
  REVIEWLENS_MODELS_DIR: 'models.dir',
  REVIEWLENS_THREADS: 'models.threads',
  REVIEWLENS_USE_IMAGE: 'models.useImage',
  REVIEWLENS_MAX_TEXT_CHARS: 'limits.maxTextChars',
  REVIEWLENS_MAX_IMAGE_BYTES: 'limits.maxImageBytes',
  REVIEWLENS_MAX_IMAGE_PIXELS: 'limits.maxImagePixels',
  REVIEWLENS_MAX_BATCH_ITEMS: 'limits.maxBatchItems',
  REVIEWLENS_MICRO_BATCH_MAX: 'models.microBatchMax',
  REVIEWLENS_MICRO_BATCH_WAIT_MS: 'models.microBatchWaitMs',
  REVIEWLENS_RELOAD_INTERVAL_SECONDS: 'models.reloadIntervalSeconds',
  REVIEWLENS_AUTH: 'auth.enabled',
  REDIS_URL: 'redis.url',
  REVIEWLENS_REDIS_URL: 'redis.url',
  REVIEWLENS_RATE_LIMIT: 'rateLimit.enabled',
  REVIEWLENS_RATE_LIMIT_MAX: 'rateLimit.max',
  REVIEWLENS_RATE_LIMIT_WINDOW_SECONDS: 'rateLimit.windowSeconds',
  REVIEWLENS_CACHE_MAX_ENTRIES: 'cache.maxEntries',
  REVIEWLENS_CACHE_TTL_SECONDS: 'cache.ttlSeconds',
  REVIEWLENS_LOG_LEVEL: 'log.level',
  REVIEWLENS_LOG_FORMAT: 'log.format',
  REVIEWLENS_GATE_MIN_MACRO_F1: 'training.minMacroF1',
  REVIEWLENS_GATE_USE_REPORT: 'training.gate.useReport',
  REVIEWLENS_GATE_REPORT_MIN_MACRO_F1: 'training.gate.reportMinMacroF1',
  REVIEWLENS_PIPELINE_EVALUATE_SAMPLE: 'pipeline.evaluate.sample',
  REVIEWLENS_PIPELINE_EVALUATE_SETS: 'pipeline.evaluate.sets',
  REVIEWLENS_PIPELINE_EVALUATE_ROBUSTNESS_N: 'pipeline.evaluate.robustnessN',
  REVIEWLENS_PIPELINE_EVALUATE_PHOTO_N: 'pipeline.evaluate.photoN',
  REVIEWLENS_PIPELINE_EVALUATE_GLOWING_N: 'pipeline.evaluate.glowingN',
  REVIEWLENS_PIPELINE_EVALUATE_AGAINST_PRODUCTION: 'pipeline.evaluate.againstProduction',
  REVIEWLENS_PIPELINE_RETRY_ATTEMPTS: 'pipeline.retryAttempts',
  REVIEWLENS_PIPELINE_RETRY_BASE_MS: 'pipeline.retryBaseMs',
  REVIEWLENS_PIPELINE_RETRY_MAX_MS: 'pipeline.retryMaxMs',
  REVIEWLENS_PIPELINE_SCHEDULES: 'pipeline.schedules',
  REVIEWLENS_PIPELINE_PROMOTION: 'pipeline.promotion',
  REVIEWLENS_PIPELINE_SHADOW_SAMPLE: 'pipeline.shadow.sample',
  REVIEWLENS_PIPELINE_SHADOW_MIN_SAMPLES: 'pipeline.shadow.minSamples',
  REVIEWLENS_PIPELINE_QUEUE: 'pipeline.queue.backend',
  REVIEWLENS_PIPELINE_QUEUE_NAME: 'pipeline.queue.name',
  REVIEWLENS_PIPELINE_QUEUE_PREFIX: 'pipeline.queue.prefix',
  REVIEWLENS_PIPELINE_LOCK_SECONDS: 'pipeline.queue.lockSeconds',
  REVIEWLENS_BLOBS_BACKEND: 'blobs.backend',
  REVIEWLENS_S3_BUCKET: 'blobs.s3.bucket',
  REVIEWLENS_S3_PREFIX: 'blobs.s3.prefix',
  REVIEWLENS_S3_ENDPOINT: 'blobs.s3.endpoint',
  REVIEWLENS_S3_REGION: 'blobs.s3.region',
  REVIEWLENS_S3_ACCESS_KEY_ID: 'blobs.s3.accessKeyId',
  REVIEWLENS_S3_SECRET_ACCESS_KEY: 'blobs.s3.secretAccessKey',
  REVIEWLENS_ANALYZER_BACKEND: 'analyzer.backend',
  REVIEWLENS_INDEX_BACKEND: 'retrieval.backend',
  REVIEWLENS_INDEX_URI: 'retrieval.uri',
  REVIEWLENS_INDEX_ANN_MIN_ROWS: 'retrieval.annMinRows',
  REVIEWLENS_RRF_K: 'retrieval.rrfK',
  REVIEWLENS_RRF_WEIGHT_BM25: 'retrieval.weights.bm25',
  REVIEWLENS_RRF_WEIGHT_DENSE: 'retrieval.weights.dense',
  REVIEWLENS_RRF_WEIGHT_IMAGE: 'retrieval.weights.image',
  REVIEWLENS_RERANK: 'retrieval.rerank.kind',
  REVIEWLENS_RERANK_BY_DEFAULT: 'retrieval.rerank.byDefault',
  REVIEWLENS_RERANK_DEPTH: 'retrieval.rerank.depth',
  REVIEWLENS_CROSS_ENCODER_DIR: 'retrieval.rerank.crossEncoderDir',
  REVIEWLENS_SIMILAR_K: 'retrieval.similarK',
  REVIEWLENS_SIMILAR_TIMEOUT_MS: 'retrieval.similarTimeoutMs',
  REVIEWLENS_INDEX_MAINTENANCE_SECONDS: 'retrieval.maintenanceSeconds',
  REVIEWLENS_INDEX_MAINTENANCE_ROWS: 'retrieval.maintenanceRows',
  REVIEWLENS_INDEX_RECORD_CACHE: 'retrieval.recordCacheSize',
  QDRANT_URL: 'retrieval.qdrant.url',
  QDRANT_API_KEY: 'retrieval.qdrant.apiKey',
  REVIEWLENS_QDRANT_COLLECTION: 'retrieval.qdrant.collection',
  OPENSEARCH_URL: 'retrieval.opensearch.url',
  REVIEWLENS_OPENSEARCH_INDEX: 'retrieval.opensearch.index',
  OPENSEARCH_USERNAME: 'retrieval.opensearch.username',
  OPENSEARCH_PASSWORD: 'retrieval.opensearch.password',
  REVIEWLENS_DRIFT: 'drift.enabled',
  REVIEWLENS_DRIFT_REFERENCE: 'drift.referenceFile',
  REVIEWLENS_DRIFT_WINDOW: 'drift.windowSize',
  REVIEWLENS_DRIFT_MIN_SAMPLES: 'drift.minSamples',
  REVIEWLENS_DRIFT_PSI_THRESHOLD: 'drift.psiThreshold',
  REVIEWLENS_DRIFT_TRIGGER_PIPELINE: 'drift.triggerPipeline',
  REVIEWLENS_DRIFT_TRIGGER_STEPS: 'drift.triggerSteps',
  REVIEWLENS_DRIFT_CHECK_INTERVAL_SECONDS: 'drift.checkIntervalSeconds',
  REVIEWLENS_DRIFT_COOLDOWN_SECONDS: 'drift.cooldownSeconds',
  REVIEWLENS_LABEL_ACCEPT: 'labeling.acceptThreshold',
  REVIEWLENS_LABEL_REVIEW: 'labeling.reviewThreshold',
  REVIEWLENS_LABEL_CALIBRATION: 'labeling.calibrationFile',
  REVIEWLENS_LABEL_USE_LLM: 'labeling.useLlm',
  REVIEWLENS_LABEL_USE_LOCAL_LLM: 'labeling.useLocalLlm',
  REVIEWLENS_LABEL_TIMEOUT_MS: 'labeling.labelerTimeoutMs',
  REVIEWLENS_DEMO_POOL: 'labeling.demoPool',
  REVIEWLENS_LLM_URL: 'llm.url',
  REVIEWLENS_LLM_MODEL: 'llm.model',
  REVIEWLENS_LLM_API_KEY: 'llm.apiKey',
  REVIEWLENS_LLM_TIMEOUT_MS: 'llm.timeoutMs',
  REVIEWLENS_LLM_LOCAL: 'llm.local.enabled',
  REVIEWLENS_LLM_THREADS: 'llm.local.threads',
  REVIEWLENS_LLM_MODEL_FILE: 'llm.local.modelFile',
  REVIEWLENS_INGEST_MAX_PAGES: 'ingest.maxPages',
  REVIEWLENS_INGEST_CRAWLER: 'ingest.crawler',
  REVIEWLENS_INGEST_CONCURRENCY: 'ingest.concurrency',
  REVIEWLENS_INGEST_DOMAIN_CONCURRENCY: 'ingest.domainConcurrency',
  REVIEWLENS_INGEST_DOMAIN_DELAY_MS: 'ingest.domainDelayMs',
  REVIEWLENS_INGEST_PAGE_TIMEOUT_SECONDS: 'ingest.pageTimeoutSeconds',
  REVIEWLENS_INGEST_ROBOTS: 'ingest.respectRobotsTxt',
  REVIEWLENS_INGEST_USER_AGENT: 'ingest.userAgent',
  REVIEWLENS_CHROMIUM_PATH: 'ingest.chromiumPath',
  REVIEWLENS_INGEST_PHOTOS: 'ingest.photos',
  REVIEWLENS_INGEST_ALLOW_HOSTS: 'ingest.allowHosts',
  REVIEWLENS_INGEST_MAX_REDIRECTS: 'ingest.maxRedirects',
  REVIEWLENS_INGEST_PAGE_MAX_BYTES: 'ingest.pageMaxBytes',
  REVIEWLENS_VLM_URL: 'vlm.url',
  REVIEWLENS_VLM_MODEL: 'vlm.model',
  REVIEWLENS_VLM_API_KEY: 'vlm.apiKey',
  REVIEWLENS_VLM_TIMEOUT_MS: 'vlm.timeoutMs',
  REVIEWLENS_VLM_MAX_ATTEMPTS: 'vlm.maxAttempts',
  REVIEWLENS_SYNTH_IMAGE_URL: 'synthesis.imageUrl',
  REVIEWLENS_SYNTH_IMAGE_API: 'synthesis.imageApi',
  REVIEWLENS_SYNTH_IMAGE_MODEL: 'synthesis.imageModel',
  REVIEWLENS_SYNTH_IMAGE_API_KEY: 'synthesis.imageApiKey',
  REVIEWLENS_SYNTH_IMAGE_ALLOW_HOSTS: 'synthesis.imageAllowHosts',
  REVIEWLENS_SYNTH_PIPELINE: 'synthesis.pipeline.enabled',
  REVIEWLENS_SYNTH_PER_RUN: 'synthesis.pipeline.perRun',
  REVIEWLENS_SYNTH_GENERATOR: 'synthesis.pipeline.generator',
};

/** Config paths whose values are secrets (masked when printed). */
const SECRET_PATHS = new Set([
  'blobs.s3.secretAccessKey',
  'synthesis.imageApiKey',
  'database.url',
  'redis.url',
  'vlm.apiKey',
  'llm.apiKey',
  'retrieval.qdrant.apiKey',
  'retrieval.opensearch.password',
]);
/** Secret paths that are masked whole (not URLs with a password part). */
const FULLY_MASKED_PATHS = new Set([
  'blobs.s3.secretAccessKey',
  'synthesis.imageApiKey',
  'vlm.apiKey',
  'llm.apiKey',
  'retrieval.qdrant.apiKey',
  'retrieval.opensearch.password',
]);

const DEFAULT_FILES = ['reviewlens.config.json', 'reviewlens.config.yaml', 'reviewlens.config.yml'];

type Plain = Record<string, unknown>;

function setPath(obj: Plain, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Plain;
  }
  cur[parts[parts.length - 1] as string] = value;
}

function deepMerge(a: Plain, b: Plain): Plain {
  const out: Plain = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object'
        ? deepMerge(cur as Plain, v as Plain)
        : v;
  }
  return out;
}

function readConfigFile(path: string): Plain {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  try {
    const parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the top level must be a mapping');
    return parsed as Plain;
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid: ${(e as Error).message}`);
  }
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  file?: string | undefined;
  cwd?: string;
  overrides?: Record<string, unknown>;
}

/** Where `npm ci` (postinstall: `reviewlens models fetch`) puts the model files: `.reviewlens/models` in the install. */
export const INSTALL_MODELS_DIR = fileURLToPath(new URL('../../.reviewlens/models', import.meta.url));

/**
 * The models directory when `models.dir` is not set: `<dataDir>/models` if that directory exists (a data directory
 * that was fetched into before model files moved out of it), else the install's `.reviewlens/models`. So a new data
 * directory (`REVIEWLENS_DATA_DIR`) uses the model files fetched at install time, without a second `models fetch`.
 */
export function defaultModelsDir(dataDir: string): string {
  const inData = resolve(dataDir, 'models');
  return existsSync(inData) ? inData : INSTALL_MODELS_DIR;
}

/** Loads and validates the configuration; a bad value throws a ConfigError naming it and its source. */
export function loadConfig(opts: LoadConfigOptions = {}): Config & { configFile: string | null } {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  let raw: Plain = {};
  const sources: Record<string, string> = {};

  const explicit = opts.file ?? env.REVIEWLENS_CONFIG;
  const file = explicit ? resolve(cwd, explicit) : DEFAULT_FILES.map((f) => resolve(cwd, f)).find((f) => existsSync(f));
  if (explicit && file && !existsSync(file)) throw new ConfigError(`config file ${file} does not exist`);
  if (file) raw = readConfigFile(file);

  for (const [name, path] of Object.entries(ENV_VARS)) {
    const v = env[name];
    if (v !== undefined && v !== '') {
      const current: Plain = {};
      setPath(current, path, v);
      raw = deepMerge(raw, current);
      sources[path] = `environment variable ${name}`;
    }
  }
  for (const [path, v] of Object.entries(opts.overrides ?? {})) {
    if (v === undefined) continue;
    const current: Plain = {};
    setPath(current, path, v);
    raw = deepMerge(raw, current);
    sources[path] = 'command-line option';
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const path = issue.path.join('.');
      // A list entry (`ingest.allowHosts.0`) came from where its list did.
      const listPath = issue.path.slice(0, -1).join('.');
      const from =
        sources[path] ??
        (typeof issue.path.at(-1) === 'number' ? sources[listPath] : undefined) ??
        (file ? `config file ${file}` : 'defaults');
      return `${path || '(root)'}: ${issue.message} (from ${from})`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const cfg = result.data;
  cfg.dataDir = resolve(cwd, cfg.dataDir);
  cfg.models.dir = cfg.models.dir ? resolve(cwd, cfg.models.dir) : defaultModelsDir(cfg.dataDir);
  if (cfg.drift.referenceFile) cfg.drift.referenceFile = resolve(cwd, cfg.drift.referenceFile);
  return { ...cfg, configFile: file ?? null };
}

function maskUrl(v: string): string {
  if (!v) return v;
  try {
    const u = new URL(v);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return '****';
  }
}

/** A copy of the config that is safe to print: secrets masked. */
export function maskConfig(cfg: Config): Plain {
  const copy = JSON.parse(JSON.stringify(cfg)) as Plain;
  for (const path of SECRET_PATHS) {
    const parts = path.split('.');
    let cur: Plain | undefined = copy;
    for (const p of parts.slice(0, -1)) cur = cur?.[p] as Plain | undefined;
    const last = parts[parts.length - 1] as string;
    if (cur && typeof cur[last] === 'string') cur[last] = maskUrl(cur[last] as string);
    if (cur && FULLY_MASKED_PATHS.has(path) && cur[last] !== '') cur[last] = '****';
  }
  return copy;
}
