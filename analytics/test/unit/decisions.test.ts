import { describe, expect, it } from 'vitest';
import { Allowlist, analyticsConfigSchema, banDurationS, stableUlid } from '@sentinel/analytics';
import { isUlid, ulidTime } from '@sentinel/ingest';

const policy = { baseS: 600, factor: 2, maxS: 86_400, jitterS: 0 };

describe('ban escalation', () => {
  it.each([
    [1, 600],
    [2, 1200],
    [3, 2400],
    [7, 38_400],
    [8, 76_800],
    [9, 86_400],
    [500, 86_400],
  ])('offense %i bans for %i s (base × factor^(n−1), capped)', (offense, seconds) => {
    expect(banDurationS(policy, offense)).toBe(seconds);
  });

  it('jitter adds 0..jitterS seconds', () => {
    const p = { ...policy, jitterS: 30 };
    expect(banDurationS(p, 1, () => 0)).toBe(600);
    expect(banDurationS(p, 1, () => 0.9999)).toBe(630);
    expect(banDurationS(p, 9, () => 0.5)).toBe(86_415);
  });
});

describe('allowlist', () => {
  const list = new Allowlist(['ip:10.0.0.0/8', 'ip:2001:db8::/32', 'ip:192.0.2.1', 'client_id:gateway-1']);
  it.each([
    ['ip', '10.20.30.40', true],
    ['ip', '11.0.0.1', false],
    ['ip', '2001:db8::7', true],
    ['ip', '2001:db9::7', false],
    ['ip', '192.0.2.1', true],
    ['ip', '192.0.2.2', false],
    ['ip', 'not-an-ip', false],
    ['client_id', 'gateway-1', true],
    ['client_id', 'gateway-2', false],
    ['username', 'gateway-1', false],
  ] as const)('%s %s allowlisted: %s', (scope, value, expected) => {
    expect(list.has(scope, value)).toBe(expected);
  });

  it('config refuses malformed entries, naming the value', () => {
    const bad = analyticsConfigSchema.safeParse({ allowlist: ['ip:999.1.1.1/8'] });
    expect(bad.success).toBe(false);
    expect(analyticsConfigSchema.safeParse({ allowlist: ['host:x'] }).success).toBe(false);
    expect(analyticsConfigSchema.safeParse({ allowlist: ['ip:10.0.0.0/33'] }).success).toBe(false);
    expect(analyticsConfigSchema.safeParse({ allowlist: ['ip:2001:db8::/129'] }).success).toBe(false);
    expect(analyticsConfigSchema.safeParse({ allowlist: ['ip:2001:db8::/48'] }).success).toBe(true);
    expect(analyticsConfigSchema.safeParse({ allowlist: ['ip:10.0.0.0/8', 'username:ops'] }).success).toBe(
      true,
    );
  });
});

describe('deterministic ids', () => {
  it('are ULIDs carrying the given time, equal for equal content and different otherwise', () => {
    const a = stableUlid(1_767_000_000_123, 'incident|x');
    expect(isUlid(a)).toBe(true);
    expect(ulidTime(a)).toBe(1_767_000_000_123);
    expect(stableUlid(1_767_000_000_123, 'incident|x')).toBe(a);
    expect(stableUlid(1_767_000_000_123, 'incident|y')).not.toBe(a);
  });
});
