// Typed errors of the analytics package: a stable `code`, the `cause`, and `context` for logs.

export const AnalyticsErrorCode = {
  Store: 'STORE',
  Migration: 'MIGRATION',
  RuleFile: 'RULE_FILE',
  Identifier: 'IDENTIFIER',
  Allowlisted: 'ALLOWLISTED',
  Decision: 'DECISION',
  Rebuild: 'REBUILD',
} as const;
export type AnalyticsErrorCode = (typeof AnalyticsErrorCode)[keyof typeof AnalyticsErrorCode];

export class AnalyticsError extends Error {
  override name = 'AnalyticsError';
  readonly code: AnalyticsErrorCode;
  readonly context: Record<string, unknown>;
  constructor(
    code: AnalyticsErrorCode,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** A query the engine refused or a store that could not be reached. The SQL text is kept, never values. */
export class StoreError extends AnalyticsError {
  override name = 'StoreError';
  constructor(message: string, sql: string, cause?: unknown) {
    super(AnalyticsErrorCode.Store, message, { cause, context: { sql: sql.slice(0, 300) } });
  }
}

/** A detection rule file that does not parse or names an unknown technique, reason or field. */
export class RuleFileError extends AnalyticsError {
  override name = 'RuleFileError';
  constructor(message: string, context: Record<string, unknown>) {
    super(AnalyticsErrorCode.RuleFile, message, { context });
  }
}

/** A ban refused because the identity is on the allowlist. */
export class AllowlistedError extends AnalyticsError {
  override name = 'AllowlistedError';
  constructor(scope: string, value: string) {
    super(AnalyticsErrorCode.Allowlisted, `${scope} ${value} is on the analytics allowlist; not banned`, {
      context: { scope, value },
    });
  }
}
