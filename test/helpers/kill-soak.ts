import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@lancedb/lancedb';
import { loadConfig } from '../../src/core/config.js';
import { reviewContentId, sha256 } from '../../src/core/ids.js';
import { seededRandom } from '../../src/core/random.js';
import { runIngest } from '../../src/ingest/index.js';
import { PipelineStore } from '../../src/pipeline/store.js';
import { BUNDLED_ARTIFACT } from '../../src/server/context.js';
import { LocalBlobStore, MetadataStore, type NewReview } from '../../src/storage/index.js';
import { BIN } from './cli.js';
import { MODELS_DIR, SHARED, tempDir } from './paths.js';

/**
 * The kill soak: runs a `reviewlens` command that changes state, SIGKILLs it at a random point (seeded),
 * runs it again (or resumes it), a few times, then lets it finish, and checks that nothing was lost or
 * written twice: reviews and their photos, labels, queue decisions, model versions, index entries. Used by
 * test/faults/kill-soak.test.ts (a few kills) and bench/kill-soak.ts (50 kills, figures for docs/benchmarks.md).
 *
 * A kill point is "after the n-th line the command printed, plus d ms" (n = 0: d ms after the start),
 * drawn from the seed: lines mark the command's progress, so the kills spread over its work whatever the
 * machine's load. Each round starts from a fresh data directory.
 */

export const COMMANDS = ['ingest', 'label', 'train', 'pipeline'] as const;
export type SoakCommand = (typeof COMMANDS)[number];

/** What a round found. */
export interface RoundResult {
  command: SoakCommand;
  round: number;
  /** SIGKILLs delivered to a running process. */
  kills: number;
  /** Where each kill landed: `line N +D ms` (the last line printed before it). */
  killedAt: string[];
  /** Kills whose next run found the data directory locked (a message naming a lock): should be 0. */
  lockMessages: number;
  /** The last run finished (exit 0) and, for the pipeline, the same run was resumed to success. */
  resumed: boolean;
  /** Items the round should have stored and did not (reviews, photos, decisions, versions, index entries). */
  lost: number;
  /** Items stored more than once, or more of them than an uninterrupted run stores. */
  duplicated: number;
  /** Training or ingestion runs still marked `running` after the round (a killed run must be closed). */
  dangling: number;
  /** One line per problem found. */
  problems: string[];
  /** Seconds the round took. */
  seconds: number;
}

/** Fixed inputs every round of a soak shares. */
export interface SoakSetup {
  /** Base URL of the local test site (test/ingest/site-server.ts). */
  site: string;
  /** Where the rounds' data directories and files go. */
  workDir: string;
  /** Extra environment for every command. */
  env?: Record<string, string>;
  /** For `train`: a warm feature cache copied into each round (skips the text encoding); none: cold. */
  trainCache?: string;
}

/** Pages of the test site that the ingest and pipeline rounds crawl (their photos are on the site too). */
export const SOAK_PAGES = [
  '/shared/costco.html',
  '/shared/etsy.html',
  '/shared/globalindustrial.html',
  '/shared/overstock.html',
  '/fixtures/stars-markup.html',
  '/fixtures/static-paged-1.html',
  '/fixtures/widget-icons.html',
  '/fixtures/widget-paragraphs.html',
  '/fixtures/json-state.html',
  '/fixtures/single-review.html',
];

const LABEL_POOL = 150;
/** The version of the model the repository ships (registered on every fresh store). */
const BUNDLED_VERSION = (JSON.parse(readFileSync(BUNDLED_ARTIFACT, 'utf8')) as { version: string }).version;
const TRAIN_ROWS = 50; // per class
const PIPELINE_LABELLED = 90;

