import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { CronJob } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ENV_VARS, loadConfig } from '../../src/core/index.js';
import { ROOT, tempDir } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/**
 * deploy/k8s (a kustomize base) is never applied to a cluster here. Each manifest is validated against the
 * Kubernetes OpenAPI schemas as compiled by kubernetes-models (ajv validators generated from the Kubernetes API's
 * OpenAPI document; its README names Kubernetes 1.27), and the manifests are checked against each other and the
 * code: selectors, probes, config and secret references, the environment the server reads, and the CronJob's
 * script, run against a real server.
 */
const K8S = join(ROOT, 'deploy', 'k8s');
type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> } } & Record<
  string,
  any
>;
const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'batch/v1/CronJob': CronJob,
};

const kustomization = parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as {
  namespace: string;
  resources: string[];
  images: { name: string }[];
};
const objects: Obj[] = kustomization.resources.flatMap((f) =>
  parseAllDocuments(readFileSync(join(K8S, f), 'utf8')).map((d) => d.toJS() as Obj),
);
const get = (kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
const podSpecs = () =>
  objects.flatMap((o) =>
    o.kind === 'Deployment'
      ? [{ owner: o, spec: o.spec.template.spec }]
      : o.kind === 'CronJob'
        ? [{ owner: o, spec: o.spec.jobTemplate.spec.template.spec }]
        : [],
  );
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('deploy/k8s', () => {
  it('lists every manifest in its kustomization, each valid against the Kubernetes schemas', () => {
    const files = readdirSync(K8S).filter(
      (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && f !== 'prometheus-adapter-values.yaml',
    );
    expect(kustomization.resources.sort()).toEqual(files.sort());
    expect(objects.map((o) => o.kind).sort()).toEqual(
      [
        'ConfigMap',
        'CronJob',
        'Deployment',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Namespace',
        'PersistentVolumeClaim',
        'PodDisruptionBudget',
        'Secret',
        'Service',
      ].sort(),
    );
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${o.apiVersion} ${o.kind}`).toBeDefined();
      expect(() => new Model!(o).validate(), `${o.kind} ${o.metadata.name}`).not.toThrow();
    }
    // The validation does reject a wrong manifest (a port as a string, a missing selector).
    const api = structuredClone(get('Deployment', 'reviewlens-api'));
    api.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    expect(() => new Deployment(api).validate()).toThrow(/containerPort must be integer/);
    const noSelector = structuredClone(get('Deployment', 'reviewlens-api'));
    delete noSelector.spec.selector;
    expect(() => new Deployment(noSelector).validate()).toThrow(/selector/);
  });

  it('wires the API: selectors, Service, probes on /api/health and /api/ready, HPA on CPU and request rate, PDB', () => {
    const api = get('Deployment', 'reviewlens-api');
    const podLabels = api.spec.template.metadata.labels;
    expect(matches(api.spec.selector.matchLabels, podLabels)).toBe(true);
    const svc = get('Service', 'reviewlens-api');
    expect(matches(svc.spec.selector, podLabels)).toBe(true);
    const worker = get('Deployment', 'reviewlens-worker');
    // The Service never sends traffic to workers.
    expect(matches(svc.spec.selector, worker.spec.template.metadata.labels)).toBe(false);
    const c = api.spec.template.spec.containers[0];
    expect(svc.spec.ports[0].targetPort).toBe(c.ports[0].name);
    expect(c.ports[0].containerPort).toBe(8080);
    expect(c.livenessProbe.httpGet.path).toBe('/api/health');
    expect(c.readinessProbe.httpGet.path).toBe('/api/ready');
    expect(c.startupProbe.httpGet.path).toBe('/api/health');
    expect(c.args).toEqual(['start']);
    expect(worker.spec.template.spec.containers[0].args).toEqual(['worker']);

    const hpa = get('HorizontalPodAutoscaler', 'reviewlens-api');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'reviewlens-api' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    const kinds = hpa.spec.metrics.map((m: any) => m.resource?.name ?? m.pods?.metric.name);
    expect(kinds).toEqual(['cpu', 'reviewlens_http_requests_per_second']);
    // The request-rate metric is what the prometheus-adapter values serve, from a counter the server exports.
    const adapter = parse(readFileSync(join(K8S, 'prometheus-adapter-values.yaml'), 'utf8'));
    const rule = adapter.rules.custom[0];
    expect(rule.name.as).toBe('reviewlens_http_requests_per_second');
    expect(rule.seriesQuery).toMatch(/^reviewlens_http_requests_total\{/);
    expect(readFileSync(join(ROOT, 'src', 'server', 'metrics.ts'), 'utf8')).toContain(
      "'reviewlens_http_requests_total'",
    );

    const pdb = get('PodDisruptionBudget', 'reviewlens-api');
    expect(matches(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
    // Prometheus finds the pods by their annotations (docs/operations.md).
    expect(api.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
  });

  it('runs every pod as non-root on a read-only root, with a writable /tmp', () => {
    for (const { owner, spec } of podSpecs()) {
      expect(spec.securityContext.runAsNonRoot, owner.metadata.name).toBe(true);
      expect(spec.securityContext.runAsUser).toBe(1000); // the image's USER
      for (const c of spec.containers) {
        expect(c.image).toBe(kustomization.images[0]!.name);
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
        expect(c.resources.requests).toBeDefined();
        expect(c.resources.limits.memory).toBeDefined();
        if (owner.kind === 'Deployment') {
          expect(c.volumeMounts.map((m: any) => m.mountPath)).toEqual(expect.arrayContaining(['/data', '/tmp']));
        }
      }
    }
  });

  it('references only ConfigMaps, Secrets, keys and claims that exist, with settings the server reads', () => {
    const cm = get('ConfigMap', 'reviewlens-config');
    const secret = get('Secret', 'reviewlens-secrets');
    for (const { owner, spec } of podSpecs()) {
      for (const c of spec.containers) {
        for (const from of c.envFrom ?? []) {
          if (from.configMapRef) get('ConfigMap', from.configMapRef.name);
          if (from.secretRef) get('Secret', from.secretRef.name);
        }
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref)
            expect(get('Secret', ref.name).stringData, `${owner.metadata.name}: ${e.name}`).toHaveProperty(ref.key);
        }
      }
      for (const v of spec.volumes ?? []) {
        if (v.persistentVolumeClaim) get('PersistentVolumeClaim', v.persistentVolumeClaim.claimName);
        if (v.configMap) {
          const map = get('ConfigMap', v.configMap.name);
          for (const item of v.configMap.items ?? []) expect(map.data).toHaveProperty(item.key);
        }
      }
    }
    // Every variable is one the server reads (or the standard AWS pair LanceDB's object store reads, or the
    // CronJob's key).
    const names = [...Object.keys(cm.data), ...Object.keys(secret.stringData)].filter((k) => !k.includes('.'));
    for (const k of names) {
      if (['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'REVIEWLENS_ADMIN_KEY', 'REVIEWLENS_CONFIG'].includes(k))
        continue;
      expect(ENV_VARS, k).toHaveProperty(k);
    }
    // The server accepts the configuration the pods get (config file from the ConfigMap at the path it names).
    const dir = tempDir();
    writeFileSync(join(dir, 'config.yaml'), cm.data['config.yaml']);
    const env = Object.fromEntries(names.map((k) => [k, String(cm.data[k] ?? secret.stringData[k])]));
    expect(env.REVIEWLENS_CONFIG).toBe('/etc/reviewlens/config.yaml');
    const cfg = loadConfig({ env: { ...env, REVIEWLENS_CONFIG: join(dir, 'config.yaml') }, cwd: dir });
    expect(cfg.server.host).toBe('0.0.0.0');
    expect(cfg.database.url).toMatch(/^postgres:\/\//);
    expect(cfg.redis.url).toMatch(/^redis:\/\//);
    expect(cfg.blobs.backend).toBe('s3');
    expect(cfg.pipeline.queue.backend).toBe('bullmq');
    expect(cfg.retrieval.uri).toBe('s3://reviewlens/index');
    // The config file mount: the pods mount the ConfigMap's config.yaml where REVIEWLENS_CONFIG points.
    const api = get('Deployment', 'reviewlens-api').spec.template.spec;
    const mount = api.containers[0].volumeMounts.find((m: any) => m.name === 'config');
    expect(`${mount.mountPath}/${api.volumes.find((v: any) => v.name === 'config').configMap.items[0].path}`).toBe(
      env.REVIEWLENS_CONFIG,
    );
  });

  describe('the scheduled pipeline CronJob', () => {
    let srv: RunningServer;
    let key: string;
    beforeAll(async () => {
      srv = await startServer({ REVIEWLENS_AUTH: 'true' });
      key = (await srv.ctx.keys.create({ name: 'cron', scopes: ['admin'] })).key;
    }, 120_000);
    afterAll(async () => srv?.close());

    it('is forbidden to overlap, and its script starts a run through the API with the admin key', async () => {
      const cron = get('CronJob', 'reviewlens-pipeline');
      expect(cron.spec.concurrencyPolicy).toBe('Forbid');
      expect(cron.spec.schedule).toMatch(/^(\S+\s+){4}\S+$/);
      const c = cron.spec.jobTemplate.spec.template.spec.containers[0];
      expect(c.command).toEqual(['node', '-e']);
      const script = (c.args[0] as string).replace('http://reviewlens-api', srv.url);
      expect(script).not.toBe(c.args[0]); // it calls the Service by name
      expect(get('Service', 'reviewlens-api').spec.ports[0].port).toBe(80);
      const { execFile } = await import('node:child_process');
      const run = (env: Record<string, string>) =>
        new Promise<{ code: number; out: string }>((resolve) => {
          execFile(process.execPath, ['-e', script], { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
          );
        });
      const ok = await run({ REVIEWLENS_ADMIN_KEY: key });
      expect(ok.code, ok.out).toBe(0);
      expect(ok.out).toMatch(/^202 /);
      const id = (JSON.parse(ok.out.slice(4)) as { id: number }).id;
      const view = await srv.ctx.pipeline!.store.get(id);
      expect(view?.steps.length).toBeGreaterThan(0);
      await srv.ctx.pipeline!.cancel(id);
      // A wrong key fails the Job (so Kubernetes retries it and counts the failure).
      const bad = await run({ REVIEWLENS_ADMIN_KEY: 'rl_nope' });
      expect(bad.code).toBe(1);
      expect(bad.out).toMatch(/^401 /);
    }, 120_000);
  });
});
