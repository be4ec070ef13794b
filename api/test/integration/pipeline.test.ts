// The whole pipeline behind the api: real MQTT clients through a real enforcement node (proxy mode in front
// of nats-server's MQTT, the reference auth service on MariaDB for credentials, bans followed from KV),
// events on JetStream, analytics on chDB raising incidents, and the api reading them: the incident a brute
// force raises is listed and streamed live, and a ban created through the api makes the node refuse the
// device until it is lifted.
import { enforcementConfigSchema, startEnforcementService } from '@sentinel/enforcement';
import type { EnforcementService } from '@sentinel/enforcement';
import { authServiceConfigSchema, startAuthService, startMariadb, waitFor } from '@sentinel/infra';
import type { AuthService, Mariadb } from '@sentinel/infra';
import { connectAsync } from 'mqtt';
import type { IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startKit } from './kit.ts';
import type { Kit } from './kit.ts';

const SECRET = 'c0ffee00c0ffee00c0ffee00c0ffee00';

let kit: Kit;
let db: Mariadb;
let auth: AuthService;
let node: EnforcementService;
let tcp = '';
const live: { type: string; data?: { rule?: string; identity?: { value: string } } }[] = [];
let ws: WebSocket | undefined;

/** The CONNACK code a connect gets: 0 when accepted. */
async function connack(opts: IClientOptions): Promise<number> {
  try {
    const c = await connectAsync(tcp, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    await c.endAsync();
    return 0;
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (typeof code === 'number') return code;
    throw err;
  }
}

beforeAll(async () => {
  // every client comes from 127.0.0.1: allowlisting it keeps analytics from banning the whole test
  kit = await startKit({ allowlist: ['ip:127.0.0.1'] });
  db = await startMariadb({ dir: `${kit.dir}/mariadb`, bufferPoolMb: 32 });
  auth = await startAuthService({
    db: authServiceConfigSchema.parse({ db: { socketPath: db.socketPath } }).db,
    port: 0,
  });
  await auth.store.addDevice({ clientId: 'pump-1', username: 'pump-1', secret: SECRET });
  node = await startEnforcementService({
    config: enforcementConfigSchema.parse({
      upstream: { url: `mqtt://127.0.0.1:${kit.server.mqttPort}` },
      auth: { url: auth.url, timeoutMs: 1000, denyCacheTtlMs: 0 },
      tcp: { port: 0 },
      ws: { enabled: false },
      tls: { enabled: false },
      metricsPort: 0,
      sweepMs: 50,
    }),
    nats: kit.nats,
    publisher: kit.publisherCfg,
    dataDir: `${kit.dir}/node`,
    nodeName: 'edge-itest',
  });
  tcp = `mqtt://127.0.0.1:${node.ports.tcp}`;
  ws = new WebSocket(`${kit.api.url.replace('http', 'ws')}/api/v1/stream`, {
    headers: { authorization: `Bearer ${kit.tokens.analyst}` },
  });
  ws.on('message', (d) => live.push(JSON.parse(d.toString()) as (typeof live)[number]));
  await waitFor('stream ready', async () => live.some((m) => m.type === 'ready'));
  ws.send(JSON.stringify({ type: 'subscribe', filter: { types: ['incident'] } }));
  await waitFor('subscribed', async () => live.some((m) => m.type === 'subscribed'));
}, 120_000);

afterAll(async () => {
  ws?.close();
  await node?.stop().catch(() => undefined);
  await auth?.stop().catch(() => undefined);
  await db?.stop().catch(() => undefined);
  await kit?.close();
});

describe('api over the real pipeline', () => {
  it('a brute force by real MQTT clients through the node becomes an incident the api lists and streams', async () => {
    expect(
      await connack({ clientId: 'pump-1', username: 'pump-1', password: SECRET, protocolVersion: 4 }),
    ).toBe(0);
    for (let i = 0; i < 6; i++) {
      const code = await connack({
        clientId: `guess-${i}`,
        username: 'pump-1',
        password: `wrong-${i}`,
        protocolVersion: 4,
      });
      expect([0x04, 0x05]).toContain(code);
    }
    const inc = await waitFor(
      'the brute-force incident in the api',
      async () => {
        const r = await kit.call(
          'GET',
          '/api/v1/incidents?rule=auth.brute_force&scope=ip&identity=127.0.0.1',
          kit.tokens.analyst,
        );
        return (r.json as { items: { incidentId: string; eventCount: number; technique: string }[] })
          .items[0];
      },
      { timeoutMs: 30_000 },
    );
    expect(inc.technique).toBe('T1110');
    expect(inc.eventCount).toBeGreaterThanOrEqual(5);
    const detail = await kit.call('GET', `/api/v1/incidents/${inc.incidentId}`, kit.tokens.analyst);
    const timeline = (detail.json as { timeline: { type: string; reason?: string }[] }).timeline;
    const reasons = timeline.filter((t) => t.type === 'event').map((t) => t.reason);
    expect(reasons.length).toBeGreaterThanOrEqual(5);
    expect(
      reasons.every((r) => r === 'auth.bad_credentials' || r === 'auth.unknown_client'),
      reasons.join(),
    ).toBe(true);
    const events = await kit.call(
      'GET',
      '/api/v1/events?kind=auth&decision=deny&scope=username&identity=pump-1&limit=50',
      kit.tokens.auditor,
    );
    const items = (events.json as { items: { node: string; username: string; clientId: string }[] }).items;
    expect(items.length).toBeGreaterThanOrEqual(6);
    expect(
      items.every((e) => e.node === 'edge-itest' && e.clientId.startsWith('guess-')),
      JSON.stringify(items[0]),
    ).toBe(true);
    await waitFor(
      'the incident on the live stream',
      async () => live.some((m) => m.type === 'incident' && m.data?.rule === 'auth.brute_force'),
      { timeoutMs: 15_000 },
    );
  });

  it('a ban created through the api makes the node refuse the device; lifting it lets the device back in', async () => {
    const good = { clientId: 'pump-1', username: 'pump-1', password: SECRET, protocolVersion: 4 as const };
    const ban = await kit.call('POST', '/api/v1/bans', kit.tokens.responder, {
      scope: 'client_id',
      value: 'pump-1',
      durationS: 600,
      reason: 'suspected cloning',
    });
    expect(ban.status, ban.bytes.toString()).toBe(201);
    await waitFor('the node refuses pump-1', async () => (await connack(good)) !== 0, { timeoutMs: 10_000 });
    const refused = await waitFor(
      'a penalty.banned event',
      async () => {
        const r = await kit.call(
          'GET',
          '/api/v1/events?reason=penalty.banned&identity=pump-1',
          kit.tokens.analyst,
        );
        return (r.json as { items: { clientId: string }[] }).items[0];
      },
      { timeoutMs: 15_000 },
    );
    expect(refused.clientId).toBe('pump-1');
    const lift = await kit.call('DELETE', '/api/v1/bans/client_id/pump-1', kit.tokens.responder);
    expect(lift.status).toBe(200);
    await waitFor('the node lets pump-1 in again', async () => (await connack(good)) === 0, {
      timeoutMs: 10_000,
    });
  });

  it('/metrics shows the api requests and /readyz answers ready', async () => {
    const metrics = await fetch(`${kit.api.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(
      /sentinel_api_requests_total\{route="\/incidents",method="get",status="200"\} \d+/,
    );
    const ready = await kit.call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ ready: true, checks: { nats: true, store: true } });
  });
});
