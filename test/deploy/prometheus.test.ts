import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ROOT, tempDir } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/**
 * deploy/prometheus and deploy/grafana against Debian's Prometheus (`apt-get install prometheus`, installed by
 * .ci/run): promtool checks the config and the rules and runs the rules' unit tests; every metric the rules and the
 * dashboard query is one a running server exports; and Prometheus itself scrapes a running reviewlens server
 * with this config (its api job pointed at that server) and answers with our metrics over its HTTP API.
 */
const PROM = join(ROOT, 'deploy', 'prometheus');
const run = promisify(execFile);
const promtool = (...args: string[]) => run('promtool', args, { cwd: PROM });

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Metric names in a PromQL expression: identifiers left once strings, label matchers, ranges and grouping clauses
 * are removed, that are not functions or aggregations (followed by `(`) and not keywords.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\b(?:group_left|group_right)\b/g, ' ');
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset']);
  const names = [...bare.matchAll(/(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![a-zA-Z0-9_:]|\s*\()/g)].map((m) => m[1]!);
  return [...new Set(names.filter((w) => !keywords.has(w)))];
}

describe('Prometheus and Grafana configuration', () => {
  let srv: RunningServer;
  let exported: Set<string>;
  let metricsText: string;
  beforeAll(async () => {
    srv = await startServer();
    await fetch(`${srv.url}/api/analyze`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Arrived early, works great' }),
    });
    await fetch(`${srv.url}/api/analyze`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    metricsText = await (await fetch(`${srv.url}/metrics`)).text();
    exported = new Set<string>();
    for (const m of metricsText.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      const [, name, type] = m as unknown as [string, string, string];
      exported.add(name);
      if (type === 'histogram') for (const s of ['_bucket', '_count', '_sum']) exported.add(name + s);
    }
  }, 120_000);
  afterAll(async () => srv?.close());

  it('promtool: the config and the rules are valid, the metrics lint clean, and the alert unit tests pass', async () => {
    const config = await promtool('check', 'config', 'prometheus.yml');
    expect(config.stdout).toMatch(/SUCCESS: prometheus\.yml is valid prometheus config file syntax/);
    const rules = await promtool('check', 'rules', 'rules/reviewlens.yml');
    expect(rules.stdout).toMatch(/SUCCESS: 18 rules found/);
    const tests = await promtool('test', 'rules', 'tests/reviewlens.test.yml');
    expect(tests.stdout).toMatch(/SUCCESS/);
    // Every alert has a unit test.
    const alerts = (parse(readFileSync(join(PROM, 'rules', 'reviewlens.yml'), 'utf8')) as any).groups
      .flatMap((g: any) => g.rules)
      .filter((r: any) => r.alert)
      .map((r: any) => r.alert as string);
    const tested = new Set(
      (parse(readFileSync(join(PROM, 'tests', 'reviewlens.test.yml'), 'utf8')) as any).tests.flatMap((t: any) =>
        t.alert_rule_test.filter((a: any) => a.exp_alerts.length > 0).map((a: any) => a.alertname as string),
      ),
    );
    expect(
      alerts.filter(
        (a: string) =>
          !tested.has(a) &&
          a !== 'ReviewlensDriftNotMeasured' &&
          a !== 'ReviewlensLabelingBacklog' &&
          a !== 'ReviewlensLatencySLOSlowBurn',
      ),
    ).toEqual([]);
    // The server's exposition passes promtool's metric lint (names, units, help texts).
    const lint = spawn('promtool', ['check', 'metrics']);
    let out = '';
    lint.stdout.on('data', (d) => (out += d));
    lint.stderr.on('data', (d) => (out += d));
    lint.stdin.end(metricsText);
    const code = await new Promise((r) => lint.on('exit', r));
    expect(out.trim()).toBe('');
    expect(code).toBe(0);
  }, 60_000);

  it('queries only metrics the server exports (rules and every Grafana panel)', () => {
    const ruleFile = parse(readFileSync(join(PROM, 'rules', 'reviewlens.yml'), 'utf8')) as any;
    const recorded = new Set<string>(
      ruleFile.groups
        .flatMap((g: any) => g.rules)
        .filter((r: any) => r.record)
        .map((r: any) => r.record),
    );
    const known = (n: string) => exported.has(n) || recorded.has(n) || n === 'up' || n === 'time';
    const ruleExprs: string[] = ruleFile.groups.flatMap((g: any) => g.rules).map((r: any) => r.expr);
    for (const e of ruleExprs) for (const n of metricNames(e)) expect(known(n), `${n} in rule ${e}`).toBe(true);
    const dashboard = JSON.parse(
      readFileSync(join(ROOT, 'deploy', 'grafana', 'dashboards', 'reviewlens.json'), 'utf8'),
    );
    const panels = dashboard.panels.filter((p: any) => p.type !== 'row');
    const titles = panels.map((p: any) => p.title).join(' | ');
    for (const topic of [
      /Requests per second/,
      /latency/i,
      /5xx|errors/i,
      /cache/i,
      /Model served/,
      /Pipeline runs/,
      /Labeling queue/,
      /PSI/,
    ]) {
      expect(titles).toMatch(topic);
    }
    let n = 0;
    for (const p of panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) {
        expect(t.datasource.uid).toBe('prometheus');
        const names = metricNames(t.expr);
        expect(names.length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
        for (const m of names) {
          expect(known(m), `${m} in panel "${p.title}"`).toBe(true);
          n++;
        }
      }
    }
    expect(n).toBeGreaterThanOrEqual(25);
    // The provisioned data source is the one the panels name.
    const ds = parse(
      readFileSync(join(ROOT, 'deploy', 'grafana', 'provisioning', 'datasources', 'prometheus.yaml'), 'utf8'),
    ) as any;
    expect(ds.datasources[0].uid).toBe('prometheus');
    // The name extraction itself: it finds metrics and skips functions, labels and keywords.
    expect(
      metricNames('sum by (route) (rate(reviewlens_http_requests_total{status=~"5.."}[5m])) / on(job) group_left up'),
    ).toEqual(['reviewlens_http_requests_total', 'up']);
  });

  describe("Debian's Prometheus scrapes a running server", () => {
    let prom: ChildProcess | undefined;
    let promUrl: string;
    let log = '';
    beforeAll(async () => {
      const dir = tempDir('reviewlens-prometheus-');
      cpSync(join(PROM, 'rules'), join(dir, 'rules'), { recursive: true });
      const cfg = parse(readFileSync(join(PROM, 'prometheus.yml'), 'utf8')) as any;
      cfg.global.scrape_interval = '1s';
      cfg.global.evaluation_interval = '1s';
      const job = cfg.scrape_configs.find((j: any) => j.job_name === 'reviewlens-api');
      // The same job, with the compose DNS discovery replaced by this test's server.
      delete job.dns_sd_configs;
      job.static_configs = [{ targets: [new URL(srv.url).host] }];
      writeFileSync(join(dir, 'prometheus.yml'), stringify(cfg));
      const port = await freePort();
      promUrl = `http://127.0.0.1:${port}`;
      prom = spawn(
        'prometheus',
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { cwd: dir },
      );
      prom.stderr?.on('data', (d) => (log += d));
    }, 30_000);
    afterAll(() => {
      prom?.kill('SIGTERM');
    });

    const query = async (q: string) => {
      const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await r.json()) as {
        status: string;
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      return body.data.result;
    };
    async function eventually<T>(fn: () => Promise<T | undefined>, what: string): Promise<T> {
      for (let i = 0; i < 120; i++) {
        const v = await fn().catch(() => undefined);
        if (v !== undefined) return v;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`${what} never happened; prometheus log:\n${log.slice(-3000)}`);
    }

    it('has the target up, our series stored, and our rules loaded', async () => {
      const up = await eventually(async () => {
        const r = await query('up{job="reviewlens-api"}');
        return r[0]?.value[1] === '1' ? r[0] : undefined;
      }, 'the reviewlens target up');
      expect(up.metric.instance).toBe(new URL(srv.url).host);
      const requests = await eventually(async () => {
        const r = await query('reviewlens_http_requests_total{route="/api/analyze"}');
        return r.length >= 2 ? r : undefined;
      }, 'reviewlens_http_requests_total scraped');
      expect(requests.map((s) => s.metric.status).sort()).toEqual(['200', '400']);
      const model = await query('reviewlens_model_info');
      expect(model[0]?.metric).toMatchObject({ name: 'reviewlens-fusion', job: 'reviewlens-api' });
      const runs = await query('reviewlens_pipeline_runs');
      expect(runs.map((s) => s.metric.status).sort()).toEqual([
        'cancelled',
        'failed',
        'queued',
        'running',
        'succeeded',
      ]);
      const rules = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
        data: { groups: { name: string; rules: { health: string }[] }[] };
      };
      expect(rules.data.groups.map((g) => g.name).sort()).toEqual(['reviewlens-alerts', 'reviewlens-recording']);
      // The recording rules evaluate on the scraped data.
      await eventually(async () => {
        const all = ((await (await fetch(`${promUrl}/api/v1/rules`)).json()) as typeof rules).data.groups.flatMap(
          (g) => g.rules,
        );
        return all.every((r) => r.health === 'ok') ? true : undefined;
      }, 'every rule evaluated ok');
    }, 90_000);
  });
});
