import { describe, expect, it } from 'vitest';
import type { BanDecisionV1, IdentityScope } from '@sentinel/ingest';
import { canonicalIp, parseCidr, parseIp } from '../../src/policy/ip.ts';
import { MemoryPenaltyBox } from '../../src/policy/penalty-box.ts';
import type { ActiveBan } from '../../src/policy/types.ts';

const NOW = 1_800_000_000_000;

function decision(scope: IdentityScope, value: string, over: Partial<BanDecisionV1> = {}): BanDecisionV1 {
  return {
    v: 1,
    id: `d-${scope}-${value}`,
    ts: NOW,
    action: 'ban',
    scope,
    value,
    durationS: 600,
    until: NOW + 600_000,
    origin: 'manual',
    reason: 'test',
    ...over,
  };
}

describe('ip parsing', () => {
  const canon: [string, string | undefined][] = [
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['2001:db8::1', '2001:db8:0:0:0:0:0:1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8:0:0:0:0:0:1'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:1'],
    ['::', '0:0:0:0:0:0:0:0'],
    ['1::', '1:0:0:0:0:0:0:0'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0:0:0:c000:221'],
    ['300.1.1.1', undefined],
    ['not-an-ip', undefined],
    ['', undefined],
  ];
  it.each(canon)('address %s is canonically %s', (input, want) => expect(canonicalIp(input)).toBe(want));

  const cidrs: [string, number | undefined][] = [
    ['10.0.0.0/8', 8],
    ['10.0.0.1', 32],
    ['2001:db8::/32', 32],
    ['::ffff:10.0.0.0/104', 8],
    ['10.0.0.0/33', undefined],
    ['10.0.0.0/x', undefined],
    ['10.0.0.0/', undefined],
  ];
  it.each(cidrs)('range %s has prefix %s', (input, want) => expect(parseCidr(input)?.prefix).toBe(want));

  it('parsing random strings never throws', () => {
    const alphabet = '0123456789abcdef:./%x';
    for (let i = 0; i < 20_000; i++) {
      let s = '';
      for (let k = 0, n = i % 40; k < n; k++) s += alphabet[(i * 7 + k * 13 + k * k) % alphabet.length];
      expect(() => [parseIp(s), parseCidr(s)]).not.toThrow();
    }
  });
});

describe('penalty box', () => {
  const hits: [
    IdentityScope,
    string,
    { ip: string; clientId?: string; username?: string; certFingerprint?: string },
  ][] = [
    ['ip', '192.0.2.7', { ip: '192.0.2.7' }],
    ['ip', '192.0.2.7', { ip: '::ffff:192.0.2.7' }],
    ['ip', '2001:db8::7', { ip: '2001:0db8:0:0::7' }],
    ['ip_range', '198.51.100.0/24', { ip: '198.51.100.200' }],
    ['ip_range', '2001:db8:1::/48', { ip: '2001:db8:1:ffff::1' }],
    ['client_id', 'dev-9', { ip: '10.0.0.1', clientId: 'dev-9' }],
    ['username', 'mallory', { ip: '10.0.0.1', username: 'mallory' }],
    ['cert_fingerprint', 'AB:CD:EF', { ip: '10.0.0.1', certFingerprint: 'abcdef' }],
    ['ip_range', '0.0.0.0/0', { ip: '203.0.113.77' }],
    ['ip_range', '::/0', { ip: '2001:db8::1' }],
    ['ip_range', '10.1.2.3/8', { ip: '10.200.0.1' }],
    ['ip_range', '192.0.2.0/24', { ip: '::ffff:192.0.2.9' }],
  ];
  it.each(hits)('a %s ban on %s covers %j', (scope, value, id) => {
    const box = new MemoryPenaltyBox();
    box.apply(decision(scope, value), NOW);
    expect(box.check(id, NOW)?.scope).toBe(scope);
  });

  const misses: [IdentityScope, string, { ip: string; clientId?: string; username?: string }][] = [
    ['ip', '192.0.2.7', { ip: '192.0.2.8' }],
    ['ip_range', '198.51.100.0/24', { ip: '198.51.101.1' }],
    ['ip_range', '2001:db8:1::/48', { ip: '2001:db8:2::1' }],
    ['client_id', 'dev-9', { ip: '10.0.0.1', clientId: 'dev-90' }],
    ['username', 'mallory', { ip: '10.0.0.1', clientId: 'mallory' }],
    ['ip_range', '0.0.0.0/0', { ip: '2001:db8::1' }],
    ['ip_range', '192.0.2.0/31', { ip: '192.0.2.2' }],
    ['ip', '192.0.2.7', { ip: 'not-an-address' }],
  ];
  it.each(misses)('a %s ban on %s does not cover %j', (scope, value, id) => {
    const box = new MemoryPenaltyBox();
    box.apply(decision(scope, value), NOW);
    expect(box.check(id, NOW)).toBeUndefined();
  });

  it('penalty box - an expired ban is ignored and pruned', () => {
    const box = new MemoryPenaltyBox();
    box.apply(decision('client_id', 'a', { until: NOW + 1000 }), NOW);
    box.apply(decision('ip_range', '10.0.0.0/8', { until: NOW + 1000 }), NOW);
    box.apply(decision('ip', '10.9.9.9', { until: NOW - 1 }), NOW);
    expect(box.size()).toBe(2);
    expect(box.check({ ip: '10.1.1.1', clientId: 'a' }, NOW + 999)).toBeDefined();
    expect(box.check({ ip: '10.1.1.1' }, NOW + 1000)).toBeUndefined();
    expect(box.prune(NOW + 1000)).toBe(2);
    expect(box.check({ ip: '10.1.1.1', clientId: 'a' }, NOW + 1000)).toBeUndefined();
    expect(box.size()).toBe(0);
  });

  it('penalty box - an unban decision and a removal lift the ban', () => {
    const box = new MemoryPenaltyBox();
    box.apply(decision('ip_range', '10.0.0.0/8'), NOW);
    box.apply(decision('username', 'u'), NOW);
    box.apply(decision('ip_range', '10.0.0.0/8', { action: 'unban', until: 0, durationS: 0 }), NOW);
    expect(box.check({ ip: '10.1.1.1' }, NOW)).toBeUndefined();
    expect(box.remove('username', 'u')).toBe(true);
    expect(box.size()).toBe(0);
  });

  it('penalty box - a nested range still bans after the wider one is lifted', () => {
    const box = new MemoryPenaltyBox();
    box.apply(decision('ip_range', '10.0.0.0/8'), NOW);
    box.apply(decision('ip_range', '10.1.0.0/16'), NOW);
    box.remove('ip_range', '10.0.0.0/8');
    expect(box.check({ ip: '10.1.2.3' }, NOW)?.value).toBe('10.1.0.0/16');
    expect(box.check({ ip: '10.2.2.3' }, NOW)).toBeUndefined();
  });

  it('penalty box - a ban with until 0 never expires', () => {
    const box = new MemoryPenaltyBox();
    box.apply(decision('client_id', 'forever', { until: 0 }), NOW);
    expect(box.check({ ip: '1.1.1.1', clientId: 'forever' }, NOW * 2)).toBeDefined();
  });

  it('penalty box - the allowlist is never banned, by IP, range or client id', () => {
    const box = new MemoryPenaltyBox({
      ips: ['127.0.0.1', '10.10.0.0/16', '2001:db8::/64'],
      clientIds: ['ops'],
    });
    const seen: ActiveBan[] = [];
    box.onBan((b) => seen.push(b));
    box.apply(decision('ip', '127.0.0.1'), NOW);
    box.apply(decision('ip_range', '10.0.0.0/8'), NOW);
    box.apply(decision('client_id', 'ops'), NOW);
    box.apply(decision('ip', '2001:db8::5'), NOW);
    expect(box.check({ ip: '127.0.0.1' }, NOW)).toBeUndefined();
    expect(box.check({ ip: '10.10.3.3' }, NOW)).toBeUndefined();
    expect(box.check({ ip: '2001:db8::5' }, NOW)).toBeUndefined();
    expect(box.check({ ip: '10.20.3.3', clientId: 'ops' }, NOW)).toBeUndefined();
    expect(box.check({ ip: '10.20.3.3' }, NOW)?.scope).toBe('ip_range');
    expect(seen.map((b) => b.value)).toEqual(['10.0.0.0/8']);
  });

  it('penalty box - onBan fires once for each new active ban', () => {
    const box = new MemoryPenaltyBox();
    const seen: string[] = [];
    box.onBan((b) => seen.push(`${b.scope}:${b.value}:${b.decisionId}`));
    box.apply(decision('client_id', 'x', { id: 'd1' }), NOW);
    box.apply(decision('client_id', 'y', { id: 'd2', until: NOW - 5 }), NOW);
    box.apply(decision('client_id', 'x', { id: 'd3', action: 'unban', until: 0, durationS: 0 }), NOW);
    expect(seen).toEqual(['client_id:x:d1']);
  });

  it('config - an allowlist entry that is not an address is refused with its value', () => {
    expect(() => new MemoryPenaltyBox({ ips: ['10.0.0.0/99'] })).toThrow(/10\.0\.0\.0\/99/);
  });

  it('penalty box - 100,000 range and IP bans still answer by prefix walk', () => {
    const box = new MemoryPenaltyBox();
    for (let i = 0; i < 50_000; i++) {
      box.apply(decision('ip_range', `10.${i >> 8}.${i & 255}.0/24`), NOW);
      box.apply(decision('ip', `172.16.${i >> 8}.${i & 255}`), NOW);
    }
    expect(box.size()).toBe(100_000);
    expect(box.check({ ip: '10.100.7.9' }, NOW)?.value).toBe('10.100.7.0/24');
    expect(box.check({ ip: '172.16.3.4' }, NOW)?.scope).toBe('ip');
    expect(box.check({ ip: '11.0.0.1' }, NOW)).toBeUndefined();
  });
});
