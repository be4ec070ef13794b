// The callout logic (cache, single-flight, fail-closed, answer parsing) through the transport seam; the
// HTTP path against the real reference service is covered in test/integration/policy-auth.test.ts.
import { describe, expect, it } from 'vitest';
import { AuthCache } from '../../src/policy/auth-cache.ts';
import { HttpAuthenticator } from '../../src/policy/auth.ts';
import type { AuthCalloutRequest, AuthTransport } from '../../src/policy/auth.ts';
import { authConfigSchema } from '../../src/policy/config.ts';
import type { AuthResult, ConnectIdentity } from '../../src/policy/types.ts';

const id = (over: Partial<ConnectIdentity> = {}): ConnectIdentity => ({
  clientId: 'dev-1',
  username: 'dev-1',
  password: Buffer.from('s3cret'),
  ip: '10.0.0.1',
  port: 50000,
  protocolVersion: 4,
  transport: 'tcp',
  ...over,
});

/** An in-process stand-in for the endpoint: answers from a function, counts and records requests. */
function endpoint(answer: (r: AuthCalloutRequest) => unknown, delayMs = 0) {
  const seen: AuthCalloutRequest[] = [];
  const transport: AuthTransport = async (r, signal) => {
    seen.push(r);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, delayMs);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(new Error('aborted'));
      });
    });
    const a = answer(r);
    if (a instanceof Error) throw a;
    return a;
  };
  return { seen, transport };
}

function authenticator(transport: AuthTransport, over: Record<string, unknown> = {}, now = () => clock.t) {
  return new HttpAuthenticator({
    config: authConfigSchema.parse({ url: 'http://127.0.0.1:1/auth', ...over }),
    transport,
    now,
  });
}
const clock = { t: 1_000_000 };

