// Polling helpers with a deadline and a message that says what never became true.
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    await sleep(opts.intervalMs ?? 50);
  }
  const why = lastErr instanceof Error ? ` (last error: ${lastErr.message})` : '';
  throw new Error(`timed out after ${opts.timeoutMs ?? 15_000} ms waiting for ${what}${why}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
