// Typed errors of the policy steps. Each has a stable `code` and carries `context` for logs (never secrets).

export const PolicyErrorCode = {
  InvalidRule: 'INVALID_RULE',
  InvalidAddress: 'INVALID_ADDRESS',
  AuthAnswer: 'AUTH_ANSWER',
  AuthUnavailable: 'AUTH_UNAVAILABLE',
  BansUnavailable: 'BANS_UNAVAILABLE',
} as const;
export type PolicyErrorCode = (typeof PolicyErrorCode)[keyof typeof PolicyErrorCode];

export class PolicyError extends Error {
  override name = 'PolicyError';
  readonly code: PolicyErrorCode;
  readonly context: Record<string, unknown>;
  constructor(
    code: PolicyErrorCode,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
  }
}
