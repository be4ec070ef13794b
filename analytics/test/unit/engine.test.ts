import { makeEvent } from '@sentinel/ingest';
import type { DecisionEventV1, EventInit } from '@sentinel/ingest';
import { describe, expect, it } from 'vitest';
import { DetectionEngine, loadRules } from '@sentinel/analytics';

const rules = loadRules();
const T0 = 1_767_000_000_000;

function at(ts: number, init: Omit<EventInit, 'node' | 'ts'>): DecisionEventV1 {
  return makeEvent({ node: 'edge-1', ts, ...init });
}
const badLogin = (ts: number, ip: string, username = 'admin'): DecisionEventV1 =>
  at(ts, { reason: 'auth.bad_credentials', subject: { ip, username, clientId: `c-${username}` } });

describe('detection engine', () => {
  it('brute force - four failures in 60 s open nothing, the fifth opens one incident with all five', () => {
    const engine = new DetectionEngine(rules);
    const four = [0, 1, 2, 3].map((i) => badLogin(T0 + i * 1000, '203.0.113.1'));
    expect(engine.process(four).changed).toEqual([]);
    const fifth = badLogin(T0 + 4000, '203.0.113.1');
    const out = engine.process([fifth]);
    expect(out.changed).toHaveLength(1);
    expect(out.changed[0]).toMatchObject({
      scope: 'ip',
      value: '203.0.113.1',
      count: 5,
      firstSeen: T0,
      lastSeen: T0 + 4000,
    });
    expect(out.changed[0]?.rule.id).toBe('auth.brute_force');
    expect(out.changed[0]?.eventIds).toEqual([...four, fifth].map((e) => e.id));
    expect(out.bans).toHaveLength(1);
  });

  it('brute force - failures spread wider than the window never trip it', () => {
    const engine = new DetectionEngine(rules);
    const slow = Array.from({ length: 20 }, (_, i) => badLogin(T0 + i * 16_000, '203.0.113.2'));
    expect(engine.process(slow).changed).toEqual([]);
  });

  it('an incident groups later events of the same identity and escalates severity instead of duplicating', () => {
    const engine = new DetectionEngine(rules);
    const first = engine.process(Array.from({ length: 5 }, (_, i) => badLogin(T0 + i, '203.0.113.3')))
      .changed[0];
    const later = engine.process(
      Array.from({ length: 5 }, (_, i) => badLogin(T0 + 10_000 + i, '203.0.113.3')),
    );
    expect(later.changed).toHaveLength(1);
    expect(later.changed[0]?.incidentId).toBe(first?.incidentId);
    expect(later.changed[0]?.count).toBe(10);
    expect(later.changed[0]?.severity).toBe(8); // 7 + log2(10 / 5)
    expect(later.bans).toEqual([]); // one ban per incident
  });

  it('after the window has passed quietly, a new attack opens a new incident', () => {
    const engine = new DetectionEngine(rules);
    const a = engine.process(Array.from({ length: 5 }, (_, i) => badLogin(T0 + i, '203.0.113.4'))).changed[0];
    const b = engine.process(Array.from({ length: 5 }, (_, i) => badLogin(T0 + 200_000 + i, '203.0.113.4')))
      .changed[0];
    expect(b?.incidentId).toBeDefined();
    expect(b?.incidentId).not.toBe(a?.incidentId);
  });

  it('password spraying - ten usernames from one IP trip the distinct-count rule', () => {
    const engine = new DetectionEngine(rules);
    const events = Array.from({ length: 10 }, (_, i) => badLogin(T0 + i * 20_000, '203.0.113.5', `user${i}`));
    const opened = engine.process(events).changed.map((c) => c.rule.id);
    expect(opened).toContain('auth.password_spraying');
  });

  it('credential stuffing needs a success among many usernames', () => {
    const engine = new DetectionEngine(rules);
    const fails = Array.from({ length: 6 }, (_, i) => badLogin(T0 + i * 30_000, '203.0.113.6', `u${i}`));
    expect(engine.process(fails).changed.map((c) => c.rule.id)).not.toContain('auth.credential_stuffing');
    const ok = at(T0 + 200_000, { reason: 'auth.ok', subject: { ip: '203.0.113.6', username: 'u9' } });
    expect(engine.process([ok]).changed.map((c) => c.rule.id)).toContain('auth.credential_stuffing');
  });

  it('credential stuffing - many devices logging in fine from one NAT address is not an attack', () => {
    const engine = new DetectionEngine(rules);
    const logins = Array.from({ length: 50 }, (_, i) =>
      at(T0 + i * 1000, { reason: 'auth.ok', subject: { ip: '203.0.113.60', username: `meter-${i}` } }),
    );
    expect(engine.process(logins).changed.map((c) => c.rule.id)).toEqual([]);
  });

  it('CONNECT flood - a burst of 50 passes the leaky bucket, the 51st at once overflows it', () => {
    const engine = new DetectionEngine(rules);
    const connect = (i: number): DecisionEventV1 =>
      at(T0 + i, { reason: 'connect.accepted', subject: { ip: '198.51.100.9', clientId: `d${i}` } });
    expect(engine.process(Array.from({ length: 50 }, (_, i) => connect(i))).changed).toEqual([]);
    const out = engine.process([connect(50)]);
    expect(out.changed.map((c) => [c.rule.id, c.rule.technique])).toEqual([['dos.connect_flood', 'T0814']]);
  });

  it('CONNECT flood - one flood a node confirmed opens an incident at once', () => {
    const engine = new DetectionEngine(rules);
    const out = engine.process([
      at(T0, { reason: 'threat.connect_flood', subject: { ip: '198.51.100.10' } }),
    ]);
    expect(out.changed.map((c) => [c.rule.id, c.rule.technique])).toEqual([
      ['dos.connect_flood_confirmed', 'T0814'],
    ]);
  });

  it('CONNECT flood - a steady 5 per second never overflows', () => {
    const engine = new DetectionEngine(rules);
    const steady = Array.from({ length: 600 }, (_, i) =>
      at(T0 + i * 200, { reason: 'connect.accepted', subject: { ip: '198.51.100.10', clientId: 'd' } }),
    );
    expect(engine.process(steady).changed).toEqual([]);
  });

  it('penalty evasion - a banned client coming back from its IP under a new client id', () => {
    const engine = new DetectionEngine(rules);
    const refused = at(T0, { reason: 'penalty.banned', subject: { ip: '192.0.2.7', clientId: 'meter-1' } });
    const back = at(T0 + 5000, {
      reason: 'connect.accepted',
      subject: { ip: '192.0.2.7', clientId: 'meter-1b' },
    });
    const out = engine.process([refused, back]);
    expect(out.changed.map((c) => c.rule.id)).toEqual(['evasion.penalty_evasion']);
    // two client ids from one IP without a ban among them is ordinary NAT traffic
    const nat = [
      at(T0, { reason: 'connect.accepted', subject: { ip: '192.0.2.8', clientId: 'a' } }),
      at(T0 + 1, { reason: 'connect.accepted', subject: { ip: '192.0.2.8', clientId: 'b' } }),
    ];
    expect(new DetectionEngine(rules).process(nat).changed).toEqual([]);
  });

  it.each([
    ['inspect.sqli', 'exploit.injection_payload', 'T1190'],
    ['threat.stolen_client_id', 'identity.stolen_client_id', 'T0859'],
    ['acl.wildcard_denied', 'discovery.wildcard_subscribe', 'T0846'],
  ] as const)('one %s event opens %s (%s)', (reason, rule, technique) => {
    const engine = new DetectionEngine(rules);
    const out = engine.process([
      at(T0, { reason, subject: { ip: '192.0.2.9', clientId: 'dev-9' }, mqtt: { topic: '#' } }),
    ]);
    expect(out.changed.map((c) => [c.rule.id, c.rule.technique])).toContainEqual([rule, technique]);
  });

  it('the same stream gives the same incidents with the same ids (replay is deterministic)', () => {
    const events = Array.from({ length: 40 }, (_, i) =>
      badLogin(T0 + i * 700, `203.0.113.${i % 3}`, `u${i % 12}`),
    );
    const a = new DetectionEngine(rules);
    const b = new DetectionEngine(rules);
    const strip = (xs: ReturnType<DetectionEngine['openIncidents']>): unknown =>
      xs.map((x) => ({
        id: x.incidentId,
        rule: x.rule.id,
        count: x.count,
        value: x.value,
        last: x.lastSeen,
      }));
    a.process(events);
    b.process(events.slice(0, 17));
    b.process(events.slice(17)); // batch boundaries differ between live and replay
    expect(a.openIncidents().length).toBeGreaterThan(2);
    expect(strip(b.openIncidents())).toEqual(strip(a.openIncidents()));
  });

  it('restoring skips events an open incident already counted', () => {
    const engine = new DetectionEngine(rules);
    const events = Array.from({ length: 6 }, (_, i) => badLogin(T0 + i, '203.0.113.20'));
    const inc = engine.process(events).changed[0];
    expect(inc?.count).toBe(6);
    const fresh = new DetectionEngine(rules);
    fresh.restoreIncident({ ...inc!, eventIds: [...inc!.eventIds] });
    const out = fresh.process(events, { restoring: true });
    expect(out.changed).toEqual([]);
    expect(fresh.openIncidents()[0]?.count).toBe(6);
  });
});
