import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { PayloadTooLargeError, TimeoutError, UnavailableError } from '../core/errors.js';
import { AddressGuard, type GuardOptions } from './guard.js';

/**
 * HTTP(S) GETs (and other methods) of URLs the system was given, through the SSRF guard: every hop's
 * host is checked (IP literals and metadata names before connecting, names at connect time by the
 * guard's `lookup`, and the connected socket's address once more), redirects are followed by hand so
 * each target is checked again (at most `maxRedirects`), the body is capped at `maxBytes` after
 * decompression (a gzip bomb stops at the cap) and the whole exchange at `timeoutMs`.
 * Built on node:http/https so the guard's `lookup` reaches the socket (Node 20's global fetch takes no
 * lookup, and undici's Agent that would is a version apart from the one inside Node).
 */

export interface SafeFetcherOptions extends GuardOptions {
  /** Largest body in bytes, after decompression (default 20 MiB). */
  maxBytes?: number | undefined;
  /** Time for the whole exchange, redirects and body included (default 30 s). */
  timeoutMs?: number | undefined;
  /** Redirects followed (default 10). */
  maxRedirects?: number | undefined;
  /** Sent when the request names no user-agent. */
  userAgent?: string | undefined;
}

/** What a redirect looked like, for a caller that keeps cookies across hops. */
export interface RedirectHop {
  url: string;
  status: number;
  headers: IncomingHttpHeaders;
}

export interface SafeFetchOptions {
  method?: string | undefined;
  headers?: Record<string, string | string[] | undefined> | undefined;
  body?: Buffer | string | undefined;
  maxBytes?: number | undefined;
  timeoutMs?: number | undefined;
  maxRedirects?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Called before following a redirect; may change the headers of the next request (cookies). */
  onRedirect?:
    | ((hop: RedirectHop, next: URL, headers: Record<string, string | string[] | undefined>) => void)
    | undefined;
}

export interface SafeResponse {
  /** The final URL (after redirects). */
  url: string;
  status: number;
  statusText: string;
  ok: boolean;
  /** Response headers; `content-encoding` and `content-length` removed when the body was decompressed. */
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The URLs redirected to, in order. */
  redirects: string[];
  /** The IP address the final response came from. */
  address: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers the fetcher sets itself (or that make no sense to forward from a browser's request). */
const DROPPED = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-connection',
  'accept-encoding',
]);
const CROSS_ORIGIN_DROPPED = ['authorization', 'cookie'];
const DECODERS: Record<string, () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

