import type { FastifyError, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { type AppError, UnsupportedMediaError, ValidationError } from '../core/errors.js';

/**
 * Client mistakes that reach the error handler as something other than an AppError or a Fastify
 * client error, mapped to the 4xx they are (issue 14: no 5xx from client mistakes). Undefined when
 * `err` is not one of them.
 *
 * - A PostgreSQL "data exception" (SQLSTATE class 22, from PGlite or a PostgreSQL server): a value the
 *   client sent that the database cannot hold or compare, such as an id beyond a 32-bit integer
 *   (22003) or text with a NUL character (22021). 400 naming the database's reason.
 * - A body of a content type no parser takes (Fastify's bare "Unsupported Media Type"): 415 naming the
 *   type sent and the ones the route accepts.
 */
export function clientErrorOf(err: unknown, req?: FastifyRequest): AppError | undefined {
  if (isDataException(err)) {
    return new ValidationError(`a value in the request cannot be used: ${(err as Error).message}`, undefined, err);
  }
  if ((err as FastifyError | undefined)?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const content = (req?.routeOptions.schema?.body as { content?: Record<string, unknown> } | undefined)?.content;
    const accepted = content ? Object.keys(content) : ['application/json'];
    const sent = req?.headers['content-type'];
    return new UnsupportedMediaError(
      `a body of type ${sent ? JSON.stringify(sent.slice(0, 100)) : '(none given)'} is not accepted here: send ${accepted.join(' or ')}`,
      'content-type',
    );
  }
  return undefined;
}

/** True for a database error of SQLSTATE class 22 (data exception); both pg and PGlite set `code` and `severity`. */
function isDataException(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown } | null;
  return typeof e?.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code) && typeof e.severity === 'string';
}

/**
 * An `onRoute` hook for routes that document their body by content type (`schema.body.content`, e.g.
 * JSON or a multipart form). Fastify validates such a body only when the request's media type is one of
 * them, so a request with no body (and no content type) would reach the handler unchecked. This refuses
 * it first: 400 when there is no body, 415 naming the accepted types when the media type is another.
 */
export function requireDocumentedBody(route: RouteOptions): void {
  const content = (route.schema?.body as { content?: Record<string, unknown> } | undefined)?.content;
  if (!content) return;
  const types = Object.keys(content);
  const check = async (req: FastifyRequest) => {
    const type = req.mediaType;
    if (type !== undefined && types.includes(type)) return;
    if (type === undefined && (req.body === undefined || req.body === null)) {
      throw new ValidationError(`a request body is required: send it as ${types.join(' or ')}`, 'body');
    }
    throw new UnsupportedMediaError(`send the body as ${types.join(' or ')}, not ${type ?? 'without a content type'}`);
  };
  const existing = route.preValidation;
  route.preValidation =
    existing === undefined ? [check] : [check, ...(Array.isArray(existing) ? existing : [existing])];
}

/**
 * Fastify's `frameworkErrors` option: the errors Fastify meets before it has a route, answered in the
 * API's error shape (`{ error: { code, message } }`) instead of Fastify's own. A URL with bad
 * percent-encoding (`%zz`, bytes that are not UTF-8) is 400; a path parameter longer than
 * `maxParamLength` is 414.
 */
export function frameworkError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode ?? 500;
  if (err.code === 'FST_ERR_BAD_URL') {
    reply.status(400).send({
      error: {
        code: 'invalid_input',
        message:
          'the URL is not valid: a "%" not followed by two hex digits, or percent-encoded bytes that are not UTF-8',
      },
    });
  } else if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    reply.status(414).send({
      error: {
        code: 'uri_too_long',
        message: `a path parameter of the URL is longer than the limit of ${reply.server.initialConfig.maxParamLength ?? 100} characters`,
      },
    });
  } else {
    reply
      .status(status)
      .send({ error: { code: status >= 500 ? 'internal_error' : 'invalid_input', message: err.message } });
  }
}