/** `n` product reviews a class (negative, neutral, positive) from the MARC sample, seeded. */
function marcRows(perClass: number, seed: number, skip = 0): Array<{ text: string; label: string }> {
  const rows = readFileSync(join(SHARED, 'ecommerce-reviews', 'marc-en.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { text: string; label: string });
  const rand = seededRandom(seed);
  const out: Array<{ text: string; label: string }> = [];
  for (const label of ['negative', 'neutral', 'positive']) {
    const of = rows.filter((r) => r.label === label).sort((a, b) => (a.text < b.text ? -1 : 1));
    const picked = of
      .map((r) => ({ r, k: rand() }))
      .sort((a, b) => a.k - b.k)
      .slice(skip, skip + perClass);
    out.push(...picked.map((p) => ({ text: p.r.text, label })));
  }
  return out;
}

/** The environment of every soak command: its data directory, the local site allowed, no per-domain delay. */
function commandEnv(setup: SoakSetup, dataDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    REVIEWLENS_MODELS_DIR: MODELS_DIR,
    REVIEWLENS_DATA_DIR: dataDir,
    REVIEWLENS_SHARED_DATA: SHARED,
    DATABASE_URL: '',
    REVIEWLENS_DATABASE_URL: '',
    REVIEWLENS_CONFIG: '',
    REDIS_URL: '',
    REVIEWLENS_INGEST_ALLOW_HOSTS: '127.0.0.1',
    REVIEWLENS_INGEST_DOMAIN_DELAY_MS: '0',
    REVIEWLENS_INGEST_CRAWLER: 'static',
    REVIEWLENS_LABEL_USE_LLM: 'false',
    REVIEWLENS_LOG_LEVEL: 'silent',
    ...setup.env,
  };
}

interface RunOutcome {
  code: number | null;
  killed: boolean;
  lines: number;
  out: string;
}

/**
 * Runs `reviewlens ARGS`; with `kill`, sends SIGKILL `kill.delayMs` after the `kill.afterLine`-th line of
 * output (0: after the start), if the process is still running then.
 */
function run(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  kill?: { afterLine: number; delayMs: number },
): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
      env,
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let lines = 0;
    let armed = false;
    let killed = false;
    const arm = () => {
      armed = true;
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) {
          killed = child.kill('SIGKILL');
        }
      }, kill?.delayMs ?? 0);
    };
    const onData = (d: Buffer) => {
      const s = d.toString('utf8');
      out += s;
      lines += s.split('\n').length - 1;
      if (kill && !armed && lines >= kill.afterLine) arm();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    if (kill && kill.afterLine === 0) arm();
    child.on('exit', (code) => resolve({ code, killed, lines, out }));
  });
}

/** Rows of a table, or [] when the table does not exist yet (a store killed before its migrations). */
async function rows<T>(q: () => Promise<T[]>): Promise<T[]> {
  try {
    return await q();
  } catch {
    return [];
  }
}

interface Snapshot {
  reviews: Array<{
    id: string;
    text: string;
    product: string | null;
    source: string;
    photoBlobs: string[];
    label: string | null;
    labelSource: string | null;
  }>;
  decisions: Array<{ id: number; review_id: string; decision: string; label: string }>;
  queue: Array<{ review_id: string; decision_id: number | null }>;
  audit: Array<{ review_id: string; action: string }>;
  versions: Array<{ name: string; version: string; blob: string }>;
  staging: string | null;
  stagingHistory: Array<{ version: string; action: string }>;
  trainingRuns: Array<{ status: string; model_version: string | null }>;
  ingestRuns: Array<{ status: string }>;
  pipelineRuns: Awaited<ReturnType<PipelineStore['list']>>;
  indexIds: string[];
  blobsMissing: string[];
}

