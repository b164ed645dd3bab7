import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_VARS, loadConfig } from '../../src/core/index.js';
import { cli } from '../helpers/cli.js';
import { ROOT, tempDir } from '../helpers/paths.js';

/**
 * deploy/compose.yaml cannot be run here (no image can be pulled, no compose plugin): it is parsed and its parts
 * checked against each other and against the code: profiles, dependencies and their health checks, volumes, bind
 * mounts, the commands the containers run, and the configuration each service's environment gives the server.
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
