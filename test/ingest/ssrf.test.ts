import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_FLAGS, DEFAULT_CHROMIUM_PATH } from '../../src/core/index.js';
import { downloadPhoto } from '../../src/ingest/index.js';
import { routeThroughFetcher } from '../../src/ingest/safe-http.js';
import { type Resolver, SafeFetcher } from '../../src/net/index.js';
import { LocalBlobStore } from '../../src/storage/index.js';
import { readImageSource } from '../../src/training/image-source.js';
import { cli } from '../helpers/cli.js';
import { SHARED, tempDir } from '../helpers/paths.js';
import { openStores } from './helpers.js';

/**
 * Every place ingestion and training fetch a URL goes through the SSRF guard: the static and the browser
 * crawler (pages, redirects, and everything a page loads in the browser), photos in pages, image URLs in
 * training files, and the CLI. A "shop" is served on 127.0.0.1 under the name shop.test (a DNS stub; the
 * name is on the allow list); a "target" server on 127.0.0.1 stands for the internal service the pages
 * point at (by address, or by the name internal.test, neither allowed) and counts its connections.
 */

const PHOTO = readFileSync(join(SHARED, 'mvsa-single', 'images', '1.jpg'));

interface Counted {
  port: number;
  connections(): number;
  hits: string[];
  close(): Promise<void>;
}

/** What a test server answers for a path. */
interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

async function serve(handler: (path: string) => Answer): Promise<Counted> {
  const hits: string[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const r = handler(req.url ?? '/');
    res.writeHead(r.status ?? 200, r.headers ?? { 'content-type': 'text/html; charset=utf-8' }).end(r.body ?? '');
  });
  server.on('connection', () => n++);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    connections: () => n,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

