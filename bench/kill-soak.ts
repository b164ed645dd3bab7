/**
 * The kill soak (issue 14's "SIGKILL at random points of ingest, label, train and a pipeline run, 50 times:
 * no review, label, queue decision or model version lost or duplicated, and the run resumes").
 *
 * For each command (`ingest` of the local test site's pages, `label run` on 150 unlabelled product reviews,
 * `train --data` on 150 labelled ones, `pipeline run --steps ingest,label,index,train` over the site with 90
 * labelled reviews in the store), one uninterrupted run on a fresh data directory first (the reference: how
 * many lines it prints, which model version it trains), then rounds on fresh directories: up to
 * BENCH_KILLS_PER_ROUND runs each SIGKILLed at a seeded point (after a random line of its output plus up to
 * 400 ms, or during start-up), then one run to the end (`pipeline resume <id>` for the pipeline), then the
 * checks of test/helpers/kill-soak.ts. Rounds go on until the command has had its share of the kills.
 *
 *   npm run bench:kill-soak      (BENCH_KILLS=50 in all, BENCH_KILLS_PER_ROUND=3, BENCH_SEED=14,
 *                                 BENCH_COMMANDS=ingest,label,train,pipeline)
 */
import { rmSync } from 'node:fs';
import { machineLine, writeSection } from '../src/evaluation/index.js';
import {
  COMMANDS,
  calibrate,
  type Reference,
  type RoundResult,
  type SoakCommand,
  type SoakSetup,
  siteReference,
  soakRound,
  trainedVersion,
} from '../test/helpers/kill-soak.js';
import { tempDir } from '../test/helpers/paths.js';
import { startSite } from '../test/ingest/site-server.js';

const TOTAL = Number(process.env.BENCH_KILLS ?? 50);
const PER_ROUND = Number(process.env.BENCH_KILLS_PER_ROUND ?? 3);
const SEED = Number(process.env.BENCH_SEED ?? 14);
const commands = (process.env.BENCH_COMMANDS ?? COMMANDS.join(',')).split(',') as SoakCommand[];
const say = (m: string) => process.stderr.write(`${m}\n`);

const t0 = performance.now();
const site = await startSite();
const workDir = tempDir('reviewlens-kill-soak-');
const setup: SoakSetup = { site: site.url, workDir };
const reference: Reference = { siteReviews: await siteReference(site.url) };
say(`site: ${site.url}, ${reference.siteReviews.size} reviews; work in ${workDir}`);

interface Row {
  command: SoakCommand;
  calibration: { lines: number; seconds: number };
  rounds: RoundResult[];
}
const rowsOut: Row[] = [];
for (const [i, cmd] of commands.entries()) {
  // The kills are shared out as evenly as they go: 50 over 4 commands is 13, 13, 12, 12.
  const quota = Math.floor(TOTAL / commands.length) + (i < TOTAL % commands.length ? 1 : 0);
  const cal = await calibrate(cmd, setup);
  if (cmd === 'train') {
    reference.trainVersion = trainedVersion(cal.out);
    // The rounds start from the encoder features the reference computed (the same as a second training).
    setup.trainCache = `${cal.dataDir}/features`;
  }
  say(`${cmd}: an uninterrupted run prints ${cal.lines} lines in ${cal.seconds.toFixed(1)} s`);
  const row: Row = { command: cmd, calibration: { lines: cal.lines, seconds: cal.seconds }, rounds: [] };
  let kills = 0;
  for (let round = 1; kills < quota && round <= quota * 4; round++) {
    const r = await soakRound(cmd, setup, {
      round,
      kills: Math.min(PER_ROUND, quota - kills),
      seed: SEED * 1000 + i * 100 + round,
      lines: cal.lines,
      reference,
    });
    kills += r.kills;
    row.rounds.push(r);
    say(
      `${cmd} round ${round}: ${r.kills} kills (${r.killedAt.join(', ')}), lost ${r.lost}, duplicated ${r.duplicated}, ` +
        `resumed ${r.resumed}, ${r.seconds} s${r.problems.length ? `; ${r.problems.join('; ')}` : ''}`,
    );
  }
  rowsOut.push(row);
}
await site.close();

