// What the HTTP sinks share: one keep-alive undici Agent per sink, a POST that maps the answer onto the
// runner's error kinds (network trouble, 408, 429, 5xx and auth failures: Unavailable, kept and retried;
// other 4xx: Rejected, these records), and the body consumed so the connection can be reused.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { ExportError, ExportErrorCode } from '../errors.ts';

export interface HttpPoster {
  post(body: string, headers: Record<string, string>): Promise<string>;
  close(): Promise<void>;
}

const RETRYABLE_STATUS = new Set([401, 403, 404, 408, 425, 429]);

export function httpPoster(url: string, timeoutMs: number, caFile: string | undefined): HttpPoster {
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    connections: 4,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    ...(caFile ? { connect: { ca: readFileSync(caFile) } } : {}),
  });
  const where = new URL(url).origin;
  return {
    async post(body, headers) {
      let res;
      try {
        res = await request(url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', ...headers },
          dispatcher: agent,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new ExportError(ExportErrorCode.Unavailable, `POST ${where}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      const text = await res.body.text().catch(() => '');
      if (res.statusCode >= 200 && res.statusCode < 300) return text;
      const code =
        res.statusCode >= 500 || RETRYABLE_STATUS.has(res.statusCode)
          ? ExportErrorCode.Unavailable
          : ExportErrorCode.Rejected;
      throw new ExportError(code, `POST ${where}: HTTP ${res.statusCode} ${text.slice(0, 200)}`, {
        context: { status: res.statusCode },
      });
    },
    close: () => agent.close(),
  };
}
