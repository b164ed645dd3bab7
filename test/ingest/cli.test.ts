import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli as runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { deadUrl } from '../helpers/replay-server.js';
import { type Site, startSite } from './site-server.js';

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site.close();
});

/**
 * `reviewlens ARGS` on `dataDir`, with no per-domain delay (one local server stands in for every shop) and
 * 127.0.0.1 on the SSRF guard's allow list (the server listens there).
 */
const cli = (args: string[], dataDir: string) =>
  runCli(dataDir, args, { REVIEWLENS_INGEST_DOMAIN_DELAY_MS: '0', REVIEWLENS_INGEST_ALLOW_HOSTS: '127.0.0.1' });

describe('reviewlens ingest', () => {
  it('crawls, prints progress and a summary, skips what it has on a second run, and lists its sources', async () => {
    const dataDir = tempDir();
    const urls = [`${site.url}/shared/amazon.html`, `${site.url}/fixtures/stars-markup.html`];
    const first = await cli(['ingest', ...urls, '--crawler', 'static', '--no-photos', '--json'], dataDir);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).reviews).toEqual({ found: 11, new: 11, duplicate: 0 });
    expect(first.stderr).toMatch(/amazon\.html \[static\]: 8 reviews \(8 new\) by repeated-structure/);

    const second = await cli(['ingest', ...urls, '--crawler', 'static', '--no-photos'], dataDir);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/2 pages \(0 in the browser\), 11 reviews: 0 new, 11 already stored/);

    const sources = await cli(['ingest', 'sources'], dataDir);
    expect(sources.code, sources.stderr).toBe(0);
    expect(sources.stdout).toContain(`${site.url}/shared/amazon.html\n  crawls 2, pages 2, new reviews/page 4.00`);
  });

  it('refuses bad input with a clear message and exits 1 when no page could be fetched', async () => {
    const dataDir = tempDir();
    const bad = await cli(['ingest', 'ftp://example.com/x'], dataDir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('reviewlens: not an http(s) URL: ftp://example.com/x\n');
    expect(existsSync(join(dataDir, 'db'))).toBe(false); // refused before any store was opened
    const pages = await cli(['ingest', `${site.url}/x`, '--max-pages', '0'], dataDir);
    expect(pages.code).toBe(1);
    expect(pages.stderr).toMatch(/--max-pages must be a whole number of at least 1/);
    const dead = await cli(['ingest', `${await deadUrl()}/p`, '--crawler', 'static'], dataDir);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toMatch(/no page could be fetched/);
    expect(dead.stdout).toMatch(/0 pages .* 1 errors/);
    expect(dead.stdout).toMatch(/error http:.*: connect ECONNREFUSED/);
  });
});
