// Writes through the api reach the systems that act on them: a ban lands in the bans bucket every
// enforcement node follows (and is refused for allowlisted identities), an unban removes it, a released
// quarantined message reaches a real MQTT subscriber on the core broker; each write is an action event.
// Malformed requests get 400s naming the field and the reason.
import { jetstream } from '@nats-io/jetstream';
import { STREAMS, SUBJECTS, banKey } from '@sentinel/ingest';
import type { AnalystActionV1, BanDecisionV1 } from '@sentinel/ingest';
import { waitFor } from '@sentinel/infra';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKit } from './kit.ts';
import type { Kit } from './kit.ts';

let kit: Kit;
beforeAll(async () => {
  kit = await startKit();
});
afterAll(async () => kit?.close());

async function actions(k: Kit): Promise<AnalystActionV1[]> {
  const js = jetstream(k.nc);
  const c = await js.consumers.get(STREAMS.actions);
  const pending = (await c.info()).num_pending;
  const out: AnalystActionV1[] = [];
  if (pending === 0) return out;
  for await (const m of await c.fetch({ max_messages: pending, expires: 2000 })) {
    out.push(m.json<AnalystActionV1>());
    if (out.length >= pending) break;
  }
  return out;
}

describe('bans through the api', () => {
  it('a responder ban reaches the bans bucket and the decision stream, and the lift removes it', async () => {
    const res = await kit.call('POST', '/api/v1/bans', kit.tokens.responder, {
      scope: 'ip',
      value: '203.0.113.50',
      durationS: 900,
      reason: 'manual containment',
    });
    expect(res.status, res.bytes.toString()).toBe(201);
    const entry = await kit.bans.get(banKey('ip', '203.0.113.50'));
    const ban = entry?.json<BanDecisionV1>();
    expect(ban).toMatchObject({
      action: 'ban',
      origin: 'manual',
      actor: 'responder-1',
      durationS: 900,
      reason: 'manual containment',
    });
    const active = await kit.call('GET', '/api/v1/bans?scope=ip', kit.tokens.analyst);
    expect((active.json as { items: BanDecisionV1[] }).items.map((b) => b.value)).toContain('203.0.113.50');

    const lift = await kit.call(
      'DELETE',
      '/api/v1/bans/ip/203.0.113.50?reason=false%20positive',
      kit.tokens.responder,
    );
    expect(lift.status, lift.bytes.toString()).toBe(200);
    expect((await kit.bans.get(banKey('ip', '203.0.113.50')))?.operation).not.toBe('PUT');
    await waitFor(
      'ban and unban in the store',
      async () => {
        const past = await kit.call(
          'GET',
          '/api/v1/bans?state=past&scope=ip&value=203.0.113.50',
          kit.tokens.auditor,
        );
        const items = (past.json as { items: BanDecisionV1[] }).items;
        return items.some((b) => b.action === 'ban') && items.some((b) => b.action === 'unban');
      },
      { timeoutMs: 15_000 },
    );
    const acts = await actions(kit);
    const ours = acts.filter((a) => a.target === 'ip:203.0.113.50');
    expect(ours.map((a) => a.action)).toEqual(['ban.create', 'ban.lift']);
    expect(ours.every((a) => a.actor === 'responder-1' && !JSON.stringify(a).includes('snt_'))).toBe(true);
    const decisions = await jetstream(kit.nc).streams.get(STREAMS.decisions);
    expect(
      (await decisions.getMessage({ last_by_subj: `${SUBJECTS.decisions}.unban` }))?.json<BanDecisionV1>(),
    ).toMatchObject({
      value: '203.0.113.50',
      actor: 'responder-1',
    });
  });

  it('an allowlisted identity is not banned: 409 and nothing in the bucket', async () => {
    const res = await kit.call('POST', '/api/v1/bans', kit.tokens.responder, {
      scope: 'ip',
      value: '10.1.2.3',
    });
    expect(res.status).toBe(409);
    expect(await kit.bans.get(banKey('ip', '10.1.2.3'))).toBeNull();
  });

  it('lifting a ban that does not exist is a 404', async () => {
    expect((await kit.call('DELETE', '/api/v1/bans/client_id/nobody', kit.tokens.responder)).status).toBe(
      404,
    );
  });
});

