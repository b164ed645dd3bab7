import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

export const BENCH_DOC = join(import.meta.dirname, '..', '..', 'docs', 'benchmarks.md');

/** One line describing the machine a benchmark ran on. */
export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

/**
 * Replaces the section between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in docs/benchmarks.md
 * (appending it when absent), so each benchmark rewrites only its own results.
 */
export function writeSection(name: string, markdown: string): void {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const doc = existsSync(BENCH_DOC) ? readFileSync(BENCH_DOC, 'utf8') : '# Benchmarks\n';
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  const next = i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(BENCH_DOC, next);
}

/**
 * Waits until `url` answers 2xx from the server process `child` (a benchmark's `reviewlens start`), polling
 * every `intervalMs` (100) up to `tries` (1200) times. Throws when the process exits first (with `detail()`,
 * e.g. its stderr, in the message) or when it never answers.
 */
export async function waitForServer(
  child: ChildProcess,
  url: string,
  opts: { intervalMs?: number; tries?: number; detail?: () => string } = {},
): Promise<void> {
  for (let i = 0; i < (opts.tries ?? 1200); i++) {
    if (child.exitCode !== null) {
      const detail = opts.detail?.();
      throw new Error(`server exited with ${child.exitCode}${detail ? `: ${detail}` : ''}`);
    }
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
  throw new Error(`server did not answer ${url}`);
}

/** Sends SIGTERM to a benchmark's server process and resolves when it has exited. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
