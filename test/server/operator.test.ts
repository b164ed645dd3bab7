import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_FLAGS, DEFAULT_CHROMIUM_PATH, INSTALL_MODELS_DIR, loadConfig } from '../../src/core/index.js';
import { createLogger, logFormat } from '../../src/server/logger.js';
import { cli } from '../helpers/cli.js';
import { MODELS_DIR, ROOT, tempDir } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const CHROMIUM = process.env.REVIEWLENS_CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH;

describe('API docs: Swagger UI at /api/docs, the OpenAPI document at /api/openapi.json', () => {
  let srv: RunningServer;
  let browser: Browser | undefined;
  beforeAll(async () => {
    // Keys on: the docs stay public.
    srv = await startServer({ REVIEWLENS_AUTH: 'true' });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('serves the document at a stable path, and at /api/docs to clients that do not ask for HTML', async () => {
    const doc = (await (await fetch(`${srv.url}/api/openapi.json`)).json()) as { openapi: string; paths: object };
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/analyze', '/api/drift', '/api/ready']));
    const plain = await fetch(`${srv.url}/api/docs`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toMatch(/application\/json/);
    expect(((await plain.json()) as { paths: object }).paths).toEqual(doc.paths);
    expect(((await (await fetch(`${srv.url}/api/docs/json`)).json()) as { paths: object }).paths).toEqual(doc.paths);
  });

  it('serves Swagger UI to a browser, without a key, and the page lists the routes', async () => {
    const page = await fetch(`${srv.url}/api/docs`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/swagger-ui/);
    const bundle = await fetch(`${srv.url}/api/docs/static/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    if (!existsSync(CHROMIUM)) return; // the UI end-to-end tests need Debian's chromium; the HTTP checks above stand
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS] });
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(`${srv.url}/api/docs`);
    await tab.waitForSelector('.opblock-summary-path', { timeout: 30_000 });
    const paths = await tab.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent?.trim() ?? ''));
    expect(paths).toEqual(expect.arrayContaining(['/api/analyze', '/api/drift', '/api/health']));
    expect(errors).toEqual([]);
  }, 90_000);
});

describe('logs: human-readable on a terminal, JSON otherwise', () => {
  it('chooses the format from the terminal under auto, and keeps redacting secrets in both', async () => {
    expect(logFormat('auto', true)).toBe('pretty');
    expect(logFormat('auto', false)).toBe('json');
    expect(logFormat('json', true)).toBe('json');
    expect(logFormat('pretty', false)).toBe('pretty');
    const read = async (format: 'json' | 'pretty') => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (d) => {
        text += d;
      });
      const log = createLogger({ level: 'info', format, destination: out });
      log.info({ req: { headers: { authorization: 'Bearer rl_abcdefgh_0123456789abcdef' } } }, 'hello operator');
      await new Promise((r) => setTimeout(r, 100));
      return text;
    };
    const json = await read('json');
    expect(JSON.parse(json)).toMatchObject({ level: 30, msg: 'hello operator' });
    const pretty = await read('pretty');
    expect(pretty).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hello operator/);
    expect(() => JSON.parse(pretty)).toThrow();
    for (const t of [json, pretty]) {
      expect(t).toContain('[Redacted]');
      expect(t).not.toContain('0123456789abcdef');
    }
  });

  /** `reviewlens start`'s first lines, with stdout a pipe or (through util-linux `script`) a terminal. */
  async function startLines(tty: boolean): Promise<string> {
    const dataDir = tempDir();
    const env = {
      ...process.env,
      REVIEWLENS_MODELS_DIR: MODELS_DIR,
      REVIEWLENS_DATA_DIR: dataDir,
      REVIEWLENS_AUTH: 'false',
      REVIEWLENS_DEMO_POOL: 'off',
      REVIEWLENS_CONFIG: '',
      DATABASE_URL: '',
      NO_COLOR: '1',
    };
    const cmd = `${process.execPath} ${join(ROOT, 'bin', 'reviewlens.js')} start --port 0`;
    const child: ChildProcess = tty
      ? spawn('script', ['-qfec', cmd, '/dev/null'], { env, cwd: dataDir })
      : spawn(process.execPath, [join(ROOT, 'bin', 'reviewlens.js'), 'start', '--port', '0'], { env, cwd: dataDir });
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "listening" line in 120 s:\n${out}`)), 120_000);
        child.stdout?.on('data', () => {
          if (/listening on/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)));
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    }
    return out;
  }

  it('`reviewlens start` writes JSON lines into a pipe and readable lines on a terminal', async () => {
    const piped = await startLines(false);
    const first = piped.split('\n').find((l) => l.includes('listening on'))!;
    expect(JSON.parse(first)).toMatchObject({ level: 30, msg: expect.stringMatching(/reviewlens listening on http/) });
    const onTty = await startLines(true);
    expect(onTty).toMatch(/\[\d\d:\d\d:\d\d\.\d{3}\] INFO: reviewlens listening on http/);
    expect(onTty).not.toMatch(/"level":30/);
  }, 300_000);
});

describe('model files live outside the data directory', () => {
  it('a new data directory resolves the models fetched at install time', () => {
    const cfg = loadConfig({ env: { REVIEWLENS_DATA_DIR: tempDir() }, cwd: tempDir() });
    expect(cfg.models.dir).toBe(INSTALL_MODELS_DIR);
    expect(INSTALL_MODELS_DIR).toBe(join(ROOT, '.reviewlens', 'models'));
    // A data directory that still holds models (fetched into it before they moved out) keeps using them.
    const old = tempDir();
    const withModels = loadConfig({ env: { REVIEWLENS_DATA_DIR: old }, cwd: tempDir() });
    expect(withModels.models.dir).toBe(INSTALL_MODELS_DIR);
    mkdirSync(join(old, 'models'));
    expect(loadConfig({ env: { REVIEWLENS_DATA_DIR: old }, cwd: tempDir() }).models.dir).toBe(join(old, 'models'));
  });

  it('`reviewlens analyze` works on a brand-new data directory without a second `models fetch`', async () => {
    // REVIEWLENS_MODELS_DIR unset (empty): the default applies, as for an operator.
    const r = await cli(tempDir(), ['analyze', '--text', 'Arrived early, works great', '--json'], {
      REVIEWLENS_MODELS_DIR: '',
    });
    expect(r.stderr).not.toMatch(/models fetch/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ sentiment: 'positive' });
  }, 120_000);
});
