/**
 * Recognising errors that mean "a server we depend on is not reachable right now" (PostgreSQL, Redis, a
 * socket to another process), as opposed to errors in the request or the data. The server answers such an
 * error with 503 and Retry-After rather than 500; the pipeline runner retries a step that failed with one.
 */

/** Node.js socket and DNS error codes that mean the peer is not reachable (now). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTCONN',
]);

/**
 * PostgreSQL SQLSTATE codes of a server that is going away or not taking connections: class 08
 * (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now,
 * 53300 too_many_connections. Source: PostgreSQL documentation, appendix A "Error Codes".
 */
const PG_UNAVAILABLE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;

/** Messages of node-postgres and ioredis that carry no code (node-postgres 8, ioredis 5). */
const MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection is closed/i,
  /stream isn't writeable/i,
  /client has encountered a connection error/i,
  /client was closed and is not queryable/i,
  /server closed the connection unexpectedly/i,
];

/**
 * True when `e` (or an error in its `cause` chain, at most 5 deep) says a server or socket we depend on
 * is unreachable or went away: a Node.js network error code (ECONNREFUSED, ECONNRESET, ETIMEDOUT...),
 * a PostgreSQL connection-class SQLSTATE (08xxx, 57P01-57P03, 53300), or one of the connection messages
 * node-postgres and ioredis raise without a code. Errors in a query, the data or the request are not.
 */
export function isTransientError(e: unknown): boolean {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && cur !== null && typeof cur === 'object'; depth++) {
    const x = cur as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof x.code === 'string' && (NETWORK_CODES.has(x.code) || PG_UNAVAILABLE.test(x.code))) return true;
    if (typeof x.message === 'string' && MESSAGES.some((m) => m.test(x.message as string))) return true;
    // AggregateError (a connect to every address of a host failed): transient when all of them are.
    if (Array.isArray(x.errors) && x.errors.length > 0 && x.errors.every((inner) => isTransientError(inner))) {
      return true;
    }
    cur = x.cause;
  }
  return false;
}

/** Options of {@link backoffDelays} and {@link retryTransient}. */
export interface BackoffOptions {
  /** Attempts in all, the first included (1: no retry). */
  attempts: number;
  /** Delay before the first retry, in ms; each next one doubles. */
  baseMs: number;
  /** No delay is longer than this, in ms. */
  maxMs: number;
}

/** The delays (ms) before each retry: `baseMs * 2^i`, capped at `maxMs`; `attempts - 1` of them. */
export function backoffDelays(o: BackoffOptions): number[] {
  return Array.from({ length: Math.max(0, o.attempts - 1) }, (_, i) => Math.min(o.maxMs, o.baseMs * 2 ** i));
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `fn`, and runs it again after an exponential backoff while it fails with a transient error
 * ({@link isTransientError}), `attempts` times at most. Other errors, and the last transient one, are
 * thrown. `onRetry(error, attempt, delayMs)` is told before each wait (attempt counts from 1). An
 * aborted `signal` stops the waiting with its reason.
 */
export async function retryTransient<T>(
  fn: (attempt: number) => Promise<T>,
  o: BackoffOptions & {
    signal?: AbortSignal | undefined;
    onRetry?: ((error: unknown, attempt: number, delayMs: number) => void | Promise<void>) | undefined;
  },
): Promise<T> {
  const delays = backoffDelays(o);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const delay = delays[attempt - 1];
      if (delay === undefined || !isTransientError(e) || o.signal?.aborted) throw e;
      await o.onRetry?.(e, attempt, delay);
      await sleep(delay, o.signal);
    }
  }
}
