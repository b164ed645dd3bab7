/**
 * Latency and throughput of a running reviewlens server (`reviewlens eval --load URL`): POST /api/analyze
 * with real review texts at a few concurrency levels, with autocannon (closed loop: each connection sends
 * its next request when the answer arrives). Bounded: loopback addresses only, at most MAX_LOAD_SECONDS a
 * level and MAX_CONNECTIONS connections, so it cannot be pointed at someone else's server or run away.
 */
import type { Result as AutocannonResult } from 'autocannon';
import { ValidationError } from '../../core/errors.js';
import { percentile } from '../metrics.js';
import type { LoadFigures, LoadLevel } from './types.js';

export const MAX_LOAD_SECONDS = 30;
export const MAX_CONNECTIONS = 32;
export const DEFAULT_LEVELS = [1, 4, 8] as const;

/**
 * The URL's origin when its host is a loopback address (127.0.0.0/8, ::1, localhost); otherwise throws a
 * ValidationError naming `--load`.
 */
export function loopbackOrigin(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ValidationError(`--load must be a URL such as http://127.0.0.1:8080 (got "${url}")`, 'load');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ValidationError(`--load must be an http(s) URL (got ${u.protocol})`, 'load');
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  if (!loopback) {
    throw new ValidationError(
      `--load only drives a server on this machine (127.0.0.1, ::1, localhost); got ${u.hostname}`,
      'load',
    );
  }
  return u.origin;
}

export interface LoadOptions {
  /** Concurrency levels (connections), each at most MAX_CONNECTIONS. */
  levels?: readonly number[];
  /** Seconds per level (1..MAX_LOAD_SECONDS). */
  seconds?: number;
  /** API key sent as `Authorization: Bearer`, when the server has keys on. */
  apiKey?: string;
  /** Review texts sent in turn (each request gets the next one, made unique so the result cache misses). */
  texts: readonly string[];
  log?: (m: string) => void;
}

/**
 * Drives POST /api/analyze at each level and reports requests/s and mean / p50 / p95 / p99 latency (ms, from
 * each answer's round trip as autocannon times it), with errors (connection errors and timeouts) and non-2xx
 * answers counted. One warm-up request goes first (not counted). Throws a ValidationError when the server does
 * not answer GET /api/health or refuses the warm-up request (e.g. 401 without a key).
 */
export async function loadTest(url: string, opts: LoadOptions): Promise<LoadFigures> {
  const origin = loopbackOrigin(url);
  const seconds = Math.round(opts.seconds ?? 5);
  if (!(seconds >= 1 && seconds <= MAX_LOAD_SECONDS)) {
    throw new ValidationError(`--load-seconds must be 1..${MAX_LOAD_SECONDS} (got ${opts.seconds})`, 'load-seconds');
  }
  const levels = [...(opts.levels ?? DEFAULT_LEVELS)];
  for (const c of levels) {
    if (!(Number.isInteger(c) && c >= 1 && c <= MAX_CONNECTIONS)) {
      throw new ValidationError(`--load-levels must be integers 1..${MAX_CONNECTIONS} (got ${c})`, 'load-levels');
    }
  }
  if (opts.texts.length === 0) throw new ValidationError('the load test needs at least one review text', 'load');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  let served: string | undefined;
  try {
    const h = await fetch(`${origin}/api/health`, { headers, signal: AbortSignal.timeout(10_000) });
    const body = (await h.json().catch(() => ({}))) as { model?: string; model_version?: string };
    if (body.model) served = body.model_version ? `${body.model}@${body.model_version}` : body.model;
  } catch (e) {
    throw new ValidationError(`--load ${origin}: the server does not answer (${(e as Error).message})`, 'load');
  }
  // One request first: warms the server's models and checks the key and route, so a refusal is a clear error.
  const warm = await fetch(`${origin}/api/analyze`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ text: opts.texts[0] }),
    signal: AbortSignal.timeout(60_000),
  }).catch((e: Error) => {
    throw new ValidationError(`--load ${origin}: POST /api/analyze failed (${e.message})`, 'load');
  });
  if (!warm.ok) {
    const hint =
      warm.status === 401 || warm.status === 403 ? ': pass an API key with --load-key or REVIEWLENS_API_KEY' : '';
    throw new ValidationError(`--load ${origin}: POST /api/analyze answered ${warm.status}${hint}`, 'load');
  }
  await warm.arrayBuffer();
  const { default: autocannon } = await import('autocannon');
  let counter = 0;
  const nextBody = () => {
    const t = opts.texts[counter % opts.texts.length] as string;
    counter++;
    // A marker per request keeps every answer uncached, as new reviews are.
    return JSON.stringify({ text: `${t} [${counter}]` });
  };
  const out: LoadLevel[] = [];
  for (const connections of levels) {
    const times: number[] = [];
    const res = await new Promise<AutocannonResult>((resolve, reject) => {
      const inst = autocannon(
        {
          url: `${origin}/api/analyze`,
          method: 'POST',
          connections,
          duration: seconds,
          headers,
          requests: [{ method: 'POST', path: '/api/analyze', setupRequest: (req) => ({ ...req, body: nextBody() }) }],
        },
        (err, r) => (err ? reject(err) : resolve(r)),
      );
      inst.on('response', (_c, _status, _bytes, ms) => {
        times.push(ms);
      });
    });
    const level: LoadLevel = {
      connections,
      seconds,
      requests: res.requests.total,
      qps: res.requests.total / seconds,
      mean: times.length ? times.reduce((s, x) => s + x, 0) / times.length : Number.NaN,
      p50: percentile(times, 50),
      p95: percentile(times, 95),
      p99: percentile(times, 99),
      errors: res.errors + res.timeouts,
      non2xx: res.non2xx,
    };
    out.push(level);
    opts.log?.(
      `  load ${connections} connection(s): ${level.qps.toFixed(1)} req/s, p50 ${level.p50.toFixed(1)} ms, p99 ${level.p99.toFixed(1)} ms`,
    );
  }
  return { url: origin, path: '/api/analyze', levels: out, ...(served ? { served_model: served } : {}) };
}
