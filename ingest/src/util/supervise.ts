// Supervision: run a long-lived task, and when it ends with an error, log it loudly and start it again
// after an exponential backoff with jitter. The task itself never retries in a loop of its own.
import type { Logger } from './log.ts';

export interface SuperviseOptions {
  name: string;
  log: Logger;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A run that lasted this long resets the backoff (default 30 s). */
  healthyAfterMs?: number;
  signal?: AbortSignal;
  onRestart?: (attempt: number, err: unknown) => void;
}

export function backoffDelay(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** Resolves when the task ends without error or the signal aborts. */
export async function supervise(task: () => Promise<void>, opts: SuperviseOptions): Promise<void> {
  const min = opts.minBackoffMs ?? 200;
  const max = opts.maxBackoffMs ?? 30_000;
  const healthy = opts.healthyAfterMs ?? 30_000;
  let attempt = 0;
  while (!opts.signal?.aborted) {
    const started = Date.now();
    try {
      await task();
      return;
    } catch (err) {
      if (opts.signal?.aborted) return;
      attempt = Date.now() - started > healthy ? 1 : attempt + 1;
      const delay = backoffDelay(attempt, min, max);
      opts.log.error(`${opts.name} failed; restarting`, { error: err, attempt, delayMs: delay });
      opts.onRestart?.(attempt, err);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
