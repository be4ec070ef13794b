// The api's own rate limit: a token bucket per token (or per address before authentication) answers 429
// with Retry-After past the burst, and one caller's excess does not limit another.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKit } from './kit.ts';
import type { Kit } from './kit.ts';

let k: Kit;
beforeAll(async () => {
  k = await startKit({ api: { rateLimit: { rate: 1, burst: 3 } } });
});
afterAll(async () => k?.close());

describe('api rate limit', () => {
  it('past the burst a caller gets 429 with Retry-After; other callers are unaffected', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await k.call('GET', '/api/v1/me', k.tokens.analyst)).status);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    const limited = await k.call('GET', '/api/v1/me', k.tokens.analyst);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await k.call('GET', '/api/v1/me', k.tokens.auditor)).status).toBe(200);
  });
});
