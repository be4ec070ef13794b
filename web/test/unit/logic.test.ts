import { describe, expect, it } from 'vitest';
import type { SentinelEvent } from '../../src/api/types.ts';
import { MITRE_URL, formatDuration, payloadPreview, severityBand } from '../../src/components/format.ts';
import { DEFAULT_FORM, matchesForm, mergeLive, toQuery } from '../../src/pages/incidentFilter.ts';
import { EMPTY_FEED, addEvent, addGap, resume } from '../../src/pages/liveBuffer.ts';
import { groupByTactic, heatLevel } from '../../src/pages/Mitre.tsx';
import { dayRange } from '../../src/pages/Compliance.tsx';
import { incident } from './fakes.ts';

const ev = (id: string): SentinelEvent => ({
  id,
  ts: 1,
  node: 'n',
  kind: 'auth',
  decision: 'deny',
  reason: 'auth.bad_credentials',
  severity: 4,
  clientId: 'c',
  username: '',
  ip: '127.0.0.1',
  certFingerprint: '',
  transport: 'tcp',
  packetType: 'connect',
  topic: '',
  ruleId: '',
  technique: '',
  matched: '',
  message: '',
});

describe('incident filters', () => {
  it('translate the form into the api query, upper-casing the technique and dropping empty fields', () => {
    const q = toQuery(
      { ...DEFAULT_FORM, technique: ' t1110 ', minSeverity: 7, identity: ' dev-1 ' },
      1_000_000_000,
      25,
    );
    expect(q).toEqual({
      from: 1_000_000_000 - 86_400_000,
      minSeverity: 7,
      technique: 'T1110',
      identity: 'dev-1',
      sort: 'lastSeen',
      order: 'desc',
      limit: 25,
    });
  });

  it('match a live incident the same way the api filter would, sub-techniques included', () => {
    const now = Date.now();
    const i = incident({ technique: 'T1110.001', severity: 8 });
    expect(matchesForm(i, { ...DEFAULT_FORM, technique: 'T1110' }, now)).toBe(true);
    expect(matchesForm(i, { ...DEFAULT_FORM, technique: 'T111' }, now)).toBe(false);
    expect(matchesForm(i, { ...DEFAULT_FORM, minSeverity: 9 }, now)).toBe(false);
    expect(matchesForm(i, { ...DEFAULT_FORM, status: 'resolved' }, now)).toBe(false);
    expect(matchesForm(incident({ lastSeen: now - 2 * 86_400_000 }), DEFAULT_FORM, now)).toBe(false);
  });

  it('put a new live incident on top, update a known one in place and keep the page size', () => {
    const rows = [
      incident({ incidentId: 'a' }),
      incident({ incidentId: 'b', status: 'acknowledged', assignee: 'rita' }),
    ];
    const added = mergeLive(rows, incident({ incidentId: 'c' }), 2);
    expect(added.map((r) => r.incidentId)).toEqual(['c', 'a']);
    const updated = mergeLive(rows, incident({ incidentId: 'b', eventCount: 99, status: 'new' }), 2);
    expect(updated.map((r) => [r.incidentId, r.eventCount, r.status, r.assignee])).toEqual([
      ['a', 12, 'new', ''],
      ['b', 99, 'acknowledged', 'rita'],
    ]);
  });
});

describe('live feed buffer', () => {
  it('stays bounded, newest first', () => {
    let f = EMPTY_FEED;
    for (let i = 0; i < 10; i++) f = addEvent(f, ev(`e${i}`), false, 4);
    expect(f.items.map((e) => e.id)).toEqual(['e9', 'e8', 'e7', 'e6']);
  });

  it('holds events while paused and shows them on resume, still bounded', () => {
    let f = addEvent(EMPTY_FEED, ev('a'), false, 3);
    f = addEvent(f, ev('b'), true, 3);
    f = addEvent(f, ev('c'), true, 3);
    expect(f.items.map((e) => e.id)).toEqual(['a']);
    f = resume(f, 3);
    expect(f.items.map((e) => e.id)).toEqual(['c', 'b', 'a']);
    expect(f.held).toEqual([]);
  });

  it('adds up what the server reports as missed', () => {
    expect(addGap(addGap(EMPTY_FEED, 5), 7).missed).toBe(12);
  });
});

describe('formatting', () => {
  it('links techniques and sub-techniques to their ATT&CK pages', () => {
    expect(MITRE_URL('T1110')).toBe('https://attack.mitre.org/techniques/T1110/');
    expect(MITRE_URL('T1110.001')).toBe('https://attack.mitre.org/techniques/T1110/001/');
  });

  it('names severity bands and durations', () => {
    expect([0, 1, 4, 7, 9, 10].map(severityBand)).toEqual([
      'info',
      'low',
      'medium',
      'high',
      'critical',
      'critical',
    ]);
    expect([30, 900, 3600, 86_400, 90].map(formatDuration)).toEqual(['30s', '15m', '1h', '1d', '90s']);
  });

  it('shows a quarantined payload as printable text only', () => {
    const b64 = btoa("' OR 1=1 --\u0000\u001b[31m");
    expect(payloadPreview(b64)).toBe("' OR 1=1 --··[31m");
    expect(payloadPreview(btoa('x'.repeat(20)), 8)).toBe('xxxxxxxx…');
  });

  it('shades heatmap cells in five steps relative to the busiest technique', () => {
    expect([0, 1, 5, 10].map((n) => heatLevel(n, 10))).toEqual([0, 1, 3, 5]);
    expect(heatLevel(3, 0)).toBe(0);
  });

  it('groups techniques by matrix and tactic', () => {
    const t = (id: string, tactic: string, matrix = 'enterprise') => ({
      id,
      name: id,
      tactic,
      matrix,
      covered: false,
      rules: [],
      incidents: 0,
    });
    const g = groupByTactic([
      t('T1110', 'credential-access'),
      t('T0855', 'impair-process-control', 'ics'),
      t('T1078', 'credential-access'),
    ]);
    expect(g.map((x) => [x.matrix, x.tactic, x.techniques.map((y) => y.id)])).toEqual([
      ['enterprise', 'credential-access', ['T1110', 'T1078']],
      ['ics', 'impair-process-control', ['T0855']],
    ]);
  });

  it('turns report days into an inclusive UTC range', () => {
    const r = dayRange('2026-01-01', '2026-01-02');
    expect(new Date(r.from).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(new Date(r.to).toISOString()).toBe('2026-01-02T23:59:59.999Z');
  });
});
