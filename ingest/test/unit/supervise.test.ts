import { describe, expect, it } from 'vitest';
import { backoffDelay, silentLogger, supervise } from '@sentinel/ingest';

describe('supervision', () => {
  it('backoff doubles per attempt within its bounds and is jittered', () => {
    expect(backoffDelay(1, 100, 10_000, () => 1)).toBe(100);
    expect(backoffDelay(4, 100, 10_000, () => 1)).toBe(800);
    expect(backoffDelay(20, 100, 10_000, () => 1)).toBe(10_000);
    expect(backoffDelay(4, 100, 10_000, () => 0)).toBe(400);
  });

  it('restarts a failing task until it succeeds', async () => {
    let runs = 0;
    const restarts: number[] = [];
    await supervise(
      async () => {
        runs += 1;
        if (runs < 3) throw new Error(`boom ${runs}`);
      },
      {
        name: 'task',
        log: silentLogger,
        minBackoffMs: 1,
        maxBackoffMs: 5,
        onRestart: (a) => restarts.push(a),
      },
    );
    expect(runs).toBe(3);
    expect(restarts).toEqual([1, 2]);
  });
});
