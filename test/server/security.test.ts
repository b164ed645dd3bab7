import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/core/index.js';
import { type AppContext, buildServer, createContext, createLogger, maskApiKeys } from '../../src/server/index.js';
import { MODELS_DIR, tempDir } from '../helpers/paths.js';

/**
 * Keys never leave a trace (log lines, error bodies, headers); security headers on the UI and the API;
 * CORS closed unless origins are configured. One real context (API keys on), one server per configuration.
 */
function config(env: Record<string, string> = {}) {
  const dataDir = tempDir();
  return loadConfig({
    env: {
      REVIEWLENS_MODELS_DIR: MODELS_DIR,
      REVIEWLENS_AUTH: 'true',
      REVIEWLENS_RELOAD_INTERVAL_SECONDS: '0',
      ...env,
    },
    cwd: dataDir,
    overrides: { dataDir, 'database.url': 'memory://' },
  });
}

let ctx: AppContext;
const apps: FastifyInstance[] = [];
const logLines: string[] = [];

/** A server over the shared context with `server.corsOrigins` set as given. */
async function serverWith(corsOrigins: string[], logger?: ReturnType<typeof createLogger>) {
  const app = await buildServer(
    { ...ctx, config: { ...ctx.config, server: { ...ctx.config.server, corsOrigins } } },
    { logger: logger ?? false },
  );
  apps.push(app);
  return app;
}

beforeAll(async () => {
  ctx = await createContext(config());
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await ctx?.close();
});

describe('API keys leave no trace', () => {
  it('no key material in any log line, error body or header, through refusals and successes', async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const app = await serverWith([], createLogger({ level: 'trace', destination: sink }));
    // A handler that logs the headers it was given, as a careless route might.
    app.get('/test/log-headers', { config: { scope: 'public' } }, async (req) => {
      req.log.info({ headers: req.headers }, 'the headers');
      req.log.info({ req: { headers: req.headers } }, 'the request, with its headers');
      return { ok: true };
    });

    const admin = await ctx.keys.create({ name: 'admin', scopes: ['admin'] });
    const analyst = await ctx.keys.create({ name: 'analyst', scopes: ['analyze'] });
    const revoked = await ctx.keys.create({ name: 'gone', scopes: ['analyze'] });
    await ctx.keys.revoke(revoked.id);
    const made = [admin.key, analyst.key, revoked.key];
    const tampered = `${analyst.key.slice(0, -4)}ZZZZ`;
    const unknown = `rl_Unkn0wn1_${'Q'.repeat(40)}`;
    const secrets = [...made, tampered, unknown].map((k) => k.split('_')[2] as string);

    const analyze = (headers: Record<string, string>, url = '/api/analyze') =>
      app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', ...headers },
        payload: { text: 'Works fine' },
      });
    const answers = [
      [await analyze({}), 401],
      [await analyze({ authorization: `Bearer ${unknown}` }), 401],
      [await analyze({ 'x-api-key': tampered }), 401],
      [await analyze({ authorization: `Basic ${Buffer.from(`user:${analyst.key}`).toString('base64')}` }), 401],
      [await analyze({ authorization: `Bearer ${revoked.key}` }), 401],
      [await analyze({ authorization: `Bearer ${analyst.key}` }), 200],
      [await analyze({ 'x-api-key': admin.key }), 200],
      [
        await app.inject({
          method: 'POST',
          url: '/api/models/promote',
          headers: { authorization: `Bearer ${analyst.key}`, 'content-type': 'application/json' },
          payload: { name: 'x', version: '1', alias: 'production' },
        }),
        403,
      ],
      // A key put in the query string (not how keys are sent): the logged URL masks it.
      [await app.inject({ method: 'GET', url: `/api/health?api_key=${admin.key}` }), 200],
      [
        await app.inject({
          method: 'GET',
          url: '/test/log-headers',
          headers: { authorization: `Bearer ${admin.key}`, 'x-api-key': analyst.key },
        }),
        200,
      ],
    ] as const;
    for (const [res, status] of answers) {
      expect(res.statusCode, res.body).toBe(status);
      for (const s of secrets) {
        expect(res.body).not.toContain(s);
        expect(JSON.stringify(res.headers)).not.toContain(s);
      }
    }
    expect(answers[7][0].json().error.message).toContain(analyst.prefix); // the public part names the key

    expect(logLines.length).toBeGreaterThan(20);
    const log = logLines.join('\n');
    for (const s of secrets) expect(log).not.toContain(s);
    expect(log).toContain('[Redacted]');
    expect(log).toContain(`rl_${admin.prefix}_[redacted]`);
    expect(log).toContain('"statusCode":401');
  });

  it('maskApiKeys keeps the public prefix and drops the secret', () => {
    expect(maskApiKeys('/x?api_key=rl_AbCdEfGh_0123456789abcdefghijABCDEFGHIJ0123456789&y=1')).toBe(
      '/x?api_key=rl_AbCdEfGh_[redacted]&y=1',
    );
    expect(maskApiKeys('nothing here')).toBe('nothing here');
  });
});

describe('security headers', () => {
  it('on the web UI, on API answers and on refusals; no CORS headers by default', async () => {
    const app = await serverWith([]);
    const page = await app.inject({ method: 'GET', url: '/' });
    const api = await app.inject({ method: 'GET', url: '/api/health', headers: { origin: 'https://evil.example' } });
    const refused = await app.inject({
      method: 'GET',
      url: '/api/models',
      headers: { origin: 'https://evil.example' },
    });
    expect(page.statusCode).toBe(200);
    expect(api.statusCode).toBe(200);
    expect(refused.statusCode).toBe(401);
    for (const res of [page, api, refused]) {
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/analyze',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.statusCode).toBe(404);
  });
});

describe('CORS', () => {
  it('configured origins may call the API from a browser (preflight and answers, errors included); others may not', async () => {
    const app = await serverWith(['https://shop.example', 'http://localhost:3000/']);
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/analyze',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('authorization');
    expect(String(preflight.headers['access-control-allow-methods'])).toContain('POST');
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();

    const local = await app.inject({ method: 'GET', url: '/api/models', headers: { origin: 'http://localhost:3000' } });
    expect(local.statusCode).toBe(401); // the key is still needed; the browser may read why
    expect(local.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(String(local.headers['access-control-expose-headers'])).toContain('x-request-id');
    expect(local.headers['cross-origin-resource-policy']).toBe('cross-origin');

    const other = await app.inject({
      method: 'GET',
      url: '/api/health',
      headers: { origin: 'https://shop.example.evil.com' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const otherPreflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/analyze',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(otherPreflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("'*' allows any origin", async () => {
    const app = await serverWith(['*']);
    const res = await app.inject({
      method: 'GET',
      url: '/api/health',
      headers: { origin: 'https://anywhere.example' },
    });
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('REVIEWLENS_CORS_ORIGINS is a comma-separated list; a malformed origin is refused at start-up', () => {
    expect(config().server.corsOrigins).toEqual([]);
    expect(
      config({ REVIEWLENS_CORS_ORIGINS: ' https://a.example , http://localhost:3000 ' }).server.corsOrigins,
    ).toEqual(['https://a.example', 'http://localhost:3000']);
    expect(() => config({ REVIEWLENS_CORS_ORIGINS: 'https://a.example/path' })).toThrow(ConfigError);
    expect(() => config({ REVIEWLENS_CORS_ORIGINS: 'shop.example' })).toThrow(
      /server\.corsOrigins.*expected an origin/s,
    );
  });
});
