// Shared output of every benchmark suite: one JSON line per metric on stdout, progress on stderr.
export function metric(
  suite: string,
  name: string,
  value: number,
  unit: string,
  extra: Record<string, unknown> = {},
): void {
  process.stdout.write(
    JSON.stringify({ suite, metric: name, value: Math.round(value * 1000) / 1000, unit, ...extra }) + '\n',
  );
}

export function progress(suite: string, line: string): void {
  process.stderr.write(`[${suite}] ${line}\n`);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}
