import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reference, type SoakCommand, type SoakSetup, siteReference, soakRound } from '../helpers/kill-soak.js';
import { tempDir } from '../helpers/paths.js';
import { type Site, startSite } from '../ingest/site-server.js';

/**
 * A few SIGKILLs (two a command, seeded) during `reviewlens ingest`, `label run`, `train` and `pipeline run`,
 * each on a fresh data directory, then a run to the end: nothing lost, nothing written twice, killed runs
 * closed, the pipeline run resumed. The 50-kill soak is `npm run bench:kill-soak` (docs/benchmarks.md).
 */
let site: Site;
let setup: SoakSetup;
let reference: Reference;

beforeAll(async () => {
  site = await startSite();
  setup = { site: site.url, workDir: tempDir('reviewlens-kill-test-') };
  reference = { siteReviews: await siteReference(site.url) };
}, 60_000);
afterAll(async () => {
  await site?.close();
  if (setup) rmSync(setup.workDir, { recursive: true, force: true });
});

/**
 * How many lines an uninterrupted run prints (measured; kill points are drawn below it). If the output
 * changes, the kills land elsewhere but the checks hold the same.
 */
const LINES: Record<SoakCommand, number> = { ingest: 12, label: 7, train: 95, pipeline: 69 };

describe('SIGKILL at random points, then a run to the end', () => {
  for (const [i, cmd] of (['ingest', 'label', 'train', 'pipeline'] as const).entries()) {
    it(`${cmd}: nothing lost or duplicated, and the run completes`, async () => {
      // A run can finish before its kill point on a fast machine; every round is checked, and rounds go on
      // (next seed) until at least one kill has landed.
      let kills = 0;
      for (let round = 1; round <= 4 && kills === 0; round++) {
        const seed = 1401 + i + 100 * (round - 1);
        const r = await soakRound(cmd, setup, { round, kills: 2, seed, lines: LINES[cmd], reference });
        kills += r.kills;
        expect(r.problems, JSON.stringify(r)).toEqual([]);
        expect({ lost: r.lost, duplicated: r.duplicated, dangling: r.dangling, locked: r.lockMessages }).toEqual({
          lost: 0,
          duplicated: 0,
          dangling: 0,
          locked: 0,
        });
        expect(r.resumed).toBe(true);
      }
      expect(kills).toBeGreaterThanOrEqual(1);
    }, 600_000);
  }
});
