import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_VARS, loadConfig } from '../../src/core/index.js';
import { cli } from '../helpers/cli.js';
import { ROOT, tempDir } from '../helpers/paths.js';

/**
 * deploy/compose.yaml cannot be run here (no image can be pulled). Debian's docker-compose 1.29.2 (installed by
 * .ci/run) validates and resolves it for each profile (`config`, which needs no Docker daemon); and it is parsed and
 * its parts checked against each other and against the code: profiles, dependencies and their health checks, volumes,
 * bind mounts, the commands the containers run, and the configuration each service's environment gives the server.
 */
const DEPLOY = join(ROOT, 'deploy');
type Service = {
  image?: string;
  build?: { context: string; dockerfile: string };
  profiles?: string[];
  command?: string[] | string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
};
const compose = parse(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const inProfile = (p: string) =>
  Object.entries(services)
    .filter(([, s]) => s.profiles?.includes(p))
    .map(([n]) => n);

/** `${VAR:-default}` -> default (what compose substitutes with no .env file), `$$` -> `$`. */
const substitute = (v: string) => v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1').replace(/\$\$/g, '$');

describe('deploy/compose.yaml', () => {
  it('has a minimal profile (the API on embedded stores) and a full one with every part of the system', () => {
    expect(inProfile('minimal')).toEqual(['reviewlens']);
    expect(inProfile('full').sort()).toEqual(
      ['api', 'grafana', 'minio', 'minio-init', 'postgres', 'prometheus', 'redis', 'worker'].sort(),
    );
    // Nothing starts without a profile.
    for (const [name, s] of Object.entries(services)) expect(s.profiles, name).toBeDefined();
    // The app services build the repository's Dockerfile; every other image is pinned to a version.
    for (const name of ['reviewlens', 'api', 'worker']) {
      expect(services[name]!.build).toEqual({ context: '..', dockerfile: 'Dockerfile' });
    }
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, name).toMatch(/^[\w./-]+:(?!latest$)[\w.-]+$/);
      expect(s.image, name).toMatch(/\d/);
    }
  });

  it('depends only on services of its own profile, waiting on health checks that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
        expect(services[dep]!.profiles).toEqual(expect.arrayContaining(s.profiles ?? []));
        if (condition === 'service_healthy') expect(services[dep]!.healthcheck, `${dep} health check`).toBeDefined();
        if (condition === 'service_completed_successfully') expect(services[dep]!.restart).toBeUndefined();
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
      }
      // Every long-running service says when it is healthy.
      if (s.restart) expect(s.healthcheck, name).toBeDefined();
    }
    // The API servers wait for their stores; the workers wait for the API (which migrates the database).
    expect(Object.keys(services.api!.depends_on!)).toEqual(expect.arrayContaining(['postgres', 'redis', 'minio-init']));
    expect(services.worker!.depends_on!.api).toEqual({ condition: 'service_healthy' });
    expect(JSON.stringify(services.api!.healthcheck!.test)).toMatch(/\/api\/health/);
  });

  it('declares every named volume it mounts (and mounts every one it declares); bind mounts exist', () => {
    const used = new Set<string>();
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const [src] = v.split(':') as [string];
        if (src.startsWith('.')) expect(existsSync(join(DEPLOY, src)), `${name}: ${src}`).toBe(true);
        else if (!src.startsWith('/')) used.add(src);
      }
    }
    expect([...used].sort()).toEqual(Object.keys(compose.volumes).sort());
    expect(existsSync(join(DEPLOY, 'prometheus', 'prometheus.yml'))).toBe(true);
    // Grafana's home dashboard is one the mounted folder holds.
    const home = services.grafana!.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
    expect(home.startsWith('/var/lib/grafana/dashboards/')).toBe(true);
    expect(existsSync(join(DEPLOY, 'grafana', 'dashboards', home.split('/').at(-1)!))).toBe(true);
    // Published host ports do not collide.
    const hostPorts = Object.values(services).flatMap((s) => (s.ports ?? []).map((p) => substitute(p).split(':')[0]));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it("gives each app service a configuration the server accepts, with the stores of the service's profile", () => {
    const configOf = (name: string) => {
      const env = Object.fromEntries(
        Object.entries(services[name]!.environment ?? {}).map(([k, v]) => [k, substitute(String(v))]),
      );
      for (const k of Object.keys(env)) {
        if (k.startsWith('REVIEWLENS_') && k !== 'REVIEWLENS_CONFIG')
          expect(ENV_VARS, `${name}: ${k}`).toHaveProperty(k);
      }
      // The config file compose mounts at /etc/reviewlens/config.yaml, read from the repository.
      const mount = (services[name]!.volumes ?? []).find((v) => v.endsWith(':/etc/reviewlens/config.yaml:ro'));
      if (env.REVIEWLENS_CONFIG) {
        expect(mount, `${name} mounts its config file`).toBeDefined();
        env.REVIEWLENS_CONFIG = join(DEPLOY, mount!.split(':')[0]!);
      }
      return loadConfig({ env, cwd: tempDir() });
    };
    const minimal = configOf('reviewlens');
    expect(minimal.database.url).toBe('');
    expect(minimal.redis.url).toBe('');
    expect(minimal.server.host).toBe('0.0.0.0');
    expect(minimal.dataDir).toBe('/data');
    for (const name of ['api', 'worker']) {
      const cfg = configOf(name);
      expect(cfg.database.url).toMatch(/^postgres:\/\/reviewlens:[^@]+@postgres:5432\/reviewlens$/);
      expect(cfg.redis.url).toBe('redis://redis:6379/0');
      expect(cfg.blobs.backend).toBe('s3');
      expect(cfg.blobs.s3.endpoint).toBe('http://minio:9000');
      expect(cfg.pipeline.queue.backend).toBe('bullmq');
      expect(cfg.retrieval.uri).toBe('s3://reviewlens/index');
      expect(cfg.retrieval.storageOptions.aws_endpoint).toBe('http://minio:9000');
      // The bucket minio-init creates is the one the services use.
      expect(String(services['minio-init']!.command)).toContain(`local/${cfg.blobs.s3.bucket}`);
    }
    // MinIO's credentials are the ones the services and the index use.
    const minio = services.minio!.environment!;
    const api = configOf('api');
    expect(api.blobs.s3.accessKeyId).toBe(substitute(minio.MINIO_ROOT_USER!));
    expect(api.blobs.s3.secretAccessKey).toBe(substitute(minio.MINIO_ROOT_PASSWORD!));
    expect(api.retrieval.storageOptions.aws_secret_access_key).toBe(substitute(minio.MINIO_ROOT_PASSWORD!));
  });

  it('runs commands the CLI has', async () => {
    const commands = new Set(['reviewlens', 'api', 'worker'].map((n) => (services[n]!.command as string[])[0]!));
    expect([...commands].sort()).toEqual(['start', 'worker']);
    for (const c of commands) {
      const r = await cli(tempDir(), [c, '--help']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: reviewlens ${c}`));
    }
  }, 60_000);
});

const execFileP = promisify(execFile);
const FULL = ['api', 'grafana', 'minio', 'minio-init', 'postgres', 'prometheus', 'redis', 'worker'];

/**
 * Runs Debian's `docker-compose` (1.29) on `file` with `args`, in a clean environment and with an empty env file, so
 * that neither the caller's variables nor an operator's `deploy/.env` change what is resolved. Fails (never skips)
 * when docker-compose is not installed: .ci/run installs it.
 */
async function dockerCompose(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const envFile = join(tempDir(), 'empty.env');
  writeFileSync(envFile, '');
  try {
    const { stdout, stderr } = await execFileP('docker-compose', ['--env-file', envFile, '-f', file, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
      cwd: tempDir(),
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { code?: number | string; stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error(
        'docker-compose is not installed: `apt-get install -y docker-compose` (Debian 12 has 1.29.2; .ci/run installs it)',
      );
    }
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

describe('deploy/compose.yaml under docker-compose 1.29 (`config`)', () => {
  const file = join(DEPLOY, 'compose.yaml');

  it.each([
    ['minimal', ['reviewlens']],
    ['full', FULL],
  ])(
    'validates and resolves the %s profile to its services',
    async (profile, expected) => {
      const valid = await dockerCompose(file, ['--profile', profile, 'config', '-q']);
      expect(valid.stderr + valid.stdout).toBe('');
      expect(valid.code).toBe(0);

      const r = await dockerCompose(file, ['--profile', profile, 'config']);
      expect(r.code, r.stderr).toBe(0);
      const resolved = parse(r.stdout) as {
        services: Record<string, Service & { build?: { context: string } }>;
        volumes?: Record<string, unknown>;
      };
      // docker-compose 1.29 prints every service with its profiles (Compose v2 prints the active ones only): the
      // services of this profile are those whose resolved profiles name it, and every service has a profile.
      const active = Object.entries(resolved.services).filter(([, s]) => s.profiles?.includes(profile));
      expect(active.map(([n]) => n).sort()).toEqual([...expected].sort());
      for (const [name, s] of Object.entries(resolved.services)) expect(s.profiles, name).toBeDefined();
      for (const [name, s] of active) {
        // Dependencies stay inside the profile.
        for (const dep of Object.keys(s.depends_on ?? {})) expect(expected, `${name} -> ${dep}`).toContain(dep);
        // Anchors are merged: the app services build the repository's Dockerfile.
        if (s.build) expect(s.build.context, name).toBe(ROOT);
        // Bind mounts resolve to paths that exist; named volumes are declared.
        for (const v of s.volumes ?? []) {
          const [src] = v.split(':') as [string];
          if (src.startsWith('/') && v.includes(':')) expect(existsSync(src), `${name}: ${src}`).toBe(true);
          else if (v.includes(':')) expect(resolved.volumes ?? {}, `${name}: ${src}`).toHaveProperty(src);
        }
      }
      expect(resolved.services.reviewlens!.build!.context).toBe(ROOT);
      // Every `${VAR:-default}` is substituted (no .env, no variables set). Only `$${...}` is left: `config` prints
      // it escaped as written, and the container's shell gets `${...}`.
      const text = JSON.stringify(active.map(([, s]) => s)).replace(/\$\$\{/g, '');
      expect(text).not.toMatch(/\$\{/);
      if (profile === 'full') {
        expect(resolved.services.api!.environment!.DATABASE_URL).toBe(
          'postgres://reviewlens:reviewlens@postgres:5432/reviewlens',
        );
        expect(String(resolved.services['minio-init']!.command)).toMatch(/"\$\$\{MINIO_ROOT_USER\}"/);
      }
    },
    60_000,
  );

  it('rejects a top-level `name:` (a Compose v2 key), which is why the project name is given with -p', async () => {
    const dir = tempDir();
    const copy = join(dir, 'compose.yaml');
    writeFileSync(copy, `name: reviewlens\n${readFileSync(file, 'utf8')}`);
    const r = await dockerCompose(copy, ['--profile', 'minimal', 'config', '-q']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/'name' does not match any of the regexes/);
  }, 60_000);
});
