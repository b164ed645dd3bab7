import type { Command } from 'commander';
import type { PipelineRunner, RunView } from '../../pipeline/index.js';
import { cliConfig } from '../shared.js';

const say = (m: string) => process.stdout.write(`${m}\n`);
const err = (m: string) => process.stderr.write(`${m}\n`);
const when = (d: Date | null) => (d ? `${d.toISOString().slice(0, 19).replace('T', ' ')}Z` : '-');

/** `key=value` pairs -> params; values that parse as JSON (numbers, true, lists) are taken as such. */
export function parseParams(pairs: string[], json?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (json) {
    const parsed = JSON.parse(json) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('--params must be a JSON object');
    }
    Object.assign(out, parsed);
  }
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new Error(`--param expects key=value, got "${p}"`);
    const raw = p.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain string
    }
    out[p.slice(0, eq)] = value;
  }
  return out;
}

function printRun(run: RunView): void {
  say(
    `run ${run.id}: ${run.status}${run.error ? ` (${run.error})` : ''}; requested by ${run.requestedBy ?? '-'} at ${when(run.createdAt)}`,
  );
  for (const s of run.steps) {
    const pct = `${Math.round(s.progress * 100)}%`.padStart(4);
    say(`  ${s.name.padEnd(10)} ${s.status.padEnd(9)} ${pct}  ${s.error ?? s.message ?? ''}`.trimEnd());
    if (s.output) say(`             ${JSON.stringify(s.output)}`);
  }
}

/** Opens the services and a runner, runs `fn`, and closes them. */
async function withRunner<T>(program: Command, fn: (runner: PipelineRunner) => Promise<T>): Promise<T> {
  const cfg = cliConfig(program, { 'log.level': 'silent' });
  const { openPipelineServices, PIPELINE_STEPS, PipelineRunner } = await import('../../pipeline/index.js');
  const { BUNDLED_ARTIFACT } = await import('../../server/index.js');
  const services = await openPipelineServices(cfg, { log: err, bundledArtifact: BUNDLED_ARTIFACT });
  const runner = new PipelineRunner(services, PIPELINE_STEPS, {
    log: (level, m) => err(`${level === 'info' ? '' : `${level.toUpperCase()}: `}${m}`),
    progressIntervalMs: 1000,
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    err('stopping: the run stays resumable (`reviewlens pipeline resume <id>` or the next `reviewlens start`)');
    void runner.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await fn(runner);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await runner.close();
    await services.close();
  }
}

/** Waits for a run in this process, printing each step's progress as it changes. */
async function follow(runner: PipelineRunner, id: number): Promise<RunView> {
  let last = '';
  for (;;) {
    const run = (await runner.store.get(id))!;
    const line = run.steps
      .map((s) => `${s.name} ${s.status === 'running' ? `${Math.round(s.progress * 100)}%` : s.status}`)
      .join(' → ');
    const msg = run.steps.find((s) => s.status === 'running')?.message;
    const full = `${line}${msg ? `  (${msg})` : ''}`;
    if (full !== last) err(full);
    last = full;
    if (run.status !== 'queued' && run.status !== 'running') return run;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** `reviewlens pipeline run|resume|list|show|steps`. */
export function registerPipelineCommands(program: Command): void {
  const pipeline = program
    .command('pipeline')
    .description(
      'the offline flow (ingest → synthesize → label → index → train → evaluate → promote) as resumable, recorded runs',
    );

  pipeline
    .command('steps')
    .description('list the steps this build can run, in their default order')
    .action(async () => {
      const { PIPELINE_STEPS } = await import('../../pipeline/index.js');
      for (const s of PIPELINE_STEPS) say(`${s.name.padEnd(10)} ${s.description}`);
    });

  pipeline
    .command('run')
    .description('run the pipeline in this process, printing progress; the run is recorded and can be resumed')
    .option('-s, --steps <names>', 'comma-separated steps to run, in order (default: all; see `pipeline steps`)')
    .option('-p, --param <key=value...>', 'a run parameter, e.g. --param promote=true (repeatable)', [])
    .option('--params <json>', 'run parameters as one JSON object')
    .action(async (o: { steps?: string; param: string[]; params?: string }) => {
      const params = parseParams(o.param, o.params);
      const steps = o.steps
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const run = await withRunner(program, async (runner) => {
        const started = await runner.start({ ...(steps ? { steps } : {}), params, requestedBy: 'cli' });
        err(`run ${started.id}: ${started.steps.map((s) => s.name).join(' → ')}`);
        return follow(runner, started.id);
      });
      printRun(run);
      if (run.status !== 'succeeded') process.exitCode = 1;
    });

  pipeline
    .command('resume')
    .description('resume a failed or interrupted run from its first step that did not succeed')
    .argument('<id>', 'run id')
    .action(async (id: string) => {
      const run = await withRunner(program, async (runner) => {
        await runner.resume(Number(id));
        return follow(runner, Number(id));
      });
      printRun(run);
      if (run.status !== 'succeeded') process.exitCode = 1;
    });

  pipeline
    .command('list')
    .description('recent runs, newest first')
    .option('-n, --limit <n>', 'how many', '20')
    .action(async (o: { limit: string }) => {
      const { PipelineStore } = await import('../../pipeline/index.js');
      const { withMetadata } = await import('../shared.js');
      await withMetadata(program, async (meta) => {
        const runs = await new PipelineStore(meta.db).list(Number(o.limit));
        if (runs.length === 0) say('no pipeline runs yet (`reviewlens pipeline run`)');
        for (const r of runs) {
          say(
            `${String(r.id).padStart(4)}  ${r.status.padEnd(9)}  ${when(r.createdAt)}  ${r.steps.map((s) => `${s.name}:${s.status}`).join(' ')}`,
          );
        }
      });
    });

  pipeline
    .command('show')
    .description("one run's steps, outputs and log")
    .argument('<id>', 'run id')
    .action(async (id: string) => {
      const { PipelineStore } = await import('../../pipeline/index.js');
      const { withMetadata } = await import('../shared.js');
      await withMetadata(program, async (meta) => {
        const store = new PipelineStore(meta.db);
        const run = await store.get(Number(id));
        if (!run) throw new Error(`pipeline run ${id} does not exist`);
        printRun(run);
        say('log:');
        for (const l of await store.logs(run.id)) {
          say(`  ${when(l.at)} ${l.level.padEnd(5)} ${l.step ?? 'run'}: ${l.message}`);
        }
      });
    });
}