const sum = (rs: RoundResult[], f: (r: RoundResult) => number) => rs.reduce((n, r) => n + f(r), 0);
const all = rowsOut.flatMap((r) => r.rounds);
const table = rowsOut
  .map((row) => {
    const rs = row.rounds;
    return `| \`${row.command}\` | ${sum(rs, (r) => r.kills)} | ${rs.length} | ${sum(rs, (r) => r.lost)} | ${sum(rs, (r) => r.duplicated)} | ${rs.filter((r) => r.resumed).length} of ${rs.length} | ${sum(rs, (r) => r.dangling)} | ${sum(rs, (r) => r.lockMessages)} | ${row.calibration.seconds.toFixed(0)} s, ${row.calibration.lines} lines |`;
  })
  .join('\n');
const problems = all.flatMap((r) => r.problems.map((p) => `${r.command} round ${r.round}: ${p}`));
const points = rowsOut
  .map((row) => `\`${row.command}\`: ${row.rounds.flatMap((r) => r.killedAt).join('; ')}`)
  .join('\n- ');
const minutes = (performance.now() - t0) / 60_000;

const md = `## Kill soak: SIGKILL during ingest, label, train and a pipeline run (issue 14)

${machineLine()}. Command: \`npm run bench:kill-soak\` (BENCH_KILLS=${TOTAL}, BENCH_KILLS_PER_ROUND=${PER_ROUND}, BENCH_SEED=${SEED}).

Each round starts from a fresh data directory (embedded PGlite): up to ${PER_ROUND} runs of the command, each
killed with SIGKILL at a seeded point (after a random line of its output plus 0-400 ms, or one time in five
0-4 s into start-up), then one run to the end (\`pipeline resume <id>\` for the pipeline), then the checks
(test/helpers/kill-soak.ts). A round also ends early when a run finishes before its kill point. *Lost*: reviews
the site gives (${reference.siteReviews.size}, by an uninterrupted in-process crawl), their photos, a labeling
decision for every review, the queue item of every queued/discarded decision, the label of every accepted one,
the agent's audit entry, the trained model version and its staging entry, an index entry for every review,
blobs that are missing or corrupt. *Duplicated*: any of these written twice, or more of them than an
uninterrupted run writes (a second model version from one training, reviews the site does not give).
*Resumed*: the last run exited 0 and, for the pipeline, the same run finished, none of its steps that had
succeeded before a kill running again. *Dangling*: training or ingestion runs still marked running afterwards.
The commands: \`ingest\` of 10 pages of the local test site (${reference.siteReviews.size} reviews, 1 photo);
\`label run\` on 150 unlabelled product reviews; \`train --data\` on 150 labelled product reviews (from the
encoder features of the reference run); \`pipeline run --steps ingest,label,index,train\` over the same pages
with 90 labelled reviews in the store.

| command | kills | rounds | lost | duplicated | resumed | dangling runs | lock messages | uninterrupted run |
|---|---|---|---|---|---|---|---|---|
${table}
| all | ${sum(all, (r) => r.kills)} | ${all.length} | ${sum(all, (r) => r.lost)} | ${sum(all, (r) => r.duplicated)} | ${all.filter((r) => r.resumed).length} of ${all.length} | ${sum(all, (r) => r.dangling)} | ${sum(all, (r) => r.lockMessages)} | |

The model version trained after the kills was the reference's (${reference.trainVersion ?? 'n/a'}) in every
\`train\` round${problems.some((p) => /an uninterrupted run trains/.test(p)) ? ' but those listed below' : ''}.
Run time ${minutes.toFixed(1)} min.${problems.length ? `\n\nProblems found:\n\n- ${problems.join('\n- ')}` : ''}

<details><summary>Where the kills landed</summary>

- ${points}

</details>
`;
writeSection('kill-soak', md);
process.stdout.write(`${md}\n`);
if (process.env.BENCH_KEEP !== '1') rmSync(workDir, { recursive: true, force: true });
