import { AppError } from '../../core/errors.js';

/** No API key, or one that is unknown, malformed or revoked: 401 (sent with `WWW-Authenticate: Bearer`). */
export class UnauthorizedError extends AppError {
  constructor(message: string) {
    super(message, { statusCode: 401, code: 'unauthorized' });
  }
}

/** A valid API key without the scope the route needs: 403. */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(message, { statusCode: 403, code: 'forbidden' });
  }
}
