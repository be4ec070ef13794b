// The ONE error middleware: typed errors to HTTP status and a JSON body. Unknown errors are logged and
// answered 500 without their message (it may hold internals).
import type { ErrorRequestHandler } from 'express';
import { AllowlistedError, StoreError } from '@sentinel/analytics';
import type { Logger } from '@sentinel/ingest';
import { ApiError, ApiErrorCode, RateLimitedError, ValidationError } from '../errors.ts';

interface BodyParserError {
  type?: string;
  status?: number;
  message: string;
}

function fromBodyParser(err: unknown): ApiError | undefined {
  const e = err as BodyParserError;
  if (typeof e?.type !== 'string' || typeof e.status !== 'number') return undefined;
  if (e.type === 'entity.parse.failed')
    return new ValidationError([{ field: 'body', reason: 'is not valid JSON' }]);
  if (e.type === 'entity.too.large') return new ValidationError([{ field: 'body', reason: 'is too large' }]);
  return new ValidationError([{ field: 'body', reason: e.message }]);
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const parsed = fromBodyParser(err);
  if (parsed) return parsed;
  if (err instanceof AllowlistedError) return new ApiError(ApiErrorCode.Conflict, err.message);
  if (err instanceof StoreError)
    return new ApiError(ApiErrorCode.Unavailable, 'the analytics store did not answer', { cause: err });
  return new ApiError(ApiErrorCode.Internal, 'internal error', { cause: err });
}

export function errorMiddleware(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    void _next;
    const e = toApiError(err);
    if (e.status >= 500) log.error('request failed', { error: err, path: req.path, method: req.method });
    if (e instanceof RateLimitedError) res.setHeader('Retry-After', String(e.retryAfterS));
    res.status(e.status).json({
      error: {
        code: e.code,
        message: e.message,
        ...(e instanceof ValidationError ? { fields: e.fields } : {}),
      },
    });
  };
}