/** Reads everything the checks look at from a data directory (the command is not running). */
async function snapshot(dataDir: string): Promise<Snapshot> {
  const meta = await MetadataStore.open({ url: '', dataDir });
  const blobs = new LocalBlobStore(join(dataDir, 'blobs'));
  try {
    const db = meta.db;
    const reviews = (await meta.reviews.list({ limit: 1_000_000 })).map((r) => ({
      id: r.id,
      text: r.text,
      product: r.product,
      source: r.source,
      photoBlobs: r.photoBlobs,
      label: r.label,
      labelSource: r.labelSource,
    }));
    const blobsMissing: string[] = [];
    const versions = await rows(() =>
      db.selectFrom('model_versions').select(['name', 'version', 'artifact_blob']).execute(),
    );
    for (const id of [...reviews.flatMap((r) => r.photoBlobs), ...versions.map((v) => v.artifact_blob)]) {
      const ok = await blobs.get(id).then(
        (b) => sha256(b) === id,
        () => false,
      );
      if (!ok) blobsMissing.push(id);
    }
    let indexIds: string[] = [];
    const indexDir = join(dataDir, 'index');
    if (existsSync(indexDir)) {
      const conn = await connect(indexDir);
      if ((await conn.tableNames()).includes('reviews')) {
        const t = await conn.openTable('reviews');
        indexIds = (await t.query().select(['id']).toArray()).map((r) => String((r as { id: string }).id));
        t.close();
      }
      conn.close();
    }
    return {
      reviews,
      decisions: await rows(() =>
        db.selectFrom('label_decisions').select(['id', 'review_id', 'decision', 'label']).execute(),
      ),
      queue: await rows(() => db.selectFrom('label_queue').select(['review_id', 'decision_id']).execute()),
      audit: await rows(() => db.selectFrom('label_audit').select(['review_id', 'action']).execute()),
      versions: versions.map((v) => ({ name: v.name, version: v.version, blob: v.artifact_blob })),
      staging: (await meta.getAlias('staging').catch(() => undefined))?.version ?? null,
      stagingHistory: (await meta.aliasHistory('staging').catch(() => [])).map((h) => ({
        version: h.version,
        action: h.action,
      })),
      trainingRuns: await rows(() => db.selectFrom('training_runs').select(['status', 'model_version']).execute()),
      ingestRuns: await rows(() => db.selectFrom('ingest_runs').select(['status']).execute()),
      pipelineRuns: await new PipelineStore(db).list(100).catch(() => []),
      indexIds,
      blobsMissing,
    };
  } finally {
    await meta.close();
  }
}

/** What an uninterrupted run gives, to compare a soaked round with. */
export interface Reference {
  /** Review ids the site's pages give (content hashes), with whether each has a photo. */
  siteReviews: Map<string, { photos: number }>;
  /** The model version `train` registers on its data (deterministic: same data, same seed). */
  trainVersion?: string;
}

/** The reviews the test site gives, by an uninterrupted in-process ingestion (PGlite in memory). */
export async function siteReference(site: string): Promise<Map<string, { photos: number }>> {
  const dataDir = tempDir('reviewlens-soak-ref-');
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      'ingest.domainDelayMs': 0,
      'ingest.crawler': 'static',
      'ingest.allowHosts': ['127.0.0.1'],
    },
  });
  const meta = await MetadataStore.open({ url: 'memory://' });
  try {
    await runIngest(
      { config, meta, blobs: new LocalBlobStore(join(dataDir, 'blobs')), llm: null },
      { urls: SOAK_PAGES.map((p) => site + p) },
    );
    const all = await meta.reviews.list({ limit: 100_000 });
    return new Map(all.map((r) => [r.id, { photos: r.photoBlobs.length }]));
  } finally {
    await meta.close();
  }
}

/** Writes the `train` data file (150 labelled product reviews) into `dir`; returns its path. */
function trainData(dir: string): string {
  const file = join(dir, 'train.jsonl');
  if (!existsSync(file)) {
    writeFileSync(
      file,
      `${marcRows(TRAIN_ROWS, 7)
        .map((r) => JSON.stringify(r))
        .join('\n')}\n`,
    );
  }
  return file;
}

/** Stores reviews (unlabelled, or with their gold labels) straight into a fresh data directory. */
async function seedReviews(
  dataDir: string,
  reviews: Array<{ text: string; label?: string }>,
  source: string,
): Promise<void> {
  const meta = await MetadataStore.open({ url: '', dataDir });
  try {
    const rowsIn: NewReview[] = reviews.map((r) => ({
      id: reviewContentId({ text: r.text }),
      text: r.text,
      source,
      ...(r.label ? { label: r.label, labelSource: 'gold' } : {}),
    }));
    await meta.reviews.insertMany(rowsIn);
  } finally {
    await meta.close();
  }
}

/** The command line of a round's first run. */
function firstArgs(cmd: SoakCommand, setup: SoakSetup, dataDir: string): string[] {
  const urls = SOAK_PAGES.map((p) => setup.site + p);
  switch (cmd) {
    case 'ingest':
      return ['ingest', ...urls];
    case 'label':
      return ['label', 'run'];
    case 'train':
      return [
        'train',
        '--data',
        trainData(setup.workDir),
        '--out',
        join(dataDir, 'candidate.json'),
        '--cache',
        join(dataDir, 'features'),
      ];
    case 'pipeline':
      return ['pipeline', 'run', '--steps', 'ingest,label,index,train', '--params', JSON.stringify({ urls })];
  }
}