export class SafeFetcher {
  readonly guard: AddressGuard;
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly maxRedirects: number;
  private readonly userAgent: string | undefined;
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };

  constructor(opts: SafeFetcherOptions = {}) {
    this.guard = new AddressGuard(opts);
    this.maxBytes = opts.maxBytes ?? 20 * 1024 * 1024;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxRedirects = opts.maxRedirects ?? 10;
    this.userAgent = opts.userAgent;
  }

  /** Pre-flight: resolves the URL's host now and throws RefusedAddressError when it is refused. */
  preflight(url: string | URL): Promise<void> {
    return this.guard.preflight(url);
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }

  /**
   * Fetches `url`, following redirects. Resolves with any HTTP status (check `ok`); rejects with
   * RefusedAddressError (a refused host or address, on any hop), TimeoutError (`timeoutMs` passed),
   * PayloadTooLargeError (body over `maxBytes`), UnavailableError (too many redirects, a redirect to a
   * non-http(s) URL, a cancelled request) or the network error itself (ECONNREFUSED, ENOTFOUND...).
   */
  async fetch(url: string | URL, opts: SafeFetchOptions = {}): Promise<SafeResponse> {
    const maxBytes = opts.maxBytes ?? this.maxBytes;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const maxRedirects = opts.maxRedirects ?? this.maxRedirects;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const start = new URL(url);
    let current = start;
    let method = (opts.method ?? 'GET').toUpperCase();
    let body = opts.body;
    const headers: Record<string, string | string[] | undefined> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      if (v !== undefined && !DROPPED.has(k.toLowerCase())) headers[k.toLowerCase()] = v;
    }
    if (!headers['user-agent'] && this.userAgent) headers['user-agent'] = this.userAgent;
    headers['accept-encoding'] = 'gzip, deflate, br';
    const redirects: string[] = [];
    const fail = (e: unknown): never => {
      if (timeout.aborted) throw new TimeoutError(`${start.href}: no answer in ${timeoutMs} ms (the time limit)`);
      if (opts.signal?.aborted) throw new UnavailableError(`${start.href}: cancelled`, e);
      throw e;
    };
    try {
      for (;;) {
        if (current.protocol !== 'http:' && current.protocol !== 'https:') {
          throw new UnavailableError(`${start.href}: redirected to a ${current.protocol} URL, which is not fetched`);
        }
        const { res, address } = await this.request(current, method, headers, body, signal);
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (REDIRECTS.has(status) && location) {
          res.resume();
          if (redirects.length >= maxRedirects) {
            throw new UnavailableError(`${start.href}: more than ${maxRedirects} redirects`);
          }
          const next = new URL(location, current);
          if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
            if (method !== 'HEAD') method = 'GET';
            body = undefined;
            delete headers['content-type'];
          }
          if (next.origin !== current.origin) for (const h of CROSS_ORIGIN_DROPPED) delete headers[h];
          opts.onRedirect?.({ url: current.href, status, headers: res.headers }, next, headers);
          redirects.push(next.href);
          current = next;
          continue;
        }
        const { bytes, decoded } = await this.readBody(res, method, maxBytes, current.href);
        const outHeaders = { ...res.headers };
        if (decoded) {
          delete outHeaders['content-encoding'];
          delete outHeaders['content-length'];
        }
        return {
          url: current.href,
          status,
          statusText: res.statusMessage ?? '',
          ok: status >= 200 && status < 300,
          headers: outHeaders,
          body: bytes,
          redirects,
          address,
        };
      }
    } catch (e) {
      return fail(e);
    }
  }

  /** One hop: checks the host, connects through the guard's lookup, re-checks the socket's address. */
  private request(
    url: URL,
    method: string,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer | string | undefined,
    signal: AbortSignal,
  ): Promise<{ res: IncomingMessage; address: string }> {
    this.guard.checkHost(url.hostname);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        url,
        {
          method,
          headers: headers as http.OutgoingHttpHeaders,
          agent: this.agents[url.protocol as 'http:' | 'https:'],
          lookup: this.guard.lookup as never,
          signal,
        },
        (res) => resolve({ res, address: res.socket?.remoteAddress ?? '' }),
      );
      req.on('socket', (socket) => this.guard.checkSocket(url.hostname, socket));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Reads a body up to `maxBytes` (decompressed), refusing a larger declared Content-Length before reading. */
  private async readBody(
    res: IncomingMessage,
    method: string,
    maxBytes: number,
    url: string,
  ): Promise<{ bytes: Buffer; decoded: boolean }> {
    const status = res.statusCode ?? 0;
    if (method === 'HEAD' || status === 204 || status === 304) {
      res.resume();
      return { bytes: Buffer.alloc(0), decoded: false };
    }
    const encoding = String(res.headers['content-encoding'] ?? '')
      .trim()
      .toLowerCase();
    const decoder = DECODERS[encoding];
    const declared = Number(res.headers['content-length']);
    if (!decoder && Number.isFinite(declared) && declared > maxBytes) {
      res.destroy();
      throw new PayloadTooLargeError(`${url}: ${declared} bytes, over the ${maxBytes}-byte limit`);
    }
    const stream: Readable = decoder ? res.pipe(decoder()) : res;
    if (decoder) res.on('error', (e) => stream.destroy(e));
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of stream) {
        size += (chunk as Buffer).byteLength;
        if (size > maxBytes) {
          throw new PayloadTooLargeError(`${url}: over the ${maxBytes}-byte limit`);
        }
        chunks.push(chunk as Buffer);
      }
    } finally {
      if (size > maxBytes || !res.complete) res.destroy();
    }
    return { bytes: Buffer.concat(chunks), decoded: Boolean(decoder) };
  }
}
