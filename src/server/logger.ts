import type { FastifyRequest } from 'fastify';
import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

/**
 * Where secrets could sit in what is logged: request headers (API keys, cookies) wherever a request or its
 * headers are logged, and config-style `apiKey` / `password` fields. pino replaces them with `[Redacted]`.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  '*.headers.cookie',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
];

/** An API key (`rl_<prefix>_<secret>`) anywhere in a string; the prefix is public and is kept. */
const API_KEY_IN_TEXT = /\b(rl_[0-9A-Za-z]{8})_[0-9A-Za-z]{8,}/g;

/** `text` with the secret part of any API key in it replaced, e.g. a key a client put in a query string. */
export function maskApiKeys(text: string): string {
  return text.replace(API_KEY_IN_TEXT, '$1_[redacted]');
}

/**
 * The request as logged: Fastify's default fields, with any API key in the URL masked (keys belong in
 * headers, but a client may put one in a query string, and the URL is logged on every request).
 */
function requestSerializer(req: FastifyRequest) {
  // Something else logged under `req` (a plain object): left to the redaction paths.
  if (typeof req?.url !== 'string' || typeof req.method !== 'string') return req;
  return {
    method: req.method,
    url: maskApiKeys(req.url),
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** pino level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. */
  level: string;
  /** Where lines go (default stdout); tests pass a stream to read them. */
  destination?: DestinationStream;
  /**
   * `json`: one JSON object a line (for log collectors); `pretty`: human-readable, coloured lines (pino-pretty);
   * `auto` (default): pretty when stdout is a terminal, else JSON.
   */
  format?: 'auto' | 'json' | 'pretty';
  /** Whether stdout is a terminal (default `process.stdout.isTTY`), for `auto`. */
  isTTY?: boolean;
}

/** The format `createLogger` writes in: `pretty` on a terminal under `auto`, else what was asked. */
export function logFormat(format: LoggerOptions['format'], isTTY = process.stdout.isTTY === true): 'json' | 'pretty' {
  return format === 'pretty' || (format !== 'json' && isTTY) ? 'pretty' : 'json';
}

/**
 * The server's pino logger (JSON lines, or human-readable ones on a terminal: `format`): API keys, cookies and other secrets are redacted wherever a
 * request's headers are logged (`REDACT_PATHS`), and masked in logged URLs.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const options = {
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    serializers: { req: requestSerializer },
  };
  if (logFormat(opts.format, opts.isTTY ?? process.stdout.isTTY === true) === 'pretty') {
    // In-process (no worker thread), so lines are never lost at exit; colours only on a terminal.
    const stream = pretty({
      colorize: opts.destination === undefined && process.stdout.isTTY === true && !process.env.NO_COLOR,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
      ...(opts.destination ? { destination: opts.destination } : {}),
    });
    return pino(options, stream);
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
