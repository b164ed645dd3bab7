import type { FastifyError, FastifyRequest } from 'fastify';
import { isAppError, ValidationError } from '../core/errors.js';

/**
 * The parts of a multipart request, as `req.parts()` gives them, with a body that is not valid multipart
 * (truncated, a missing boundary, a malformed part header: busboy's "Unexpected end of multipart data")
 * turned into a 400 naming the body instead of a 500. Errors the caller throws while handling a part, and
 * Fastify's own client errors (file too large, too many parts), pass through unchanged.
 */
export async function* multipartParts(req: FastifyRequest): ReturnType<FastifyRequest['parts']> {
  const it = req.parts()[Symbol.asyncIterator]();
  while (true) {
    let next: IteratorResult<Awaited<ReturnType<typeof it.next>>['value']>;
    try {
      next = await it.next();
    } catch (e) {
      throw asClientError(e);
    }
    if (next.done) return;
    yield next.value;
  }
}

/** A multipart parsing failure as the client's mistake (400), unless it already is an app or client error. */
export function asClientError(e: unknown): unknown {
  const status = (e as FastifyError).statusCode;
  if (isAppError(e) || (status !== undefined && status < 500)) return e;
  return new ValidationError(`the multipart body is malformed: ${(e as Error).message}`, 'body');
}
