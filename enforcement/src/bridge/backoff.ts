// Reconnect delays: exponential growth capped at `maxMs`, with jitter so that bridges (and their four
// connections) that lost the same broker do not all come back in the same instant.

export interface BackoffPolicy {
  /** Delay before the first retry. */
  initialMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
  /** Growth factor per attempt. */
  multiplier: number;
  /** Fraction of the delay drawn at random: 0 = none, 1 = anywhere between 0 and the delay. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 30_000, multiplier: 2, jitter: 0.5 };

/**
 * The delay before retry number `attempt` (1 for the first retry). `random` returns [0, 1) and is a
 * parameter so the policy stays a pure function.
 */
export function backoffDelay(attempt: number, p: BackoffPolicy, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const base = Math.min(p.maxMs, p.initialMs * p.multiplier ** (n - 1));
  const jitter = Math.min(1, Math.max(0, p.jitter));
  // Subtract the jitter part rather than add it, so the cap holds: the delay lies in [base·(1−j), base].
  return Math.round(base - base * jitter * random());
}