let target: Counted;
let shop: Counted;
const dns: Resolver = async (host) => {
  if (host === 'shop.test' || host === 'internal.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};
const shopFetcher = () => new SafeFetcher({ allow: ['shop.test'], resolve: dns });

/** A product page with two reviews (JSON-LD) whose photos, and whose page furniture, point at the target. */
function productPage(t: number): string {
  const review = (body: string, image: string) => ({
    '@type': 'Review',
    reviewBody: body,
    author: { '@type': 'Person', name: 'A. Customer' },
    reviewRating: { '@type': 'Rating', ratingValue: 4 },
    image,
  });
  const ld = {
    '@context': 'https://schema.org',
    '@type': 'Product',
    name: 'Trail Tent',
    review: [
      review('The tent kept us dry through two nights of steady rain.', `http://127.0.0.1:${t}/photo.jpg`),
      review('Poles feel flimsy but it packs down small enough for a bike.', `http://internal.test:${t}/photo.jpg`),
    ],
  };
  return `<!doctype html><html><head><title>Trail Tent</title>
<link rel="stylesheet" href="http://127.0.0.1:${t}/style.css">
<link rel="preconnect" href="http://127.0.0.1:${t}">
<script type="application/ld+json">${JSON.stringify(ld)}</script></head>
<body><h1>Trail Tent</h1><p>Reviews below.</p>
<iframe src="http://internal.test:${t}/frame"></iframe>
<img src="http://127.0.0.1:${t}/img.jpg">
<script>
  fetch('http://internal.test:${t}/api').catch(() => {});
  fetch('http://127.0.0.1:${t}/api2').catch(() => {});
  try { new WebSocket('ws://127.0.0.1:${t}/ws'); } catch {}
  navigator.sendBeacon('http://127.0.0.1:${t}/beacon', 'x');
</script></body></html>`;
}

beforeAll(async () => {
  target = await serve((path) =>
    path.endsWith('.jpg') ? { headers: { 'content-type': 'image/jpeg' }, body: PHOTO } : { body: 'internal' },
  );
  shop = await serve((path): Answer => {
    if (path === '/robots.txt') return { status: 404, body: '' };
    if (path === '/page' || path === '/moved') return { body: productPage(target.port) };
    if (path === '/redirect-in') return { status: 302, headers: { location: '/moved' } };
    if (path === '/redirect-out')
      return { status: 302, headers: { location: `http://internal.test:${target.port}/page` } };
    if (path === '/photo.jpg') return { headers: { 'content-type': 'image/jpeg' }, body: PHOTO };
    return { status: 404, body: 'not found' };
  });
});
afterAll(async () => {
  await Promise.all([target.close(), shop.close()]);
});

describe('the crawlers fetch through the SSRF guard', () => {
  it('static: refused start pages and redirects are errors naming the rule, tried once, with no connection made', async () => {
    const s = await openStores({ 'ingest.crawler': 'static', 'ingest.allowHosts': [], 'ingest.photos': true });
    const before = target.connections();
    const sum = await s.ingest(
      {
        urls: [
          `http://shop.test:${shop.port}/page`,
          `http://shop.test:${shop.port}/redirect-out`,
          `http://127.0.0.1:${target.port}/page`,
          `http://internal.test:${target.port}/page`,
          `http://169.254.169.254/latest/meta-data/`,
        ],
      },
      { fetcher: shopFetcher() },
    );
    expect(sum.pages).toBe(1);
    expect(sum.reviews.found).toBe(2);
    const errors = Object.fromEntries(sum.errors.map((e) => [e.url.replace(/:\d+\//, ':PORT/'), e.message]));
    expect(errors).toEqual({
      'http://shop.test:PORT/redirect-out': expect.stringMatching(
        /^refused: internal\.test resolves to 127\.0\.0\.1, a loopback address .*; allow it with REVIEWLENS_INGEST_ALLOW_HOSTS/,
      ),
      'http://127.0.0.1:PORT/page': expect.stringMatching(/^refused: 127\.0\.0\.1 is a loopback address/),
      'http://internal.test:PORT/page': expect.stringMatching(/^refused: internal\.test resolves to 127\.0\.0\.1/),
      'http://169.254.169.254/latest/meta-data/': expect.stringMatching(
        /^refused: 169\.254\.169\.254 is a cloud metadata address/,
      ),
      // The page's photos point at the target, by address and by name: refused, the reviews kept without them.
      'http://127.0.0.1:PORT/photo.jpg': expect.stringMatching(
        /^photo .*: refused: 127\.0\.0\.1 is a loopback address/,
      ),
      'http://internal.test:PORT/photo.jpg': expect.stringMatching(/refused: internal\.test resolves to 127\.0\.0\.1/),
    });
    expect(sum.photos).toEqual({ downloaded: 0, failed: 2 });
    expect(target.connections() - before).toBe(0);
  });

  it('static: the default config (no allow list) refuses the local test site itself', async () => {
    const s = await openStores({ 'ingest.crawler': 'static', 'ingest.allowHosts': [] });
    const before = shop.connections();
    const sum = await s.ingest({ urls: [`http://127.0.0.1:${shop.port}/page`] });
    expect(sum.pages).toBe(0);
    expect(sum.errors).toEqual([
      {
        url: `http://127.0.0.1:${shop.port}/page`,
        message: expect.stringMatching(/^refused: 127\.0\.0\.1 is a loopback/),
      },
    ]);
    expect(shop.connections() - before).toBe(0); // not even robots.txt
  });

  it('browser: everything the page loads goes through the guard; Chromium itself connects nowhere', async () => {
    const s = await openStores({ 'ingest.crawler': 'browser', 'ingest.allowHosts': [] });
    const before = target.connections();
    const sum = await s.ingest(
      {
        urls: [
          `http://shop.test:${shop.port}/page`,
          `http://shop.test:${shop.port}/redirect-in`,
          `http://shop.test:${shop.port}/redirect-out`,
          `http://internal.test:${target.port}/page`,
        ],
      },
      { fetcher: shopFetcher() },
    );
    // Both shop pages rendered and read; the redirected one is reported under its final URL.
    expect(sum.browserPages).toBe(2);
    expect(sum.perPage.map((p) => p.url.replace(/:\d+\//, ':PORT/')).sort()).toEqual([
      'http://shop.test:PORT/moved',
      'http://shop.test:PORT/page',
    ]);
    expect(sum.reviews.found).toBe(4);
    const errors = Object.fromEntries(sum.errors.map((e) => [e.url.replace(/:\d+\//, ':PORT/'), e.message]));
    expect(errors).toEqual({
      'http://shop.test:PORT/redirect-out': expect.stringMatching(/^refused: internal\.test resolves to 127\.0\.0\.1/),
      'http://internal.test:PORT/page': expect.stringMatching(/^refused: internal\.test resolves to 127\.0\.0\.1/),
    });
    // The stylesheet, iframe, fetch()es, WebSocket, beacon and preconnect to the target: none reached it.
    expect(target.connections() - before).toBe(0);
  }, 120_000);
});

describe('the browser routing on its own', () => {
  it('without the resolver backstop, the page still loads only through the fetcher and the target gets no connection', async () => {
    // Plain Chromium: no --host-resolver-rules, so a request the routing let through would connect (Chromium's
    // private-network checks open a connection before refusing); this checks the routing layer by itself.
    const browser = await chromium.launch({ executablePath: DEFAULT_CHROMIUM_PATH, args: [...CHROMIUM_FLAGS] });
    const fetcher = shopFetcher();
    const before = target.connections();
    try {
      const page = await (await browser.newContext({ serviceWorkers: 'block' })).newPage();
      const navErrors: string[] = [];
      const redirects: string[] = [];
      await routeThroughFetcher(page, fetcher, {
        skip: new Set(),
        timeoutMs: 5000,
        onNavigationError: (_u, e) => navErrors.push(e.message),
        onNavigationRedirect: (_u, final) => redirects.push(final),
      });
      await page.goto(`http://shop.test:${shop.port}/redirect-in`);
      await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => {});
      expect(await page.title()).toBe('Trail Tent');
      // Served under the URL asked for, with a <base> of the final one so relative links resolve as served.
      expect(await page.evaluate(() => document.baseURI)).toBe(`http://shop.test:${shop.port}/moved`);
      expect(redirects).toEqual([`http://shop.test:${shop.port}/moved`]);
      await expect(page.goto(`http://shop.test:${shop.port}/redirect-out`)).rejects.toThrow(/ERR_BLOCKED_BY_CLIENT/);
      expect(navErrors).toEqual([expect.stringMatching(/^refused: internal\.test resolves to 127\.0\.0\.1/)]);
      await page.waitForTimeout(300);
      expect(target.connections() - before).toBe(0);
    } finally {
      await browser.close();
      fetcher.close();
    }
  }, 60_000);
});

describe('photos and training images fetch through the SSRF guard', () => {
  const limits = { maxBytes: 10 * 1024 * 1024, timeoutMs: 5000, userAgent: 'test' };

  it('a photo URL on a refused address is refused without a connection; allowed, it is stored', async () => {
    const blobs = new LocalBlobStore(tempDir());
    const before = target.connections();
    await expect(downloadPhoto(`http://127.0.0.1:${target.port}/photo.jpg`, blobs, limits)).rejects.toMatchObject({
      code: 'address_refused',
      rule: 'loopback',
    });
    expect(target.connections() - before).toBe(0);
    const fetcher = new SafeFetcher({ allow: ['127.0.0.1'] });
    expect(await downloadPhoto(`http://127.0.0.1:${target.port}/photo.jpg`, blobs, { ...limits, fetcher })).toMatch(
      /^[0-9a-f]{64}$/,
    );
    fetcher.close();
  });

  it('an image URL in a training or index file is refused by default, and read when allowed', async () => {
    const before = target.connections();
    await expect(readImageSource(`http://127.0.0.1:${target.port}/photo.jpg`)).rejects.toMatchObject({
      code: 'address_refused',
      message: expect.stringMatching(/^refused: 127\.0\.0\.1 is a loopback address/),
    });
    await expect(readImageSource('http://[fd00:ec2::254]/latest/meta-data/')).rejects.toMatchObject({
      rule: 'metadata',
    });
    expect(target.connections() - before).toBe(0);
    const fetcher = new SafeFetcher({ allow: ['127.0.0.0/8'] });
    expect((await readImageSource(`http://127.0.0.1:${target.port}/photo.jpg`, { fetcher })).equals(PHOTO)).toBe(true);
    fetcher.close();
  });
});

describe('reviewlens ingest and the allow list', () => {
  it('without REVIEWLENS_INGEST_ALLOW_HOSTS a local URL is refused with the rule named; with it, fetched', async () => {
    const dataDir = tempDir();
    const url = `http://127.0.0.1:${shop.port}/page`;
    const before = shop.connections();
    const refused = await cli(dataDir, ['ingest', url, '--crawler', 'static', '--no-photos'], {
      REVIEWLENS_INGEST_ALLOW_HOSTS: '',
      REVIEWLENS_INGEST_DOMAIN_DELAY_MS: '0',
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no page could be fetched/);
    expect(refused.stdout).toContain(
      `error ${url}: refused: 127.0.0.1 is a loopback address (127.0.0.0/8, ::1); allow it with REVIEWLENS_INGEST_ALLOW_HOSTS`,
    );
    expect(shop.connections() - before).toBe(0);

    const allowed = await cli(dataDir, ['ingest', url, '--crawler', 'static', '--no-photos'], {
      REVIEWLENS_INGEST_ALLOW_HOSTS: '127.0.0.1',
      REVIEWLENS_INGEST_DOMAIN_DELAY_MS: '0',
    });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(/1 pages \(0 in the browser\), 2 reviews: 2 new/);
  });

  it('a malformed allow list entry stops the command with the entry named', async () => {
    const r = await cli(tempDir(), ['ingest', 'http://shop.example/'], {
      REVIEWLENS_INGEST_ALLOW_HOSTS: '10.0.0.0/99',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /ingest\.allowHosts\.0: each entry must be a host name, \*\.domain, an IP address or a CIDR .*\(from environment variable REVIEWLENS_INGEST_ALLOW_HOSTS\)/,
    );
  });
});
