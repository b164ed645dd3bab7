import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ROOT, SHARED } from '../helpers/paths.js';

/**
 * A real HTTP server on 127.0.0.1 serving the shops' saved pages (`/shared/<name>.html` from
 * ../shared/data/product-pages), this folder's fixture pages (`/fixtures/<file>`), the JSON endpoint the
 * JavaScript fixture loads its reviews from, review photos, a robots.txt that disallows `/private/`, a
 * page that never answers (`/slow.html`), fixture pages answered after 300 ms (`/delayed/<file>`) and one that fails twice before answering (`/fixtures/flaky.html`).
 */

export const PRODUCT_PAGES = join(SHARED, 'product-pages');
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'ingest');
const PHOTO = join(SHARED, 'mvsa-single', 'images', '1.jpg');
const PER_PAGE = 4;

export interface Site {
  url: string;
  /** Requests per path (query string included). */
  hits: Map<string, number>;
  /** Most `/delayed/` requests that were being answered at the same time. */
  maxInFlight(): number;
  /** TCP connections accepted so far (the SSRF tests check that a refused fetch made none). */
  connections(): number;
  close(): Promise<void>;
}

export async function startSite(): Promise<Site> {
  const hits = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const data = JSON.parse(readFileSync(join(FIXTURES, 'js-reviews.data.json'), 'utf8')) as unknown[];
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const key = u.pathname + u.search;
    hits.set(key, (hits.get(key) ?? 0) + 1);
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const file = (path: string, type = 'text/html; charset=utf-8') => {
      try {
        send(200, type, readFileSync(path));
      } catch {
        send(404, 'text/plain', 'not found');
      }
    };
    const p = u.pathname;
    if (p === '/robots.txt') return send(200, 'text/plain', 'User-agent: *\nDisallow: /private/\n');
    if (p === '/slow.html') return; // never answers
    if (p.startsWith('/delayed/')) {
      // A fixture page answered after 300 ms, counting how many such answers overlap.
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        file(join(FIXTURES, p.slice('/delayed/'.length).replace(/[/\\]/g, '')));
      }, 300);
      return;
    }
    if (p === '/fixtures/flaky.html' && (hits.get(key) ?? 0) <= 2) return send(503, 'text/plain', 'try again');
    if (p === '/fixtures/flaky.html') return file(join(FIXTURES, 'static-paged-1.html'));
    if (p.startsWith('/shared/')) return file(join(PRODUCT_PAGES, p.slice('/shared/'.length).replace(/[/\\]/g, '')));
    if (p.startsWith('/fixtures/')) return file(join(FIXTURES, p.slice('/fixtures/'.length).replace(/[/\\]/g, '')));
    if (p === '/private/secret.html') return file(join(FIXTURES, 'stars-markup.html'));
    if (p === '/api/fixture-reviews') {
      const page = Math.max(1, Number(u.searchParams.get('page') ?? 1));
      const pages = Math.ceil(data.length / PER_PAGE);
      const reviews = data.slice((page - 1) * PER_PAGE, page * PER_PAGE);
      return send(200, 'application/json', JSON.stringify({ page, pages, reviews }));
    }
    if (p === '/photos/tent.jpg') return file(PHOTO, 'image/jpeg');
    if (p === '/photos/not-an-image.jpg') return send(200, 'image/jpeg', 'this is text, not a JPEG');
    send(404, 'text/plain', 'not found');
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    maxInFlight: () => maxInFlight,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