/** A round's data directory, in the state the command starts from. */
async function prepare(cmd: SoakCommand, setup: SoakSetup, dataDir: string): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  if (cmd === 'label') {
    const pool = marcRows(LABEL_POOL / 3, 11, 100).map((r) => ({ text: r.text }));
    await seedReviews(dataDir, pool, 'soak:pool');
  }
  if (cmd === 'pipeline') await seedReviews(dataDir, marcRows(PIPELINE_LABELLED / 3, 13, 200), 'soak:labelled');
  if (cmd === 'train' && setup.trainCache && existsSync(setup.trainCache)) {
    cpSync(setup.trainCache, join(dataDir, 'features'), { recursive: true });
  }
}

/** The pipeline run of a round's directory (the one the first run started), if it was recorded. */
async function latestRun(dataDir: string): Promise<{ id: number; status: string } | undefined> {
  const meta = await MetadataStore.open({ url: '', dataDir });
  try {
    const [run] = await new PipelineStore(meta.db).list(1).catch(() => []);
    return run ? { id: run.id, status: run.status } : undefined;
  } finally {
    await meta.close();
  }
}

/** The closing line each command prints once its work is stored (the pipeline is judged by its run's status). */
const DONE: Record<SoakCommand, RegExp> = {
  ingest: /^ingest run \d+: /m,
  label: /^\d+ reviews: \d+ auto-labelled/m,
  train: /^run \d+: \S+ (registered|refused)/m,
  pipeline: /(?!)/,
};

const LOCK_RE = /\block(ed)?\b.*\b(pid|owner)\b|\bowned by\b/i;

/**
 * One round: a fresh data directory, `kills` runs of the command each SIGKILLed at a seeded point (a run
 * that finishes first ends the killing early), then a run to completion, then the checks.
 * `lines` is how many lines an uninterrupted run prints (kill points are drawn below it).
 */
export async function soakRound(
  cmd: SoakCommand,
  setup: SoakSetup,
  opts: { round: number; kills: number; seed: number; lines: number; reference: Reference },
): Promise<RoundResult> {
  const t0 = performance.now();
  const rand = seededRandom(opts.seed);
  const dataDir = join(setup.workDir, `${cmd}-${opts.round}`);
  await prepare(cmd, setup, dataDir);
  const env = commandEnv(setup, dataDir);
  const result: RoundResult = {
    command: cmd,
    round: opts.round,
    kills: 0,
    killedAt: [],
    lockMessages: 0,
    resumed: false,
    lost: 0,
    duplicated: 0,
    dangling: 0,
    problems: [],
    seconds: 0,
  };
  let pipelineRun: number | undefined;
  /** Steps of the pipeline run done before the last kill, with when they started (must not run again). */
  let doneBefore = new Map<string, number>();
  const argsNow = (): string[] =>
    cmd === 'pipeline' && pipelineRun !== undefined
      ? ['pipeline', 'resume', String(pipelineRun)]
      : firstArgs(cmd, setup, dataDir);
  let finished = false;
  for (let k = 0; k < opts.kills && !finished; k++) {
    // Mostly during the work (after some line of progress); one kill in five during start-up.
    const afterLine = rand() < 0.2 ? 0 : 1 + Math.floor(rand() * Math.max(1, opts.lines - 1));
    const delayMs = afterLine === 0 ? Math.floor(rand() * 4000) : Math.floor(rand() * 400);
    const r = await run(argsNow(), env, dataDir, { afterLine, delayMs });
    if (LOCK_RE.test(r.out)) result.lockMessages++;
    if (r.killed) {
      result.kills++;
      result.killedAt.push(`line ${Math.min(r.lines, afterLine)} +${delayMs} ms`);
      // Killed while exiting, its work done (it printed its closing summary): the round is over.
      if (DONE[cmd].test(r.out)) finished = true;
      if (cmd === 'pipeline') {
        // Killed before the run was recorded: the next run starts it; killed after it finished: done.
        const latest = await latestRun(dataDir);
        pipelineRun = latest?.id;
        finished = latest?.status === 'succeeded';
        doneBefore = await doneSteps(dataDir, pipelineRun);
      }
    } else {
      finished = r.code === 0;
      if (!finished) result.problems.push(`run ${k + 1} exited ${r.code} without being killed: ${r.out.slice(-500)}`);
    }
  }
  let final: RunOutcome | undefined;
  if (!finished) {
    final = await run(argsNow(), env, dataDir);
    if (LOCK_RE.test(final.out)) result.lockMessages++;
    if (final.code !== 0) result.problems.push(`the last run exited ${final.code}: ${final.out.slice(-800)}`);
  }
  const snap = await snapshot(dataDir);
  result.resumed = (final?.code ?? 0) === 0 && result.problems.length === 0;
  check(cmd, snap, opts.reference, result);
  if (cmd === 'pipeline') {
    const runs = snap.pipelineRuns;
    const ran = runs.find((r) => r.id === pipelineRun) ?? runs[0];
    if (runs.length !== 1) result.problems.push(`${runs.length} pipeline runs recorded; one was started`);
    if (ran?.status !== 'succeeded') {
      result.resumed = false;
      result.problems.push(`pipeline run ${ran?.id} ended ${ran?.status}`);
    }
    for (const s of ran?.steps ?? []) {
      const before = doneBefore.get(s.name);
      if (before !== undefined && s.startedAt?.getTime() !== before) {
        result.resumed = false;
        result.problems.push(`step ${s.name} had succeeded before the kill and ran again on resume`);
      }
    }
  }
  result.seconds = Math.round((performance.now() - t0) / 100) / 10;
  return result;
}

