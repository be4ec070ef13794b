import { describe, expect, it } from 'vitest';
import {
  EVENT_KINDS,
  REASONS,
  makeEvent,
  validateAnalystAction,
  validateBanDecision,
  validateDecisionEvent,
  validateIncident,
  ulid,
  MITRE_TECHNIQUES,
  technique,
  techniqueUrl,
  banKey,
  parseBanKey,
} from '@sentinel/ingest';
import type { ReasonCode } from '@sentinel/ingest';

const subject = { clientId: 'meter-1', ip: '198.51.100.4', port: 40000, protocolVersion: 4 as const };

describe('event contract v1', () => {
  it('makeEvent fills kind, decision, severity and technique from the reason code', () => {
    const ev = makeEvent({ node: 'edge-1', reason: 'auth.bad_credentials', subject });
    expect(ev).toMatchObject({
      v: 1,
      kind: 'auth',
      decision: 'deny',
      severity: 5,
      rule: { technique: 'T1110' },
    });
    expect(validateDecisionEvent(ev)).toEqual({ ok: true, value: ev });
  });

  it('every reason code builds an event that validates, with a kind from the enum', () => {
    for (const code of Object.keys(REASONS) as ReasonCode[]) {
      const ev = makeEvent({ node: 'n', reason: code, subject });
      expect(EVENT_KINDS).toContain(ev.kind);
      const v = validateDecisionEvent(ev);
      expect(v.ok, `${code}: ${JSON.stringify(v)}`).toBe(true);
    }
  });

  it('every technique a reason code names is in the MITRE catalog', () => {
    for (const [code, info] of Object.entries(REASONS)) {
      if ('technique' in info) expect(technique(info.technique ?? ''), code).toBeDefined();
    }
    expect(techniqueUrl('T1110.003')).toBe('https://attack.mitre.org/techniques/T1110/003/');
    expect(Object.keys(MITRE_TECHNIQUES)).toContain('T0855');
  });

  it.each([
    ['a missing kind', { kind: undefined }, 'kind is required'],
    ['an unknown kind', { kind: 'telepathy' }, 'kind must be one of'],
    ['a severity above 10', { severity: 11 }, 'severity must be between 0 and 10, got 11'],
    ['a fractional severity', { severity: 2.5 }, 'severity must be an integer'],
    ['an unknown reason', { reason: 'auth.magic' }, 'reason is not a known reason code'],
    ['a bad id', { id: 'not-a-ulid' }, 'id must be a ULID'],
    ['schema version 2', { v: 2 }, 'v must be 1'],
    ['a subject that is a string', { subject: 'x' }, 'subject must be an object'],
    [
      'a port out of range',
      { subject: { ip: '1.2.3.4', port: 70000 } },
      'subject.port must be between 0 and 65535',
    ],
    ['QoS 3', { mqtt: { qos: 3 } }, 'mqtt.qos must be one of 0, 1, 2'],
    [
      'rule values holding an object',
      { rule: { id: 'x', values: { a: {} } } },
      'rule.values.a must be a string, number or boolean',
    ],
  ])('rejects an event with %s and names the field', (_name, patch, message) => {
    const ev = { ...makeEvent({ node: 'n', reason: 'auth.ok', subject }), ...patch };
    const v = validateDecisionEvent(ev);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.problems.map((p) => `${p.field} ${p.problem}`).join('; ')).toContain(message);
  });

  it('rejects non-objects at the top level', () => {
    for (const bad of [null, 42, 'x', [1]]) {
      const v = validateDecisionEvent(bad);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.problems[0]?.field).toBe('(record)');
    }
  });

  it('validates incidents, ban decisions and analyst actions', () => {
    const now = Date.now();
    const incident = {
      v: 1,
      id: ulid(),
      ts: now,
      incidentId: 'inc-1',
      rule: 'auth.brute_force',
      title: 'Credential brute force from 198.51.100.4',
      severity: 7,
      status: 'new',
      technique: 'T1110',
      tactic: 'Credential Access',
      identity: { scope: 'ip', value: '198.51.100.4' },
      firstSeen: now - 1000,
      lastSeen: now,
      eventCount: 5,
      eventIds: [ulid()],
    };
    expect(validateIncident(incident).ok).toBe(true);
    expect(validateIncident({ ...incident, status: 'closed' }).ok).toBe(false);
    const ban = {
      v: 1,
      id: ulid(),
      ts: now,
      action: 'ban',
      scope: 'ip_range',
      value: '198.51.100.0/24',
      durationS: 600,
      until: now + 600_000,
      origin: 'analytics',
      reason: 'auth.brute_force',
      offense: 2,
    };
    expect(validateBanDecision(ban).ok).toBe(true);
    const badBan = validateBanDecision({ ...ban, scope: 'planet' });
    expect(badBan.ok).toBe(false);
    const action = {
      v: 1,
      id: ulid(),
      ts: now,
      action: 'ban.create',
      actor: 'alice',
      role: 'responder',
      target: 'ip:1.2.3.4',
    };
    expect(validateAnalystAction(action).ok).toBe(true);
    expect(validateAnalystAction({ ...action, actor: '' }).ok).toBe(false);
  });

  it('ban keys survive IPv6 addresses, CIDR ranges and certificate subjects', () => {
    for (const value of ['2001:db8::1', '10.0.0.0/8', 'CN=meter 1,O=Acme', 'a.b']) {
      const key = banKey('ip', value);
      expect(key).toMatch(/^[-/_=.a-zA-Z0-9]+$/);
      expect(parseBanKey(key)).toEqual({ scope: 'ip', value });
    }
  });
});
