import { describe, expect, it } from 'vitest';
import { rateLimitsConfigSchema, toRateLimits } from '../../src/policy/config.ts';
import { TokenBucketRateLimiter } from '../../src/policy/rate-limit.ts';
import type { RateLimits, RateTier, Verdict } from '../../src/policy/types.ts';

const defaults = (): RateLimits => toRateLimits(rateLimitsConfigSchema.parse({}));

/** Limits where only `tier` is tight (rate 1/s, burst `burst`) so the test isolates it. */
function only(tier: RateTier, burst: number): RateLimits {
  const loose = { rate: 1e9, burst: 1e9 };
  const l: RateLimits = {
    global: loose,
    per_ip: loose,
    connect: loose,
    publish: loose,
    subscribe: loose,
    per_client: loose,
  };
  l[tier] = { rate: 1, burst };
  return l;
}

function reason(v: Verdict): string {
  return v.ok ? 'ok' : v.reason;
}

describe('rate limiter', () => {
  it('rate limit - defaults match the documented table', () => {
    expect(defaults()).toEqual({
      global: { rate: 10_000, burst: 5_000 },
      per_ip: { rate: 100, burst: 1_000 },
      connect: { rate: 10, burst: 500 },
      publish: { rate: 100, burst: 500 },
      subscribe: { rate: 20, burst: 500 },
      per_client: { rate: 50, burst: 500 },
    });
  });

  const cases: { tier: RateTier; call: (rl: TokenBucketRateLimiter, now: number) => Verdict }[] = [
    { tier: 'global', call: (rl, now) => rl.other('10.0.0.1', now) },
    { tier: 'per_ip', call: (rl, now) => rl.other('10.0.0.1', now) },
    { tier: 'connect', call: (rl, now) => rl.connect('10.0.0.1', now) },
    { tier: 'publish', call: (rl, now) => rl.publish('10.0.0.1', 'dev-1', now) },
    { tier: 'subscribe', call: (rl, now) => rl.subscribe('10.0.0.1', 'dev-1', now) },
    { tier: 'per_client', call: (rl, now) => rl.publish('10.0.0.1', 'dev-1', now) },
  ];
  it.each(cases)(
    'rate limit - the $tier tier allows its burst, then denies with rate.$tier',
    ({ tier, call }) => {
      const rl = new TokenBucketRateLimiter({ limits: only(tier, 5) });
      const now = 1_000_000;
      for (let i = 0; i < 5; i++) expect(reason(call(rl, now))).toBe('ok');
      const v = call(rl, now);
      expect(v.ok).toBe(false);
      if (v.ok) return;
      expect(v.reason).toBe(`rate.${tier}`);
      expect(v.rule?.id).toBe(`tier.${tier}`);
      expect(v.rule?.values).toMatchObject({ tier, rate: 1, burst: 5 });
      expect(Number(v.rule?.values?.tokens)).toBeLessThan(1);
      // One second later one token is back.
      expect(reason(call(rl, now + 1000))).toBe('ok');
      expect(reason(call(rl, now + 1000))).toBe(`rate.${tier}`);
    },
  );

  it('rate limit - tiers are evaluated in order and the first empty one names the denial', () => {
    const l = only('per_ip', 2);
    l.per_client = { rate: 1, burst: 2 };
    const rl = new TokenBucketRateLimiter({ limits: l });
    rl.publish('10.0.0.1', 'a', 0);
    rl.publish('10.0.0.1', 'a', 0);
    expect(reason(rl.publish('10.0.0.1', 'a', 0))).toBe('rate.per_ip');
  });

  it('rate limit - a denial takes no token from the tiers that passed', () => {
    const l = only('per_client', 1);
    l.global = { rate: 0.001, burst: 3 };
    const rl = new TokenBucketRateLimiter({ limits: l });
    expect(reason(rl.publish('10.0.0.1', 'greedy', 0))).toBe('ok');
    for (let i = 0; i < 100; i++) expect(reason(rl.publish('10.0.0.1', 'greedy', 0))).toBe('rate.per_client');
    // The global bucket still holds two tokens for everyone else.
    expect(reason(rl.publish('10.0.0.2', 'b', 0))).toBe('ok');
    expect(reason(rl.publish('10.0.0.3', 'c', 0))).toBe('ok');
    expect(reason(rl.publish('10.0.0.4', 'd', 0))).toBe('rate.global');
  });

  it('rate limit - CONNECT over the per-IP CONNECT burst is denied while another IP still connects', () => {
    const rl = new TokenBucketRateLimiter({ limits: defaults() });
    for (let i = 0; i < 500; i++) expect(reason(rl.connect('192.0.2.1', 5))).toBe('ok');
    expect(reason(rl.connect('192.0.2.1', 5))).toBe('rate.connect');
    expect(reason(rl.connect('192.0.2.2', 5))).toBe('ok');
    // 10/s refills one token per 100 ms.
    expect(reason(rl.connect('192.0.2.1', 105))).toBe('ok');
  });

  it('rate limit - a rate of 0 switches the tier off', () => {
    const l = only('subscribe', 1);
    l.subscribe = { rate: 0, burst: 1 };
    const rl = new TokenBucketRateLimiter({ limits: l });
    for (let i = 0; i < 100; i++) expect(reason(rl.subscribe('10.0.0.1', 'x', 0))).toBe('ok');
  });

  it('rate limit - a clock that goes backwards never adds tokens', () => {
    const rl = new TokenBucketRateLimiter({ limits: only('per_ip', 1) });
    expect(reason(rl.other('10.0.0.1', 10_000))).toBe('ok');
    expect(reason(rl.other('10.0.0.1', 5_000))).toBe('rate.per_ip');
  });

  it('rate limit - memory stays bounded when an attacker rotates 1,000,000 source addresses and client ids', () => {
    const cap = 10_000;
    const rl = new TokenBucketRateLimiter({ limits: defaults(), maxBucketsPerTier: cap });
    let now = 0;
    for (let i = 0; i < 1_000_000; i++) {
      if (i % 1000 === 0) now += 1; // 1,000,000 packets/s: far above the global rate, so most are denied
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      rl.connect(ip, now);
      rl.publish(ip, `c${i}`, now);
    }
    expect(rl.perIp.size).toBeLessThanOrEqual(cap);
    expect(rl.connectIp.size).toBeLessThanOrEqual(cap);
    expect(rl.publishClient.size).toBeLessThanOrEqual(cap);
    expect(rl.perClient.size).toBeLessThanOrEqual(cap);
    expect(rl.size()).toBeLessThanOrEqual(5 * cap);
  });

  it('rate limit - eviction under pressure takes refilled buckets and keeps a still-drained one', () => {
    const rl = new TokenBucketRateLimiter({ limits: only('per_ip', 1000), maxBucketsPerTier: 16 });
    for (let i = 0; i < 1000; i++) rl.other('203.0.113.9', 0); // drained: refills 1 token/s
    let now = 0;
    for (let i = 0; i < 1000; i++) {
      now += 100; // each rotating bucket spends one token and is full again one second later
      rl.other(`198.51.100.${i}`, now);
    }
    expect(rl.perIp.forcedEvictions).toBe(0);
    // 100 s later the drained address has ~100 tokens, not the fresh 1000 a recreated bucket would have.
    let allowed = 0;
    for (let i = 0; i < 1000; i++) if (rl.other('203.0.113.9', now).ok) allowed++;
    expect(allowed).toBe(100);
  });

  it('rate limit - sweep drops buckets that have refilled', () => {
    const rl = new TokenBucketRateLimiter({ limits: defaults() });
    for (let i = 0; i < 100; i++) rl.publish(`10.0.0.${i}`, `c${i}`, 0);
    expect(rl.size()).toBe(300);
    expect(rl.sweep(60_000)).toBe(300);
    expect(rl.size()).toBe(0);
  });

  it('config - every tier is configurable and a bad value is rejected', () => {
    const cfg = rateLimitsConfigSchema.parse({ perIp: { rate: 5, burst: 7 } });
    expect(toRateLimits(cfg).per_ip).toEqual({ rate: 5, burst: 7 });
    expect(() => rateLimitsConfigSchema.parse({ connect: { rate: -1 } })).toThrow();
    expect(() => rateLimitsConfigSchema.parse({ nope: {} })).toThrow();
  });
});
