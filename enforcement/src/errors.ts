// Typed errors of the enforcement package. Each has a stable `code`, an optional `cause` and `context`
// for logs. Protocol violations by clients are not errors: they are verdicts (protocol/violation.ts).

export const EnforcementErrorCode = {
  Config: 'CONFIG',
  Listen: 'LISTEN',
  Tls: 'TLS',
  Upstream: 'UPSTREAM',
  Certificate: 'CERTIFICATE',
  Worker: 'WORKER',
  Closed: 'CLOSED',
} as const;
export type EnforcementErrorCode = (typeof EnforcementErrorCode)[keyof typeof EnforcementErrorCode];

export class EnforcementError extends Error {
  override name = 'EnforcementError';
  readonly code: EnforcementErrorCode;
  readonly context: Record<string, unknown>;
  constructor(
    code: EnforcementErrorCode,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** A listener could not bind its port (in use, no permission). */
export class ListenError extends EnforcementError {
  override name = 'ListenError';
  constructor(listener: string, port: number, cause: unknown) {
    super(
      EnforcementErrorCode.Listen,
      `the ${listener} listener cannot listen on port ${port}: ${String(cause)}`,
      {
        cause,
        context: { listener, port },
      },
    );
  }
}

/** The upstream broker URL is unusable or the broker cannot be reached. */
export class UpstreamError extends EnforcementError {
  override name = 'UpstreamError';
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(EnforcementErrorCode.Upstream, message, { cause, context });
  }
}
