import { Readable } from 'node:stream';
import type {
  BaseHttpClient,
  HttpRequest,
  HttpResponse,
  RedirectHandler,
  ResponseTypes,
  StreamingHttpResponse,
} from 'crawlee';
import { RobotsTxtFile } from 'crawlee';
import type { Request as BrowserRequest, Page } from 'playwright-core';
import { RefusedAddressError, TimeoutError } from '../core/errors.js';
import type { SafeFetcher, SafeFetchOptions, SafeResponse } from '../net/index.js';

/**
 * The crawlers' network, through the SSRF-safe fetcher (src/net): the plain HTTP crawler gets a Crawlee
 * HTTP client that fetches with it, robots.txt is fetched with it, and in the browser every request the
 * page makes is fulfilled from it (`page.route`), WebSockets are closed unopened and service workers
 * blocked, so Chromium itself never connects anywhere.
 */

type Headers = Record<string, string | string[] | undefined>;

function timeoutOf(request: HttpRequest<keyof ResponseTypes>): number | undefined {
  const t = request.timeout as { request?: number } | undefined;
  return typeof t?.request === 'number' ? t.request : undefined;
}

function bodyOf(request: HttpRequest<keyof ResponseTypes>): Buffer | string | undefined {
  const b = request.body;
  if (b === undefined || typeof b === 'string' || Buffer.isBuffer(b)) return b;
  throw new TypeError('the safe HTTP client sends string or Buffer bodies only');
}

/** Crawlee's redirect hook (it sets cookies on the next request) over the fetcher's. */
function redirectHook(handler: RedirectHandler | undefined): SafeFetchOptions['onRedirect'] {
  if (!handler) return undefined;
  return (hop, next, headers) => {
    const updated = { url: next as URL | string, headers: { ...headers } as Headers };
    handler(
      { url: hop.url, statusCode: hop.status, headers: hop.headers, redirectUrls: [], trailers: {}, complete: true },
      updated,
    );
    for (const k of Object.keys(headers)) delete headers[k];
    for (const [k, v] of Object.entries(updated.headers)) headers[k.toLowerCase()] = v;
  };
}

function responseData(res: SafeResponse) {
  return {
    url: res.url,
    redirectUrls: res.redirects.map((u) => new URL(u)),
    ip: res.address,
    statusCode: res.status,
    statusMessage: res.statusText,
    headers: res.headers,
    trailers: {},
    complete: true,
  };
}

/**
 * A Crawlee HTTP client (the `httpClient` option of CheerioCrawler) that fetches through the SSRF-safe
 * fetcher instead of got-scraping: the same checks, redirects and caps for every page. Bodies are read
 * whole (capped) and handed over as a stream.
 */
export class SafeHttpClient implements BaseHttpClient {
  constructor(private readonly fetcher: SafeFetcher) {}

  private fetch(request: HttpRequest<keyof ResponseTypes>, onRedirect?: RedirectHandler): Promise<SafeResponse> {
    return this.fetcher.fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: bodyOf(request),
      timeoutMs: timeoutOf(request),
      signal: request.signal,
      ...(request.maxRedirects !== undefined ? { maxRedirects: request.maxRedirects } : {}),
      onRedirect: redirectHook(onRedirect),
    });
  }

  async sendRequest<T extends keyof ResponseTypes = 'text'>(request: HttpRequest<T>): Promise<HttpResponse<T>> {
    const res = await this.fetch(request);
    const type = request.responseType ?? 'text';
    const text = () => res.body.toString((request.encoding as BufferEncoding | undefined) ?? 'utf8');
    const body = type === 'buffer' ? res.body : type === 'json' ? JSON.parse(text()) : text();
    return { ...responseData(res), request, body } as HttpResponse<T>;
  }

  async stream(request: HttpRequest, onRedirect?: RedirectHandler): Promise<StreamingHttpResponse> {
    const res = await this.fetch(request, onRedirect);
    const total = res.body.byteLength;
    const done = { percent: 1, transferred: total, total };
    return {
      ...responseData(res),
      request,
      stream: Readable.from([res.body]),
      downloadProgress: done,
      uploadProgress: { percent: 1, transferred: 0, total: 0 },
    };
  }
}