describe('quarantine through the api', () => {
  async function quarantine(topic: string, payload: string): Promise<number> {
    const js = jetstream(kit.nc);
    const ack = await js.publish(
      `${SUBJECTS.quarantine}.edge-1.${Buffer.from('pump-7').toString('base64url')}`,
      JSON.stringify({
        v: 1,
        id: `01JQ${Math.random().toString(36).slice(2, 12).toUpperCase().padEnd(22, '0')}`.slice(0, 26),
        ts: Date.now(),
        node: 'edge-1',
        sessionId: 's-1',
        clientId: 'pump-7',
        ip: '192.0.2.7',
        protocolVersion: 4,
        topic,
        qos: 1,
        retain: false,
        reason: 'anomaly.payload_size',
        rule: 'anomaly.payload_size',
        severity: 5,
        size: payload.length,
        payload: Buffer.from(payload).toString('base64'),
      }),
    );
    return ack.seq;
  }

  it('release re-publishes the original payload to the core broker and removes it; discard only removes', async () => {
    const keep = await quarantine('devices/pump-7/telemetry', 'held-but-fine');
    const drop = await quarantine('devices/pump-7/telemetry', 'really-bad');
    const listed = await kit.call('GET', '/api/v1/quarantine', kit.tokens.analyst);
    expect((listed.json as { items: { seq: number }[] }).items.map((i) => i.seq)).toEqual([keep, drop]);

    const sub = await connectAsync(`mqtt://127.0.0.1:${kit.server.mqttPort}`, {
      clientId: 'release-watcher',
    });
    const got = new Promise<string>((resolve) => sub.on('message', (_t, p) => resolve(p.toString())));
    await sub.subscribeAsync('devices/pump-7/telemetry', { qos: 1 });
    const rel = await kit.call('POST', `/api/v1/quarantine/${keep}/release`, kit.tokens.responder);
    expect(rel.status, rel.bytes.toString()).toBe(200);
    expect(await got).toBe('held-but-fine');
    await sub.endAsync();

    const dis = await kit.call('POST', `/api/v1/quarantine/${drop}/discard`, kit.tokens.responder);
    expect(dis.status).toBe(200);
    const after = await kit.call('GET', '/api/v1/quarantine', kit.tokens.analyst);
    expect((after.json as { items: unknown[] }).items).toEqual([]);
    expect((await kit.call('POST', `/api/v1/quarantine/${keep}/release`, kit.tokens.responder)).status).toBe(
      404,
    );
    const acts = (await actions(kit)).map((a) => a.action);
    expect(acts).toContain('quarantine.release');
    expect(acts).toContain('quarantine.discard');
  });
});

describe('malformed requests', () => {
  const BAD: [string, string, unknown, string[]][] = [
    ['GET', '/incidents?minSeverity=11', undefined, ['query.minSeverity']],
    ['GET', '/incidents?technique=X1', undefined, ['query.technique']],
    ['GET', '/incidents?sort=random', undefined, ['query.sort']],
    ['GET', '/incidents?cursor=not-ours', undefined, ['query.cursor']],
    ['GET', '/events?kind=nope&limit=0', undefined, ['query.kind', 'query.limit']],
    ['GET', '/quarantine?limit=abc', undefined, ['query.limit']],
    ['POST', '/bans', { scope: 'planet', value: 'x' }, ['body.scope']],
    ['POST', '/bans', { scope: 'ip' }, ['body.value']],
    ['POST', '/bans', { scope: 'ip', value: '203.0.113.9', durationS: -5 }, ['body.durationS']],
    ['POST', '/bans', '{"scope":', ['body']],
    ['PATCH', '/incidents/abc', { status: 'closed' }, ['body.status']],
    ['PATCH', '/incidents/abc', {}, ['body']],
    ['POST', '/reports', { standard: 'iso27001' }, ['body.standard', 'body.from', 'body.to']],
    ['POST', '/tokens', { name: 'has space', role: 'root' }, ['body.name', 'body.role']],
  ];
  it.each(BAD)('%s %s is a 400 naming the field and the reason', async (method, path, body, fields) => {
    const token = path.startsWith('/tokens')
      ? kit.tokens.admin
      : path.startsWith('/reports')
        ? kit.tokens.auditor
        : kit.tokens.responder;
    const res = await kit.call(method, `/api/v1${path}`, token, body);
    expect(res.status, res.bytes.toString()).toBe(400);
    const err = (res.json as { error: { code: string; fields: { field: string; reason: string }[] } }).error;
    expect(err.code).toBe('VALIDATION');
    expect(err.fields.map((f) => f.field).sort()).toEqual(expect.arrayContaining(fields));
    for (const f of err.fields) expect(f.reason.length).toBeGreaterThan(3);
  });
});

describe('request fuzzing', () => {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(Math.random() * a.length)] as T;
  const keys = [
    'from',
    'to',
    'minSeverity',
    'status',
    'technique',
    'tactic',
    'scope',
    'identity',
    'sort',
    'order',
    'limit',
    'cursor',
    'kind',
    'reason',
    'x',
  ];
  const values = [
    '',
    '0',
    '-1',
    '1e309',
    'NaN',
    '%00',
    "'; DROP TABLE events_v1 --",
    '{name:String}',
    'T1110',
    'ip',
    '😀',
    'a'.repeat(3000),
    '[]',
    'null',
  ];

  it('random query strings and bodies get 200, 400 or 404 answers, never a 5xx', async () => {
    const paths = [
      '/incidents',
      '/events',
      '/identities',
      '/bans',
      '/overview',
      '/mitre/coverage',
      '/quarantine',
    ];
    // readers rotate so that no token's rate-limit bucket runs dry (the responder's is kept for the bodies)
    const readers = [kit.tokens.analyst, kit.tokens.auditor, kit.tokens.admin];
    for (let i = 0; i < 150; i++) {
      const q = Array.from(
        { length: 1 + (i % 4) },
        () => `${pick(keys)}=${encodeURIComponent(pick(values))}`,
      ).join('&');
      const res = await kit.call('GET', `/api/v1${pick(paths)}?${q}`, readers[i % readers.length]);
      expect([200, 400, 404], `${q}: ${res.bytes.toString().slice(0, 200)}`).toContain(res.status);
    }
    for (let i = 0; i < 60; i++) {
      const body = Object.fromEntries(Array.from({ length: 1 + (i % 4) }, () => [pick(keys), pick(values)]));
      const res = await kit.call('POST', '/api/v1/bans', kit.tokens.responder, body);
      expect([400, 409], JSON.stringify(body).slice(0, 200)).toContain(res.status);
    }
  });
});
