import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../src/core/index.js';
import { ROOT } from '../helpers/paths.js';

/**
 * The Dockerfile cannot be built here (no image can be pulled): it is parsed (dockerfile-ast) and linted
 * (dockerfile-utils, the VS Code Docker extension's validator), and its rules checked: multi-stage, a pinned base,
 * a non-root numeric USER, a HEALTHCHECK on /api/health, the models fetched at build time, and every path it copies
 * present in the repository and not excluded by .dockerignore.
 */
const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const file = DockerfileParser.parse(text);
const instructions = file.getInstructions();
type Instruction = (typeof instructions)[number];
const args = (i: Instruction) => i.getArgumentsContent() ?? '';
/** An instruction's flags (`--from=build`, `--start-period=90s`) as name -> value. */
const flags = (i: Instruction) =>
  Object.fromEntries(
    ('getFlags' in i
      ? (i as Instruction & { getFlags(): { getName(): string; getValue(): string | null }[] }).getFlags()
      : []
    ).map((f) => [f.getName(), f.getValue()]),
  );
const stages = file.getFROMs();
const runtimeStart = instructions.indexOf(stages.at(-1)!);
const runtime = instructions.slice(runtimeStart);

describe('Dockerfile', () => {
  it('lints clean', () => {
    expect(validate(text)).toEqual([]);
    // The linter does find mistakes (so the empty list above means something).
    expect(validate('FROM\nEXPOSE eighty\n').length).toBeGreaterThan(0);
  });

  it('has two stages from one pinned Node 20 slim base', () => {
    expect(stages.map((s) => s.getBuildStage())).toEqual(['build', 'runtime']);
    const arg = instructions.find((i) => i.getKeyword() === 'ARG' && args(i).startsWith('NODE_IMAGE='));
    const base = args(arg!).split('=')[1]!;
    // A full version (no `latest`, no bare major): node:20.x.y-<debian>-slim.
    expect(base).toMatch(/^node:20\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    for (const s of stages) expect(s.getImageName()).toBe(`\${NODE_IMAGE}`);
  });

  it('fetches the pinned model weights and builds the UI at build time, and verifies them', () => {
    const build = instructions
      .slice(0, runtimeStart)
      .filter((i) => i.getKeyword() === 'RUN')
      .map(args)
      .join('\n');
    // npm ci's postinstall is `reviewlens models fetch` + the web UI build (package.json).
    expect(build).toMatch(/npm ci\b/);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.postinstall).toMatch(/models fetch/);
    expect(pkg.scripts.postinstall).toMatch(/build:web/);
    expect(build).toMatch(/reviewlens\.js models assets/);
    expect(build).toMatch(/npm prune --omit=dev/);
    // The runtime stage takes the verified model files from the build stage.
    const copies = runtime
      .filter((i) => i.getKeyword() === 'COPY')
      .map((i) => `${flags(i).from ? `--from=${flags(i).from} ` : ''}${args(i)}`);
    expect(copies).toContain('--from=build /app/.reviewlens/models ./.reviewlens/models');
    expect(copies).toContain('--from=build /app/web/dist ./web/dist');
    // Nothing of the runtime comes from the build context: all from the build stage.
    for (const c of copies) expect(c).toMatch(/^--from=build /);
  });

  it('runs as a non-root numeric user, with a health check on /api/health and the server as its command', () => {
    const user = runtime.filter((i) => i.getKeyword() === 'USER').map(args);
    expect(user).toHaveLength(1);
    expect(user[0]).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    const health = runtime.find((i) => i.getKeyword() === 'HEALTHCHECK');
    expect(args(health!)).toMatch(/\/api\/health/);
    expect(flags(health!)['start-period']).toMatch(/^\d+s$/);
    expect(flags(health!).interval).toMatch(/^\d+s$/);
    const entry = runtime.find((i) => i.getKeyword() === 'ENTRYPOINT');
    expect(JSON.parse(args(entry!))).toEqual(['node', 'bin/reviewlens.js']);
    expect(JSON.parse(args(runtime.find((i) => i.getKeyword() === 'CMD')!))).toEqual(['start']);
    // USER comes after the last RUN: nothing runs as root after it is set, the app runs as that user.
    const lastRun = runtime.map((i) => i.getKeyword()).lastIndexOf('RUN');
    expect(runtime.findIndex((i) => i.getKeyword() === 'USER')).toBeGreaterThan(lastRun);
  });

  it('sets only configuration variables the server knows, and listens on all interfaces in the container', () => {
    const env = runtime
      .filter((i) => i.getKeyword() === 'ENV')
      .flatMap((i) => args(i).split(/\s+\\?\s*/))
      .filter((kv) => kv.includes('='))
      .map((kv) => kv.split('=') as [string, string]);
    const vars = Object.fromEntries(env);
    for (const name of Object.keys(vars).filter((n) => n.startsWith('REVIEWLENS_'))) {
      expect(ENV_VARS, name).toHaveProperty(name);
    }
    expect(vars.REVIEWLENS_HOST).toBe('0.0.0.0');
    expect(vars.REVIEWLENS_DATA_DIR).toBe('/data');
    expect(vars.REVIEWLENS_LOG_FORMAT).toBe('json');
  });

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const sources = instructions
      .slice(0, runtimeStart)
      .filter((i) => i.getKeyword() === 'COPY')
      .flatMap((i) => args(i).split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(5);
    for (const src of sources) {
      expect(existsSync(join(ROOT, src)), `${src} exists`).toBe(true);
      expect(ignored, `${src} is excluded by .dockerignore`).not.toContain(src);
    }
    // Never sent to the builder: dependencies, local data, the repository's history.
    for (const p of ['node_modules', '.reviewlens', '.git']) expect(ignored).toContain(p);
  });
});
