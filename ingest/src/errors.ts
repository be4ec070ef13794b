// Typed errors of the ingest package. Each has a stable `code` and carries `context` for logs.

export const IngestErrorCode = {
  Config: 'CONFIG',
  InvalidRecord: 'INVALID_RECORD',
  SpoolFull: 'SPOOL_FULL',
  SpoolCorrupt: 'SPOOL_CORRUPT',
  PublisherClosed: 'PUBLISHER_CLOSED',
  StreamSetup: 'STREAM_SETUP',
  NatsUnavailable: 'NATS_UNAVAILABLE',
  IntakeListen: 'INTAKE_LISTEN',
} as const;
export type IngestErrorCode = (typeof IngestErrorCode)[keyof typeof IngestErrorCode];

export class IngestError extends Error {
  override name = 'IngestError';
  readonly code: IngestErrorCode;
  readonly context: Record<string, unknown>;
  constructor(
    code: IngestErrorCode,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
  }
}

export interface ConfigErrorDetails {
  key: string;
  value?: unknown;
  source: string;
  hint?: string;
  cause?: unknown;
}

/** A bad setting. The message names the key and the value; `hint` says what to do. */
export class ConfigError extends IngestError {
  override name = 'ConfigError';
  readonly key: string;
  readonly value: unknown;
  readonly source: string;
  readonly hint: string | undefined;
  constructor(message: string, details: ConfigErrorDetails) {
    super(IngestErrorCode.Config, details.hint ? `${message} — ${details.hint}` : message, {
      cause: details.cause,
      context: { key: details.key, source: details.source },
    });
    this.key = details.key;
    this.value = details.value;
    this.source = details.source;
    this.hint = details.hint;
  }
}

/** A record that failed validation at a boundary. Not retryable: it goes to the dead-letter subject. */
export class InvalidRecordError extends IngestError {
  override name = 'InvalidRecordError';
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(IngestErrorCode.InvalidRecord, message, { context });
  }
}
