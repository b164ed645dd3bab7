/**
 * Typed errors with an HTTP mapping. Every error the system raises on purpose is one of these;
 * the server turns them into `{ error: { code, message, field? } }` with the status code below.
 */
export class AppError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly field: string | undefined;

  constructor(message: string, opts: { statusCode: number; code: string; field?: string; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.statusCode = opts.statusCode;
    this.code = opts.code;
    this.field = opts.field;
  }

  toJSON(): { code: string; message: string; field?: string } {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}

/** The request is malformed: a missing, empty or wrongly typed field. */
export class ValidationError extends AppError {
  constructor(message: string, field?: string, cause?: unknown) {
    super(message, { statusCode: 400, code: 'invalid_input', ...(field ? { field } : {}), cause });
  }
}

/** A field is larger than the configured limit. */
export class PayloadTooLargeError extends AppError {
  constructor(message: string, field?: string) {
    super(message, { statusCode: 413, code: 'payload_too_large', ...(field ? { field } : {}) });
  }
}

/** The uploaded file is not of a supported media type (judged by its bytes, never its name). */
export class UnsupportedMediaError extends AppError {
  constructor(message: string, field?: string) {
    super(message, { statusCode: 415, code: 'unsupported_media_type', ...(field ? { field } : {}) });
  }
}

/** A configuration value is invalid; start-up stops with this message. */
export class ConfigError extends AppError {
  constructor(message: string) {
    super(message, { statusCode: 500, code: 'config_error' });
  }
}

/** A model file is missing or corrupt, or a model could not be loaded. */
export class ModelAssetError extends AppError {
  constructor(message: string, cause?: unknown) {
    super(message, { statusCode: 503, code: 'model_unavailable', cause });
  }
}

/** Something the request needs is not there. */
export class NotFoundError extends AppError {
  constructor(message: string) {
    super(message, { statusCode: 404, code: 'not_found' });
  }
}

/** A store or other dependency is not reachable. */
export class UnavailableError extends AppError {
  constructor(message: string, cause?: unknown) {
    super(message, { statusCode: 503, code: 'unavailable', cause });
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** The work took longer than the time allowed (`server.requestTimeoutMs`). */
export class TimeoutError extends AppError {
  constructor(message: string) {
    super(message, { statusCode: 503, code: 'timeout' });
  }
}

/**
 * A URL the system was given points at an address it will not fetch (loopback, private, link-local,
 * multicast, cloud metadata...; see src/net/). `rule` names the class, `address` the IP (or the host, for
 * a refused host name). A client's URL, so a 4xx: 403.
 */
export class RefusedAddressError extends AppError {
  readonly rule: string;
  readonly address: string;

  constructor(message: string, opts: { rule: string; address: string }) {
    super(message, { statusCode: 403, code: 'address_refused' });
    this.rule = opts.rule;
    this.address = opts.address;
  }
}
