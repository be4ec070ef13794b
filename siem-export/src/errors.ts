// Typed errors of the siem-export package. Each has a stable `code` and carries `context` for logs
// (never a secret: tokens and keys stay out of messages and context).

export const ExportErrorCode = {
  /** The receiver cannot be reached or asked us to come back later: retried without limit, in order. */
  Unavailable: 'SINK_UNAVAILABLE',
  /** The receiver refused these records: retried a bounded number of times, then dead-lettered. */
  Rejected: 'SINK_REJECTED',
  /** A record cannot be encoded for this sink (too large, unrepresentable). Dead-lettered. */
  Unencodable: 'RECORD_UNENCODABLE',
  /** The connection is not the one the records before these were written to: write those again first. */
  Stale: 'CONNECTION_CHANGED',
  /** The sink was closed while a send was under way. */
  Closed: 'SINK_CLOSED',
  /** Setup failed: a certificate could not be read, an optional module is missing. */
  Setup: 'SINK_SETUP',
} as const;
export type ExportErrorCode = (typeof ExportErrorCode)[keyof typeof ExportErrorCode];

export class ExportError extends Error {
  override name = 'ExportError';
  readonly code: ExportErrorCode;
  readonly context: Record<string, unknown>;
  constructor(
    code: ExportErrorCode,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** True when a failure says nothing about the records themselves: keep them and try again later. */
export function isUnavailable(err: unknown): boolean {
  return (
    !(err instanceof ExportError) ||
    err.code === ExportErrorCode.Unavailable ||
    err.code === ExportErrorCode.Closed
  );
}
