/**
 * Pipeline throughput on BullMQ workers (issue 18): reviews per minute through label + index, with 1 and then 2
 * `reviewlens worker` processes sharing one queue, on a real PostgreSQL database and a real Redis (127.0.0.1).
 * Real unlabelled Amazon product reviews (FDU-MTL's unlabel pools in ../shared/data/ecommerce-reviews, text only)
 * are split by source into BENCH_RUNS runs of label → index (`label_source` / `index_source`), all queued at once;
 * the time is from the queueing of the first run to the end of the last, worker start-up (model loading) excluded,
 * their first step's lazy model load included. The labeling agent runs without an LLM (classifier + lexicon).
 *
 *   npm run bench:pipeline-workers        (BENCH_PER_DOMAIN=20: 280 reviews, BENCH_RUNS=4)
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/core/index.js';
import { machineLine, writeSection } from '../src/evaluation/index.js';
import { importReviewRows } from '../src/labeling/index.js';
import { productReviewDemoPool } from '../src/pipeline/demo.js';
import { PipelineStore } from '../src/pipeline/index.js';
import { QueuedPipelineRunner, queueSettings } from '../src/pipeline/queue/index.js';
import { MetadataStore } from '../src/storage/index.js';
import { SHARED } from '../test/helpers/paths.js';
import { type Proc, scaleOutSetup, spawnReviewlens } from '../test/helpers/workers.js';

const PER_DOMAIN = Number(process.env.BENCH_PER_DOMAIN ?? 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 4);
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

interface Result {
  workers: number;
  reviews: number;
  runs: number;
  seconds: number;
  perMinute: number;
  indexed: number;
  decisions: number;
  load: string;
  /** Steps each worker ran, e.g. `w0: 5, w1: 3`. */
  share: string;
}

async function measure(workers: number): Promise<Result> {
  const setup = await scaleOutSetup('rl_bench_workers', { labeling: { useLlm: false } });
  const procs: Proc[] = [];
  const meta = await MetadataStore.open({ url: setup.dbUrl });
  try {
    const rows = productReviewDemoPool(SHARED, PER_DOMAIN);
    const parts = Array.from({ length: RUNS }, (_, k) => rows.filter((_, i) => i % RUNS === k));
    for (const [k, part] of parts.entries()) {
      await importReviewRows(meta, part, { source: `bench:part-${k}`, origin: 'fdu-mtl unlabel' });
    }
    const reviews = await meta.reviews.count();
    for (let w = 0; w < workers; w++) {
      const p = spawnReviewlens(`worker ${w}`, ['worker', '--id', `w${w}`], setup.env, setup.dataDir);
      procs.push(p);
    }
    for (const p of procs) await p.waitFor(/taking pipeline steps from queue/, 180_000);
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0] as string;
    const config = loadConfig({ env: { ...process.env, ...setup.env }, cwd: setup.dataDir });
    const runner = new QueuedPipelineRunner(
      meta.db,
      [
        { name: 'label', description: '' },
        { name: 'index', description: '' },
      ],
      queueSettings(config),
    );
    const t0 = performance.now();
    const ids: number[] = [];
    for (let k = 0; k < RUNS; k++) {
      const run = await runner.start({
        steps: ['label', 'index'],
        params: { label_source: `bench:part-${k}`, index_source: `bench:part-${k}` },
        requestedBy: 'bench',
      });
      ids.push(run.id);
    }
    const store = new PipelineStore(meta.db);
    for (const id of ids) {
      const run = await runner.wait(id);
      if (run.status !== 'succeeded') throw new Error(`run ${id} ${run.status}: ${run.error}`);
    }
    const seconds = (performance.now() - t0) / 1000;
    await runner.close();
    let indexed = 0;
    const byWorker = new Map<string, number>();
    for (const id of ids) {
      const run = (await store.get(id))!;
      indexed += Number((run.steps[1]!.output as { added: number }).added);
      for (const s of run.steps) byWorker.set(s.worker ?? '-', (byWorker.get(s.worker ?? '-') ?? 0) + 1);
    }
    const share = [...byWorker.entries()]
      .sort()
      .map(([w, n]) => `${w}: ${n}`)
      .join(', ');
    const decisions = Number(
      (
        await meta.db
          .selectFrom('label_decisions')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    log(`${workers} worker(s): ${reviews} reviews in ${seconds.toFixed(1)} s`);
    return {
      workers,
      reviews,
      runs: RUNS,
      seconds,
      perMinute: (reviews / seconds) * 60,
      indexed,
      decisions,
      load,
      share,
    };
  } finally {
    for (const p of procs) await p.stop();
    await meta.close();
    await setup.dispose();
  }
}

const results: Result[] = [];
for (const w of [1, 2]) results.push(await measure(w));
const speedup = results[1]!.perMinute / results[0]!.perMinute;
writeSection(
  'pipeline-workers',
  `## Pipeline throughput on workers: label + index with 1 and 2 workers (issue 18)

Command: \`npm run bench:pipeline-workers\` (BENCH_PER_DOMAIN=${PER_DOMAIN}, BENCH_RUNS=${RUNS}). \`reviewlens worker\` processes
(BullMQ on a real Redis, metadata on a real PostgreSQL, both on 127.0.0.1; one inference thread each) run ${RUNS} pipeline runs
of label → index queued at once, each over a quarter of ${results[0]!.reviews} real unlabelled Amazon product reviews (FDU-MTL
unlabel pools, text only, split by source). Timed from the first run queued to the last run finished; worker start-up
excluded, each worker's first model load included. Labeling without an LLM (classifier + lexicon ensemble, gated).
${machineLine()}. **The machine was shared** with other engineers' work during the runs (1-minute load average before each:
${results.map((r) => r.load).join(', ')}), so the figures are indicative; both workers share the same 2 cores.

| workers | reviews | runs | seconds | reviews per minute | labeling decisions | index rows added | steps run by each worker |
|---|---|---|---|---|---|---|---|
${results.map((r) => `| ${r.workers} | ${r.reviews} | ${r.runs} | ${r.seconds.toFixed(1)} | ${r.perMinute.toFixed(0)} | ${r.decisions} | ${r.indexed} | ${r.share} |`).join('\n')}

2 workers / 1 worker: ${speedup.toFixed(2)}x. On this shared machine the ratio moves with the other work as much as with the
second worker (load averages above). Across machines each worker brings its own cores (not measurable here). Steps of one run stay in order;
different runs go on in parallel on different workers.
`,
);