async function doneSteps(dataDir: string, id: number | undefined): Promise<Map<string, number>> {
  if (id === undefined) return new Map();
  const meta = await MetadataStore.open({ url: '', dataDir });
  try {
    const run = await new PipelineStore(meta.db).get(id);
    return new Map(
      (run?.steps ?? [])
        .filter((s) => (s.status === 'succeeded' || s.status === 'skipped') && s.startedAt)
        .map((s) => [s.name, s.startedAt!.getTime()]),
    );
  } finally {
    await meta.close();
  }
}

const countBy = <T>(xs: T[], key: (x: T) => string) => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
};

/** The checks of one round: fills `lost`, `duplicated`, `dangling` and `problems`. */
function check(cmd: SoakCommand, s: Snapshot, ref: Reference, out: RoundResult): void {
  const lost = (n: number, what: string) => {
    if (n > 0) {
      out.lost += n;
      out.problems.push(`lost ${n} ${what}`);
    }
  };
  const dup = (n: number, what: string) => {
    if (n > 0) {
      out.duplicated += n;
      out.problems.push(`${n} ${what} written twice (or more than an uninterrupted run writes)`);
    }
  };
  const stored = new Map(s.reviews.map((r) => [r.id, r]));
  // Reviews and photos from the site (ingest, pipeline).
  if (cmd === 'ingest' || cmd === 'pipeline') {
    lost([...ref.siteReviews.keys()].filter((id) => !stored.has(id)).length, 'reviews of the site');
    lost(
      [...ref.siteReviews].filter(([id, r]) => (stored.get(id)?.photoBlobs.length ?? r.photos) < r.photos).length,
      'review photos',
    );
    const extra = s.reviews.filter((r) => !r.source.startsWith('soak:') && !ref.siteReviews.has(r.id));
    dup(extra.length, 'reviews the site does not give');
    dup(
      [...countBy(s.reviews, (r) => `${r.text}\u0000${r.product ?? ''}`).values()].reduce((n, c) => n + c - 1, 0),
      'reviews (same text and product under two ids)',
    );
  }
  lost(s.blobsMissing.length, 'blobs (photos or model artifacts) missing or corrupt');
  // Labels, decisions, the queue (label, pipeline).
  if (cmd === 'label' || cmd === 'pipeline') {
    const toDecide = s.reviews.filter((r) => r.labelSource !== 'gold');
    const perReview = countBy(s.decisions, (d) => d.review_id);
    lost(toDecide.filter((r) => !perReview.has(r.id)).length, 'labeling decisions (reviews left undecided)');
    dup(
      [...perReview.values()].reduce((n, c) => n + c - 1, 0),
      'labeling decisions',
    );
    const queued = countBy(s.queue, (q) => q.review_id);
    dup(
      [...queued.values()].reduce((n, c) => n + c - 1, 0),
      'queue items',
    );
    lost(
      s.decisions.filter((d) => d.decision !== 'accepted' && !s.queue.some((q) => q.decision_id === d.id)).length,
      'queue items of queued/discarded decisions',
    );
    lost(
      s.decisions.filter((d) => d.decision === 'accepted' && stored.get(d.review_id)?.label !== d.label).length,
      'auto-accepted labels',
    );
    const audits = countBy(
      s.audit.filter((a) => ['auto_accept', 'queued', 'discarded'].includes(a.action)),
      (a) => a.review_id,
    );
    dup(
      [...audits.values()].reduce((n, c) => n + c - 1, 0),
      'audit entries of the agent',
    );
    lost(s.decisions.filter((d) => !audits.has(d.review_id)).length, 'audit entries of the agent');
  }
  // Model versions (train, pipeline).
  if (cmd === 'train' || cmd === 'pipeline') {
    const trained = s.versions.filter((v) => v.version !== BUNDLED_VERSION);
    dup(Math.max(0, trained.length - 1), 'model versions');
    if (cmd === 'train') {
      if (trained.length === 0) lost(1, 'model version');
      else if (ref.trainVersion && trained[0]?.version !== ref.trainVersion) {
        out.problems.push(`trained ${trained[0]?.version}, an uninterrupted run trains ${ref.trainVersion}`);
      }
    }
    for (const v of trained) {
      const entries = s.stagingHistory.filter((h) => h.version === v.version && h.action === 'register').length;
      dup(Math.max(0, entries - 1), 'staging alias entries');
      if (entries === 0) lost(1, 'staging alias entry');
    }
    if (trained.length > 0 && s.staging !== trained.at(-1)?.version) out.problems.push(`staging is ${s.staging}`);
    // A run killed after it recorded its end (but before the process exited) is run again by the round and
    // records a second finished run: of the same version, which is what matters.
    const done = s.trainingRuns.filter((r) => r.status === 'succeeded' || r.status === 'rejected');
    if (trained.length > 0 && done.length === 0) out.problems.push('no training run recorded as finished');
    const others = done.filter((r) => r.model_version !== trained.at(-1)?.version);
    if (trained.length > 0 && others.length > 0) {
      out.problems.push(`${others.length} finished training runs recorded another version than the one registered`);
    }
  }
  // Search index (pipeline).
  if (cmd === 'pipeline') {
    const ids = new Set(s.indexIds);
    const expected = s.reviews.map((r) => reviewContentId(r, r.photoBlobs[0]));
    lost(expected.filter((id) => !ids.has(id)).length, 'index entries');
    dup(s.indexIds.length - ids.size, 'index entries');
    dup([...ids].filter((id) => !expected.includes(id)).length, 'index entries not in the store');
  }
  out.dangling = [...s.trainingRuns, ...s.ingestRuns].filter((r) => r.status === 'running').length;
  if (out.dangling > 0) out.problems.push(`${out.dangling} training/ingestion runs left marked running`);
}

/** Lines an uninterrupted run of `cmd` prints, measured once on a fresh directory (also a warm-up). */
export async function calibrate(
  cmd: SoakCommand,
  setup: SoakSetup,
): Promise<{ lines: number; seconds: number; out: string; dataDir: string }> {
  const dataDir = join(setup.workDir, `${cmd}-calibration`);
  await prepare(cmd, setup, dataDir);
  const t0 = performance.now();
  const r = await run(firstArgs(cmd, setup, dataDir), commandEnv(setup, dataDir), dataDir);
  if (r.code !== 0) throw new Error(`reviewlens ${cmd} failed without kills (exit ${r.code}): ${r.out.slice(-2000)}`);
  return { lines: r.lines, seconds: (performance.now() - t0) / 1000, out: r.out, dataDir };
}

/** The version an uninterrupted `train` round registered (read from its output). */
export function trainedVersion(out: string): string | undefined {
  return /run \d+: (\S+) registered as staging/.exec(out)?.[1];
}
