// WS /api/v1/stream against real JetStream: live incidents as analytics raises them, server-side filters,
// authentication by header or first message (never the URL), and a slow client that is told what it missed.
import { makeEvent } from '@sentinel/ingest';
import type { DecisionEventV1 } from '@sentinel/ingest';
import { waitFor } from '@sentinel/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { badLogin, startKit } from './kit.ts';
import type { Kit } from './kit.ts';

interface Msg {
  type: string;
  missed?: number;
  data?: {
    rule?: string;
    identity?: { value: string };
    kind?: string;
    subject?: { ip?: string };
    id?: string;
  };
}

let kit: Kit;
beforeAll(async () => {
  kit = await startKit({ api: { stream: { queueSize: 5, maxBufferedBytes: 4096, authTimeoutS: 1 } } });
});
afterAll(async () => kit?.close());

function open(
  headers: Record<string, string> = {},
  query = '',
): { ws: WebSocket; msgs: Msg[]; closed: Promise<number> } {
  const ws = new WebSocket(`${kit.api.url.replace('http', 'ws')}/api/v1/stream${query}`, { headers });
  const msgs: Msg[] = [];
  ws.on('message', (d) => msgs.push(JSON.parse(d.toString()) as Msg));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return { ws, msgs, closed };
}

describe('live stream', () => {
  it('delivers a live incident to a client that authenticated with the Authorization header', async () => {
    const c = open({ authorization: `Bearer ${kit.tokens.analyst}` });
    await waitFor('ready', async () => c.msgs.some((m) => m.type === 'ready'));
    c.ws.send(JSON.stringify({ type: 'subscribe', filter: { types: ['incident'] } }));
    await waitFor('subscribed', async () => c.msgs.some((m) => m.type === 'subscribed'));
    for (let i = 0; i < 5; i++) kit.node.publish(badLogin('198.51.100.77', `root${i}`));
    const inc = await waitFor(
      'the incident on the stream',
      async () => c.msgs.find((m) => m.type === 'incident' && m.data?.rule === 'auth.brute_force'),
      { timeoutMs: 20_000 },
    );
    expect(inc.data?.identity?.value).toBe('198.51.100.77');
    expect(c.msgs.some((m) => m.type === 'event')).toBe(false);
    c.ws.close();
  });

  it('authenticates with the first message and applies kind and identity filters server-side', async () => {
    const c = open();
    c.ws.on('open', () => c.ws.send(JSON.stringify({ type: 'auth', token: kit.tokens.auditor })));
    await waitFor('ready', async () => c.msgs.some((m) => m.type === 'ready'));
    c.ws.send(
      JSON.stringify({
        type: 'subscribe',
        filter: { types: ['event'], kinds: ['auth'], identity: '198.51.100.88' },
      }),
    );
    await waitFor('subscribed', async () => c.msgs.some((m) => m.type === 'subscribed'));
    kit.node.publish(badLogin('198.51.100.99', 'other'));
    const mine = badLogin('198.51.100.88', 'me');
    kit.node.publish(mine);
    await waitFor('my event', async () => c.msgs.some((m) => m.data?.id === mine.id), { timeoutMs: 10_000 });
    const events = c.msgs.filter((m) => m.type === 'event');
    expect(events.every((m) => m.data?.kind === 'auth' && m.data.subject?.ip === '198.51.100.88')).toBe(true);
    c.ws.send('not json');
    await waitFor('an error answer', async () => c.msgs.some((m) => m.type === 'error'));
    c.ws.close();
  });

  it('closes with 4401 a client that does not authenticate, or puts its token in the URL, or sends a bad one', async () => {
    const silent = open();
    expect(await silent.closed).toBe(4401);
    const inUrl = open({}, `?token=${kit.tokens.admin}`);
    expect(await inUrl.closed).toBe(4401);
    const bad = open({ authorization: `Bearer snt_${'x'.repeat(43)}` });
    expect(await bad.closed).toBe(4401);
  });

  it('a slow client loses the oldest messages and gets a gap notice saying how many', async () => {
    const c = open({ authorization: `Bearer ${kit.tokens.analyst}` });
    await waitFor('ready', async () => c.msgs.some((m) => m.type === 'ready'));
    c.ws.send(JSON.stringify({ type: 'subscribe', filter: { types: ['event'], identity: '203.0.113.200' } }));
    await waitFor('subscribed', async () => c.msgs.some((m) => m.type === 'subscribed'));
    const socket = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const big = 'x'.repeat(4000);
    const sent: DecisionEventV1[] = [];
    // 48 MB: more than loopback socket buffers hold, so the server side must queue and drop
    for (let i = 0; i < 12_000; i++) {
      const e = makeEvent({
        node: 'edge-1',
        reason: 'rate.per_ip',
        subject: { ip: '203.0.113.200' },
        message: big,
      });
      sent.push(e);
      kit.api.stream.broadcast({ type: 'event', data: e });
    }
    socket.resume();
    const lastId = sent[sent.length - 1]?.id;
    await waitFor('the newest message', async () => c.msgs.some((m) => m.data?.id === lastId), {
      timeoutMs: 30_000,
    });
    const gaps = c.msgs.filter((m) => m.type === 'gap');
    const live = c.msgs.filter((m) => m.type === 'event');
    expect(gaps.length).toBeGreaterThan(0);
    const missed = gaps.reduce((s, g) => s + (g.missed ?? 0), 0);
    expect(live.length + missed).toBe(sent.length);
    // what arrived is in order, and the newest is never the one dropped
    const order = live.map((m) => sent.findIndex((e) => e.id === m.data?.id));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    c.ws.close();
  });
});