describe('auth callout', () => {
  it('auth - an allow is cached and the second CONNECT is a hit without a callout', async () => {
    const ep = endpoint(() => ({ allow: true, acl: { publish: { allow: ['a/#'] } } }));
    const a = authenticator(ep.transport);
    const first = await a.authenticate(id());
    const second = await a.authenticate(id());
    expect([first.allow, first.cache, first.reason]).toEqual([true, 'miss', 'auth.ok']);
    expect([second.allow, second.cache]).toEqual([true, 'hit']);
    expect(second.acl).toEqual({ publish: { allow: ['a/#'] } });
    expect(ep.seen).toHaveLength(1);
    expect(ep.seen[0]).toMatchObject({
      clientId: 'dev-1',
      username: 'dev-1',
      password: 's3cret',
      ip: '10.0.0.1',
    });
  });

  const fields: [string, Partial<ConnectIdentity>][] = [
    ['client id', { clientId: 'dev-2' }],
    ['username', { username: 'other' }],
    ['absent username', { username: undefined }],
    ['password', { password: Buffer.from('guess') }],
    ['absent password', { password: undefined }],
    ['IP', { ip: '10.0.0.2' }],
    ['certificate fingerprint', { certFingerprint: 'ab'.repeat(32) }],
  ];
  it.each(fields)('auth - a different %s is never served the cached result', async (_name, change) => {
    const ep = endpoint((r) => ({ allow: r.password === 's3cret' && r.clientId === 'dev-1' }));
    const a = authenticator(ep.transport);
    expect((await a.authenticate(id())).allow).toBe(true);
    const other = await a.authenticate(id(change));
    expect(other.cache).toBe('miss');
    expect(ep.seen).toHaveLength(2);
  });

  it('auth - the cache key holds no clear password and differs between processes', () => {
    const c1 = new AuthCache(10);
    const c2 = new AuthCache(10);
    const k = c1.keyOf(id());
    expect(k).not.toContain('s3cret');
    expect(Buffer.from(k, 'base64').toString('latin1')).not.toContain('s3cret');
    expect(c2.keyOf(id())).not.toBe(k);
    // Field boundaries are part of the key.
    expect(c1.keyOf(id({ clientId: 'ab', username: 'c' }))).not.toBe(
      c1.keyOf(id({ clientId: 'a', username: 'bc' })),
    );
  });

  it('auth - concurrent CONNECTs with the same credentials cause exactly one callout', async () => {
    const ep = endpoint(() => ({ allow: true }), 30);
    const a = authenticator(ep.transport);
    const results = await Promise.all(Array.from({ length: 50 }, () => a.authenticate(id())));
    expect(results.every((r) => r.allow)).toBe(true);
    expect(ep.seen).toHaveLength(1);
    expect(a.callouts).toBe(1);
  });

  it('auth - a denial is cached for the shorter deny TTL', async () => {
    const ep = endpoint(() => ({ allow: false, reason: 'auth.unknown_client' }));
    const a = authenticator(ep.transport, { denyCacheTtlMs: 5000, cacheTtlMs: 60_000 });
    clock.t = 1_000_000;
    expect((await a.authenticate(id())).reason).toBe('auth.unknown_client');
    clock.t += 4999;
    expect((await a.authenticate(id())).cache).toBe('hit');
    clock.t += 1;
    expect((await a.authenticate(id())).cache).toBe('miss');
    expect(ep.seen).toHaveLength(2);
  });

  it('auth - an allow expires from the cache after the TTL or at the answer expiry, whichever is first', async () => {
    clock.t = 2_000_000;
    const ep = endpoint((r) => (r.clientId === 'short' ? { allow: true, ttl: 2 } : { allow: true }));
    const a = authenticator(ep.transport, { cacheTtlMs: 60_000 });
    await a.authenticate(id());
    const s = await a.authenticate(id({ clientId: 'short' }));
    expect(s.expiresAt).toBe(2_002_000);
    clock.t += 2000;
    expect((await a.authenticate(id({ clientId: 'short' }))).cache).toBe('miss');
    expect((await a.authenticate(id())).cache).toBe('hit');
    clock.t += 58_000;
    expect((await a.authenticate(id())).cache).toBe('miss');
  });

  const answers: [string, unknown, boolean, string][] = [
    ['allow', { allow: true }, true, 'auth.ok'],
    ['deny without reason', { allow: false }, false, 'auth.bad_credentials'],
    ['deny with a known reason', { allow: false, reason: 'auth.expired' }, false, 'auth.expired'],
    ['deny with a foreign reason', { allow: false, reason: 'rate.global' }, false, 'auth.bad_credentials'],
    ['allow already expired', { allow: true, expiresAt: 1 }, false, 'auth.expired'],
    ['allow with an ISO expiry', { allow: true, expiresAt: '2100-01-01T00:00:00Z' }, true, 'auth.ok'],
    ['not an object', 'yes', false, 'auth.unavailable'],
    ['allow as a string', { allow: 'true' }, false, 'auth.unavailable'],
    ['malformed ACL', { allow: true, acl: { publish: 'a/#' } }, false, 'auth.unavailable'],
  ];
  it.each(answers)('auth - an answer that is %s gives allow=%s with %s', async (_n, body, allow, reason) => {
    const a = authenticator(endpoint(() => body).transport);
    const r = await a.authenticate(id());
    expect([r.allow, r.reason]).toEqual([allow, reason]);
  });

  it('auth - an unreachable endpoint denies with auth.unavailable, is not cached, and cached allows keep passing', async () => {
    let down = false;
    const ep = endpoint(() => (down ? new Error('connect ECONNREFUSED') : { allow: true }));
    const a = authenticator(ep.transport);
    expect((await a.authenticate(id())).allow).toBe(true);
    down = true;
    expect((await a.authenticate(id())).allow).toBe(true);
    const other = await a.authenticate(id({ clientId: 'dev-2' }));
    expect([other.allow, other.reason]).toEqual([false, 'auth.unavailable']);
    down = false;
    expect((await a.authenticate(id({ clientId: 'dev-2' }))).allow).toBe(true);
  });

  it('auth - a slow endpoint is cut at the timeout and denies with auth.unavailable', async () => {
    const ep = endpoint(() => ({ allow: true }), 5_000);
    const a = authenticator(ep.transport, { timeoutMs: 50 });
    const started = performance.now();
    const r = await a.authenticate(id());
    expect([r.allow, r.reason]).toEqual([false, 'auth.unavailable']);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('auth - the cache stays within its bound', async () => {
    const a = authenticator(endpoint(() => ({ allow: true })).transport, { cacheMaxEntries: 100 });
    for (let i = 0; i < 1000; i++) await a.authenticate(id({ clientId: `c${i}` }));
    expect(a.cacheSize()).toBe(100);
  });

  it('auth - metrics hooks see every result and every callout', async () => {
    const results: AuthResult[] = [];
    const callouts: string[] = [];
    const a = new HttpAuthenticator({
      config: authConfigSchema.parse({ url: 'http://127.0.0.1:1/auth' }),
      transport: endpoint(() => ({ allow: true })).transport,
      hooks: { onResult: (r) => results.push(r), onCallout: (o) => callouts.push(o) },
    });
    await a.authenticate(id());
    await a.authenticate(id());
    expect(results.map((r) => r.cache)).toEqual(['miss', 'hit']);
    expect(results.every((r) => r.latencyMs >= 0)).toBe(true);
    expect(callouts).toEqual(['allow']);
  });

  it('auth - 5,000 random and mutated answers never throw and never allow unless the answer says allow: true', async () => {
    const bases = [
      JSON.stringify({ allow: false, acl: { publish: { allow: ['a/#'] } }, ttl: 5, reason: 'auth.expired' }),
      JSON.stringify({ allow: true, acl: { subscribe: { deny: ['b'] }, retain: true }, expiresAt: 4e12 }),
    ];
    let seed = 5;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let body: unknown;
    let allowed = 0;
    const a = authenticator(async () => body, { cacheTtlMs: 0, denyCacheTtlMs: 0 });
    for (let i = 0; i < 5000; i++) {
      const chars = [...(bases[i % 2] as string)];
      for (let k = 0, n = 1 + rnd(4); k < n; k++) chars[rnd(chars.length)] = String.fromCharCode(rnd(128));
      try {
        body = JSON.parse(chars.join(''));
      } catch {
        body = chars.join('');
      }
      const r = await a.authenticate(id({ clientId: `c${i}` }));
      const said = typeof body === 'object' && body !== null && (body as { allow?: unknown }).allow === true;
      if (r.allow) allowed++;
      if (r.allow) expect(said).toBe(true);
      expect(typeof r.reason).toBe('string');
    }
    expect(allowed).toBeGreaterThan(0); // mutations that keep a valid allow still allow
  });
});
