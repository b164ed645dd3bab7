import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server on 127.0.0.1 that records each request and answers with the next queued reply:
 * the stand-in for a search or vector engine that cannot run here, fed with recorded real responses.
 */

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or the parsed lines of an NDJSON body. */
  body: any;
  raw: string;
}

/** A reply to send, or `hang` to never answer (a server that went silent). */
export type Reply = { status?: number; body?: unknown } | { hang: true };

export interface Replay {
  url: string;
  requests: Recorded[];
  reply(...r: Reply[]): void;
  close(): Promise<void>;
}

function parseBody(raw: string, contentType: string | undefined): any {
  if (raw === '') return undefined;
  if (contentType?.includes('ndjson')) {
    return raw
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));
  }
  return JSON.parse(raw);
}

/** Starts a replay server; `exhausted` is the 500 body sent when no reply is left (in the engine's error shape). */
export async function startReplay(exhausted: unknown): Promise<Replay> {
  const queue: Reply[] = [];
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      requests.push({
        method: req.method ?? '',
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        body: parseBody(raw, req.headers['content-type']),
        raw,
      });
      const r = queue.shift() ?? { status: 500, body: exhausted };
      if ('hang' in r) return;
      const text = r.body === undefined ? '' : JSON.stringify(r.body);
      res.writeHead(r.status ?? 200, text === '' ? {} : { 'content-type': 'application/json; charset=UTF-8' });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply: (...r) => {
      queue.push(...r);
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A URL on 127.0.0.1 where nothing listens (a port that was just free). */
export async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}
