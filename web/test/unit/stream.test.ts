import { describe, expect, it, vi } from 'vitest';
import { LiveStreamClient, flattenEvent, flattenIncident, streamUrl } from '../../src/api/stream.ts';
import type { Incident, SentinelEvent } from '../../src/api/types.ts';
import { FakeWebSocket, TOKEN } from './fakes.ts';

function open(filter?: Parameters<LiveStreamClient['subscribe']>[0]) {
  const seen = {
    events: [] as SentinelEvent[],
    incidents: [] as Incident[],
    gaps: [] as number[],
    states: [] as string[],
  };
  const sockets: FakeWebSocket[] = [];
  const c = new LiveStreamClient({
    url: 'ws://api.test/api/v1/stream',
    token: TOKEN,
    ...(filter ? { filter } : {}),
    retryMs: 10,
    ws: (u) => {
      const s = new FakeWebSocket(u);
      sockets.push(s);
      return s as unknown as WebSocket;
    },
    handlers: {
      onEvent: (e) => seen.events.push(e),
      onIncident: (i) => seen.incidents.push(i),
      onGap: (n) => seen.gaps.push(n),
      onState: (s) => seen.states.push(s),
    },
  }).open();
  return { c, seen, sockets };
}

describe('live stream client', () => {
  it('derives ws and wss URLs from the page origin, with no token in them', () => {
    expect(streamUrl('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080/api/v1/stream');
    expect(streamUrl('https://sentinel.example')).toBe('wss://sentinel.example/api/v1/stream');
  });

  it('authenticates with the first message, then sends its filter once the server is ready', () => {
    const { sockets, seen } = open({ types: ['incident'], minSeverity: 5 });
    const s = sockets[0]!;
    s.accept();
    expect(s.url).not.toContain(TOKEN);
    expect(s.sent).toEqual([
      { type: 'auth', token: TOKEN },
      { type: 'subscribe', filter: { types: ['incident'], minSeverity: 5 } },
    ]);
    expect(seen.states).toEqual(['connecting', 'live']);
  });

  it('hands events, incidents and gaps to their handlers in the console shapes', () => {
    const { sockets, seen } = open();
    const s = sockets[0]!;
    s.accept();
    s.push({
      type: 'event',
      data: {
        v: 1,
        id: 'E1',
        ts: 5,
        node: 'n1',
        kind: 'auth',
        decision: 'deny',
        reason: 'auth.bad_credentials',
        severity: 4,
        subject: { clientId: 'dev-1', ip: '127.0.0.9' },
        rule: { id: 'auth.callout', technique: 'T1110' },
      },
    });
    s.push({
      type: 'incident',
      data: {
        v: 1,
        id: 'R1',
        ts: 6,
        incidentId: 'I1',
        rule: 'auth.brute_force',
        title: 'Brute force',
        severity: 8,
        status: 'new',
        technique: 'T1110',
        tactic: 'credential-access',
        identity: { scope: 'client_id', value: 'dev-1' },
        firstSeen: 1,
        lastSeen: 6,
        eventCount: 10,
        eventIds: ['E1'],
      },
    });
    s.push({ type: 'gap', missed: 17 });
    s.push('not an object we know');
    expect(seen.events.map((e) => [e.clientId, e.ip, e.technique, e.topic])).toEqual([
      ['dev-1', '127.0.0.9', 'T1110', ''],
    ]);
    expect(seen.incidents.map((i) => [i.incidentId, i.scope, i.identity, i.assignee])).toEqual([
      ['I1', 'client_id', 'dev-1', ''],
    ]);
    expect(seen.gaps).toEqual([17]);
  });

  it('reconnects after a dropped connection but not after the server refused the token', async () => {
    vi.useFakeTimers();
    try {
      const { sockets, seen } = open();
      sockets[0]!.accept();
      sockets[0]!.serverClose(1006);
      await vi.advanceTimersByTimeAsync(20);
      expect(sockets).toHaveLength(2);
      sockets[1]!.serverClose(4401);
      await vi.advanceTimersByTimeAsync(1000);
      expect(sockets).toHaveLength(2);
      expect(seen.states.at(-1)).toBe('unauthorized');
    } finally {
      vi.useRealTimers();
    }
  });

  it('flattens a stream event without a subject or mqtt part to empty fields', () => {
    const e = flattenEvent({
      v: 1,
      id: 'x',
      ts: 1,
      node: 'n',
      kind: 'protocol',
      decision: 'disconnect',
      reason: 'protocol.malformed',
      severity: 5,
      subject: {},
    });
    expect([e.clientId, e.ip, e.topic, e.ruleId, e.message]).toEqual(['', '', '', '', '']);
    const i = flattenIncident({
      v: 1,
      id: 'r',
      ts: 1,
      incidentId: 'i',
      rule: 'r',
      title: 't',
      severity: 1,
      status: 'new',
      technique: '',
      tactic: '',
      identity: { scope: 'ip', value: '127.0.0.1' },
      firstSeen: 1,
      lastSeen: 1,
      eventCount: 1,
      eventIds: [],
    });
    expect([i.scope, i.identity, i.remediation]).toEqual(['ip', '127.0.0.1', '']);
  });
});
