// Typed errors of the api. Handlers throw these; the one error middleware (http/errors.ts) turns each into
// its HTTP status and a JSON body { error: { code, message, fields? } }. Nothing else writes error answers.

export const ApiErrorCode = {
  Validation: 'VALIDATION',
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  Conflict: 'CONFLICT',
  RateLimited: 'RATE_LIMITED',
  Unavailable: 'UNAVAILABLE',
  Report: 'REPORT',
  Internal: 'INTERNAL',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

export const STATUS_OF: Record<ApiErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  REPORT: 422,
  INTERNAL: 500,
};

export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: ApiErrorCode;
  readonly context: Record<string, unknown>;
  constructor(
    code: ApiErrorCode,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
  }
  get status(): number {
    return STATUS_OF[this.code];
  }
}

export interface FieldIssue {
  /** Where: `query.severity`, `body.durationS`, `params.id`. */
  field: string;
  reason: string;
}

/** A request that does not match its schema: the answer names every field and why. */
export class ValidationError extends ApiError {
  override name = 'ValidationError';
  constructor(readonly fields: FieldIssue[]) {
    super(ApiErrorCode.Validation, fields.map((f) => `${f.field}: ${f.reason}`).join('; '));
  }
}

export class UnauthenticatedError extends ApiError {
  override name = 'UnauthenticatedError';
  constructor(message = 'a valid API token is required (Authorization: Bearer snt_...)') {
    super(ApiErrorCode.Unauthenticated, message);
  }
}

export class ForbiddenError extends ApiError {
  override name = 'ForbiddenError';
  constructor(role: string, needed: readonly string[]) {
    super(ApiErrorCode.Forbidden, `role ${role} may not do this; it needs one of: ${needed.join(', ')}`, {
      context: { role, needed },
    });
  }
}

export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
  constructor(what: string) {
    super(ApiErrorCode.NotFound, `${what} not found`);
  }
}

export class ConflictError extends ApiError {
  override name = 'ConflictError';
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(ApiErrorCode.Conflict, message, { context });
  }
}

export class RateLimitedError extends ApiError {
  override name = 'RateLimitedError';
  constructor(readonly retryAfterS: number) {
    super(ApiErrorCode.RateLimited, `too many requests; retry after ${retryAfterS} s`);
  }
}

export class UnavailableError extends ApiError {
  override name = 'UnavailableError';
  constructor(message: string, cause?: unknown) {
    super(ApiErrorCode.Unavailable, message, cause === undefined ? {} : { cause });
  }
}

/** A report that cannot be built, read or verified (bad file, bad key). */
export class ReportError extends ApiError {
  override name = 'ReportError';
  constructor(message: string, cause?: unknown) {
    super(ApiErrorCode.Report, message, cause === undefined ? {} : { cause });
  }
}
