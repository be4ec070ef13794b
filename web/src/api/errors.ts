// The console's one error type for api calls: the HTTP status and the api's { error: { code, message,
// fields } } body, so that pages can say what went wrong in the api's own words.

export const WebErrorCode = {
  Http: 'http',
  Network: 'network',
  BadAnswer: 'bad_answer',
} as const;
export type WebErrorCode = (typeof WebErrorCode)[keyof typeof WebErrorCode];

export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';
  constructor(
    readonly code: WebErrorCode,
    message: string,
    readonly context: {
      status?: number;
      apiCode?: string;
      path: string;
      fields?: { field: string; reason: string }[];
    },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number | undefined {
    return this.context.status;
  }

  /** 401: the token is unknown or was revoked; the console signs out. */
  get unauthenticated(): boolean {
    return this.context.status === 401;
  }

  /** 403: the role may not do this. */
  get forbidden(): boolean {
    return this.context.status === 403;
  }
}

/** A sentence for the user from any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof ApiCallError) {
    const fields = err.context.fields?.map((f) => `${f.field} ${f.reason}`).join('; ');
    return fields ? `${err.message} (${fields})` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
