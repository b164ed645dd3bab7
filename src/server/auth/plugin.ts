import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAppError, UnavailableError } from '../../core/errors.js';
import { ForbiddenError, UnauthorizedError } from './errors.js';
import { type ApiKeyRecord, type ApiKeyVerifier, hasScope, type Scope } from './keys.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route needs (`config: { scope: 'analyze' }`); none or `public`: no key needed. */
    scope?: Scope | 'public';
  }
  interface FastifyRequest {
    /** The verified API key, on routes that need one while auth is on; rate limits key on its prefix. */
    apiKey?: ApiKeyRecord;
  }
}

/** Where `registerAuth` reports: a function, or a logger with `warn`. */
export type AuthLog = ((message: string) => void) | { warn(message: string): void };

/** Options of `registerAuth`. */
export interface AuthOptions {
  /** Checks presented keys (the `ApiKeyStore`). */
  store: ApiKeyVerifier;
  /** False only by explicit configuration: then every request passes, and `log` hears it loudly. */
  enabled: boolean;
  log?: AuthLog;
}

/** What `registerAuth` logs when auth is switched off. */
export const AUTH_DISABLED_WARNING =
  'API KEY AUTHENTICATION IS OFF (auth.enabled=false): every route is open to anyone who can reach this server. ' +
  'Turn it on (REVIEWLENS_AUTH=true) unless this server is reachable only from trusted hosts.';

const MISSING_KEY =
  'an API key is required: send `Authorization: Bearer <key>` or `X-API-Key: <key>` (create one with `reviewlens keys create`)';
const BAD_KEY = 'the API key is not valid: it is unknown, malformed or revoked';

/**
 * Requires an API key on every route that declares a scope (`config: { scope: 'analyze' }`): 401 with
 * `WWW-Authenticate: Bearer` for a missing, unknown or revoked key, 403 for a key without the scope
 * (`admin` implies every scope). Routes without a scope, or with `scope: 'public'`, need no key. The
 * verified key is attached as `request.apiKey`. Register it before the rate limiter, which keys on it.
 */
export function registerAuth(app: FastifyInstance, opts: AuthOptions): void {
  if (!opts.enabled) {
    warn(opts.log, AUTH_DISABLED_WARNING);
    return;
  }
  if (!app.hasRequestDecorator('apiKey')) app.decorateRequest('apiKey', undefined);
  app.addHook('onRequest', async (req, reply) => {
    const scope = req.routeOptions.config?.scope;
    if (scope === undefined || scope === 'public') return;
    const raw = presentedKey(req);
    if (raw === undefined) return deny(reply, new UnauthorizedError(MISSING_KEY));
    const key = await verify(opts.store, raw);
    if (!key) return deny(reply, new UnauthorizedError(BAD_KEY));
    if (!hasScope(key.scopes, scope)) {
      return deny(
        reply,
        new ForbiddenError(`this API key (${key.prefix}) lacks the "${scope}" scope that ${routeName(req)} needs`),
      );
    }
    req.apiKey = key;
  });
}

/**
 * The key in `Authorization: Bearer <key>` or else `X-API-Key: <key>`; undefined when neither holds one
 * (including an `Authorization` header of another scheme).
 */
export function presentedKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m?.[1]) return m[1];
  }
  const header = req.headers['x-api-key'];
  const value = typeof header === 'string' ? header.trim() : undefined;
  return value ? value : undefined;
}

async function verify(store: ApiKeyVerifier, raw: string): Promise<ApiKeyRecord | undefined> {
  try {
    return await store.verify(raw);
  } catch (e) {
    if (isAppError(e)) throw e;
    throw new UnavailableError(`cannot check the API key: ${(e as Error).message}`, e);
  }
}

function deny(reply: FastifyReply, e: UnauthorizedError | ForbiddenError): FastifyReply {
  if (e.statusCode === 401) reply.header('WWW-Authenticate', 'Bearer');
  return reply.code(e.statusCode).send({ error: e.toJSON() });
}

function routeName(req: FastifyRequest): string {
  return `${req.method} ${req.routeOptions.url ?? req.url}`;
}

function warn(log: AuthLog | undefined, message: string): void {
  if (typeof log === 'function') log(message);
  else log?.warn(message);
}
