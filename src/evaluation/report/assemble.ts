/**
 * Puts a run together into the report (`buildReport`) and writes it: the HTML page and, next to it, the
 * run's JSON (the report plus every scored item), each to a temporary file first and renamed into place
 * only when both are written, so a failure never leaves a partial report behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type BootstrapOptions, compareRuns, dataHash, modelFigures } from './gather.js';
import { renderReport } from './html.js';
import type { EvalReport, EvalSet, LoadFigures, ModelRun } from './types.js';

export interface BuildInput {
  command: string;
  createdAt: string;
  sets: readonly EvalSet[];
  /** The candidate's run first; the production model's second when compared. */
  runs: readonly ModelRun[];
  boot: BootstrapOptions;
  seeds: EvalReport['seeds'];
  options: EvalReport['options'];
  load?: LoadFigures;
  seconds: number;
}

/** The report's figures from the runs (pure: same input, same report). */
export function buildReport(input: BuildInput): EvalReport {
  const [cand, prod] = input.runs;
  if (!cand) throw new Error('buildReport needs at least one run');
  const names = input.sets.map((s) => s.name);
  return {
    format: 'reviewlens.eval-report/1',
    created_at: input.createdAt,
    command: input.command,
    model: cand.model,
    ...(prod ? { against: prod.model } : {}),
    seeds: input.seeds,
    options: input.options,
    data: input.sets.map((s) => ({
      name: s.name,
      origin: s.origin,
      sha256: dataHash(s.items),
      n: s.items.length,
      with_photo: s.items.filter((e) => e.image).length,
      skipped: s.skipped,
      notes: s.notes,
    })),
    models: input.runs.map((r) => modelFigures(r, names, input.boot)),
    ...(prod ? { comparison: compareRuns(cand, prod, names, input.boot) } : {}),
    ...(input.load ? { load: input.load } : {}),
    seconds: input.seconds,
  };
}

/** The run's JSON path for a report path: `report.html` -> `report.json` (other names get `.json` appended). */
export function jsonPathFor(htmlPath: string): string {
  return /\.html?$/i.test(htmlPath) ? htmlPath.replace(/\.html?$/i, '.json') : `${htmlPath}.json`;
}

/** Per-item probabilities rounded to 4 decimals (the JSON stays small; figures recomputed from it agree to 1e-3). */
const round4 = (xs: readonly number[]) => xs.map((x) => Math.round(x * 1e4) / 1e4);

/** The run's JSON: the report, and per model every scored item and the per-item robustness answers. */
export function runJson(report: EvalReport, runs: readonly ModelRun[]): string {
  return JSON.stringify({
    ...report,
    runs: runs.map((r) => ({
      model: r.model,
      items: r.items.map((i) => ({
        ...i,
        text: round4(i.text),
        fused: round4(i.fused),
        ...(i.image ? { image: round4(i.image) } : {}),
      })),
      robustness: r.robustness.map((p) => ({ id: p.id, answers: p.answers })),
      ...(r.behaviour ? { behaviour_passed: r.behaviour.answers } : {}),
      ...(r.glowing ? { glowing: { damaged: r.glowing.damaged.answers, intact: r.glowing.intact.answers } } : {}),
    })),
  });
}

/**
 * Writes each file through a temporary file in the same folder, renamed into place once all are written;
 * on any error the temporary files, and any file of this call already renamed into place, are removed.
 */
export function writeAtomically(files: ReadonlyArray<{ path: string; content: string }>): void {
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temps: string[] = [];
  const placed: string[] = [];
  try {
    for (const f of files) {
      const target = resolve(f.path);
      mkdirSync(dirname(target), { recursive: true });
      const tmp = `${target}.tmp-${tag}`;
      temps.push(tmp);
      writeFileSync(tmp, f.content);
    }
    files.forEach((f, i) => {
      renameSync(temps[i] as string, resolve(f.path));
      placed.push(resolve(f.path));
    });
  } catch (e) {
    // All or nothing: the files of this run already renamed into place go too.
    for (const t of [...temps, ...placed]) rmSync(t, { force: true });
    throw e;
  }
}

/** Renders and writes the report and its JSON; returns the paths and the HTML's size in bytes. */
export function writeReport(
  htmlPath: string,
  report: EvalReport,
  runs: readonly ModelRun[],
): { html: string; json: string; bytes: number } {
  const json = jsonPathFor(htmlPath);
  const html = renderReport(report, { jsonFile: json.split('/').pop() as string });
  writeAtomically([
    { path: json, content: runJson(report, runs) },
    { path: htmlPath, content: html },
  ]);
  return { html: resolve(htmlPath), json: resolve(json), bytes: Buffer.byteLength(html) };
}