/**
 * robots.txt through the fetcher, once per origin (what Crawlee's `getRobotsTxtFileForUrl` does with
 * got-scraping). A robots.txt that cannot be had (refused, 4xx/5xx, network error) allows everything, as
 * in Crawlee; a refused host is then refused again, with its message, when its page is fetched.
 */
export function robotsLoader(
  fetcher: SafeFetcher,
  opts: { userAgent: string; timeoutMs: number },
): (url: string) => Promise<RobotsTxtFile | undefined> {
  const cache = new Map<string, Promise<RobotsTxtFile | undefined>>();
  const load = async (origin: string): Promise<RobotsTxtFile | undefined> => {
    const url = new URL('/robots.txt', origin).href;
    try {
      const res = await fetcher.fetch(url, {
        headers: { 'user-agent': opts.userAgent, accept: 'text/plain,*/*;q=0.5' },
        timeoutMs: opts.timeoutMs,
        maxBytes: 512 * 1024,
      });
      return res.ok ? RobotsTxtFile.from(url, res.body.toString('utf8')) : undefined;
    } catch {
      return undefined;
    }
  };
  return (url) => {
    const origin = new URL(url).origin;
    let p = cache.get(origin);
    if (!p) {
      p = load(origin);
      cache.set(origin, p);
    }
    return p;
  };
}

export interface BrowserRouteOptions {
  /** Resource types aborted without a fetch (images, media, fonts: not needed to read reviews). */
  skip: ReadonlySet<string>;
  timeoutMs: number;
  /** Called when a main-frame navigation was refused or failed: its URL (as requested) and the error. */
  onNavigationError?: ((url: string, error: Error) => void) | undefined;
  /** Called when a main-frame navigation was redirected: the URL requested and the final one. */
  onNavigationRedirect?: ((url: string, finalUrl: string) => void) | undefined;
}

/** `<base href>` for a document served under its pre-redirect URL, so its relative links resolve as served. */
function withBase(html: Buffer, href: string): Buffer {
  const text = html.toString('utf8');
  if (/<base\s[^>]*href/i.test(text)) return html;
  const tag = `<base href="${href.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">`;
  const head = /<head(\s[^>]*)?>/i.exec(text);
  const at = head ? head.index + head[0].length : 0;
  return Buffer.from(text.slice(0, at) + tag + text.slice(at), 'utf8');
}

function isNavigation(req: BrowserRequest, page: Page): boolean {
  return req.isNavigationRequest() && req.frame() === page.mainFrame();
}

/**
 * Routes all of a page's traffic through the fetcher: every http(s) request is fetched by it (checked,
 * redirects followed and re-checked in Node; Chromium would follow a fulfilled redirect itself, unrouted)
 * and fulfilled with its answer; a refused or failed one is aborted. Other schemes are aborted, WebSockets
 * closed without connecting. Call before the page navigates.
 */
export async function routeThroughFetcher(page: Page, fetcher: SafeFetcher, opts: BrowserRouteOptions): Promise<void> {
  await page.route('**/*', async (route) => {
    const req = route.request();
    if (opts.skip.has(req.resourceType()) || !/^https?:/i.test(req.url())) {
      await route.abort().catch(() => {});
      return;
    }
    const nav = isNavigation(req, page);
    let res: SafeResponse;
    try {
      res = await fetcher.fetch(req.url(), {
        method: req.method(),
        headers: await req.allHeaders(),
        body: req.postDataBuffer() ?? undefined,
        timeoutMs: opts.timeoutMs,
      });
    } catch (e) {
      if (nav) opts.onNavigationError?.(req.url(), e as Error);
      const reason =
        e instanceof RefusedAddressError ? 'blockedbyclient' : e instanceof TimeoutError ? 'timedout' : 'failed';
      await route.abort(reason).catch(() => {});
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(k === 'set-cookie' ? '\n' : ', ') : String(v);
    }
    let body = res.body;
    if (nav && res.redirects.length) {
      opts.onNavigationRedirect?.(req.url(), res.url);
      if (/html/i.test(headers['content-type'] ?? '')) body = withBase(body, res.url);
    }
    await route.fulfill({ status: res.status, headers, body }).catch(() => {});
  });
  await page.routeWebSocket(/.*/, (ws) => ws.close());
}
