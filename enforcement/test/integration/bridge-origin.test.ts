// The bridge between a core broker and a customer origin that serves MQTT over WebSocket Secure, both real
// Mosquitto brokers (the origin's certificate is checked against a CA made for the test).
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, getFreePort, startMosquitto, startNats, tempDir, waitFor } from '@sentinel/infra';
import type { MosquittoServer, NatsServer, TestPki } from '@sentinel/infra';
import { bridgeConfigSchema, HOP_PROPERTY, startBridge } from '../../src/bridge/index.ts';
import type { Bridge, BridgeConfig } from '../../src/bridge/index.ts';

const DEPLOYMENT = 'edge-test';
const asRoot = process.getuid?.() === 0 ? { user: 'root' } : {};

interface Received {
  topic: string;
  id: string;
  hop: unknown;
}

/** A QoS 1 subscriber with a persistent session that records what it gets. */
async function collector(
  url: string,
  filter: string,
  clientId: string,
  version: 4 | 5 = 5,
): Promise<{
  client: MqttClient;
  got: Received[];
}> {
  const got: Received[] = [];
  const client = await mqtt.connectAsync(url, {
    clientId,
    clean: false,
    protocolVersion: version,
    reconnectPeriod: 200,
    ...(version === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
  });
  client.on('message', (topic, payload, packet) => {
    const body = JSON.parse(payload.toString()) as { id: string };
    got.push({ topic, id: body.id, hop: packet.properties?.userProperties?.[HOP_PROPERTY] });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, got };
}

async function publisher(url: string, version: 4 | 5 = 5): Promise<MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion: version, reconnectPeriod: 200 });
}

function counter(bridge: Bridge, name: string, labels: Record<string, string>): Promise<number> {
  return bridge.metrics.registry
    .getSingleMetric(name)!
    .get()
    .then((m) => {
      const v = m.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
      return v?.value ?? 0;
    });
}

function config(
  core: string,
  coreVersion: 4 | 5,
  origin: MosquittoServer,
  pki: TestPki,
  extra: object = {},
): BridgeConfig {
  return bridgeConfigSchema.parse({
    deploymentId: DEPLOYMENT,
    core: { url: core, clientId: 'bridge-core', protocolVersion: coreVersion },
    origin: { url: `${origin.wsUrl}/mqtt`, clientId: 'bridge-origin', caFile: pki.caCert },
    rules: [
      { direction: 'out', from: 'clients/+/alerts', to: 'customer/acme/alerts/{1}' },
      { direction: 'in', from: 'customer/acme/commands/+', to: 'clients/{1}/commands' },
    ],
    backoff: { initialMs: 100, maxMs: 1_000 },
    metrics: { port: 0 },
    ...extra,
  });
}

const ids = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('bridge against a Mosquitto origin over WSS', () => {
  let tmp: ReturnType<typeof tempDir>;
  let pki: TestPki;
  let origin: MosquittoServer;
  let core: MosquittoServer;
  let bridge: Bridge;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    tmp = tempDir('sentinel-bridge-');
    pki = await createTestPki(join(tmp.dir, 'pki'));
    origin = await startMosquitto({
      dir: join(tmp.dir, 'origin'),
      websocket: { tls: { certFile: pki.serverCert, keyFile: pki.serverKey } },
      persistence: true,
      ...asRoot,
    });
    core = await startMosquitto({ dir: join(tmp.dir, 'core'), ...asRoot });
    bridge = await startBridge({
      config: config(core.url, 5, origin, pki, {
        rules: [
          { direction: 'out', from: 'clients/+/alerts', to: 'customer/acme/alerts/{1}' },
          { direction: 'in', from: 'customer/acme/commands/+', to: 'clients/{1}/commands' },
          { direction: 'out', from: 'shared/+', to: 'customer/shared/{1}' },
          { direction: 'in', from: 'customer/shared/+', to: 'shared/{1}' },
        ],
      }),
    });
    await waitFor('bridge connected', () => bridge.connected());
  });

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await bridge?.stop();
    await origin?.stop();
    await core?.stop();
    tmp?.cleanup();
  });

  it('carries QoS 1 alerts from the core to the origin with the topic mapped and the hop marker set', async () => {
    const sink = await collector(origin.url, 'customer/acme/alerts/#', 'origin-alerts');
    const pub = await publisher(core.url);
    clients.push(sink.client, pub);
    const sent = ids(200, 'a');
    for (const [i, id] of sent.entries()) {
      await pub.publishAsync(`clients/dev-${i % 7}/alerts`, JSON.stringify({ id }), { qos: 1 });
    }
    await waitFor('all alerts at the origin', () => new Set(sink.got.map((g) => g.id)).size === sent.length);
    expect(new Set(sink.got.map((g) => g.id))).toEqual(new Set(sent));
    expect(sink.got.every((g) => /^customer\/acme\/alerts\/dev-[0-6]$/.test(g.topic))).toBe(true);
    expect(sink.got[0]?.hop).toBe(DEPLOYMENT);
    expect(await counter(bridge, 'bridge_messages_persisted', { direction: 'out' })).toBeGreaterThanOrEqual(
      200,
    );
    const latency = await bridge.metrics.registry.getSingleMetric('bridge_latency_seconds')!.get();
    const count = latency.values.find(
      (v) =>
        (v as { metricName?: string }).metricName === 'bridge_latency_seconds_count' &&
        v.labels.direction === 'out',
    );
    expect(count?.value).toBeGreaterThanOrEqual(200);
  });

  it('carries commands from the origin back to the core on the internal topic', async () => {
    const sink = await collector(core.url, 'clients/+/commands', 'core-commands');
    const pub = await publisher(origin.url);
    clients.push(sink.client, pub);
    const sent = ids(50, 'c');
    for (const [i, id] of sent.entries()) {
      await pub.publishAsync(`customer/acme/commands/dev-${i}`, JSON.stringify({ id }), { qos: 1 });
    }
    await waitFor('all commands in the core', () => new Set(sink.got.map((g) => g.id)).size === sent.length);
    expect(sink.got.map((g) => g.topic)).toContain('clients/dev-7/commands');
    expect(await counter(bridge, 'bridge_messages_ingested', { direction: 'in' })).toBeGreaterThanOrEqual(50);
  });

  it('drops a message that comes back carrying its own hop marker instead of looping it', async () => {
    const atOrigin = await collector(origin.url, 'customer/shared/+', 'origin-shared');
    const atCore = await collector(core.url, 'shared/+', 'core-shared');
    const pub = await publisher(core.url);
    clients.push(atOrigin.client, atCore.client, pub);
    const loops = (): Promise<number> =>
      counter(bridge, 'bridge_messages_dropped_total', { direction: 'in', reason: 'loop' });
    const before = await loops();
    await pub.publishAsync('shared/x', JSON.stringify({ id: 'loop-1' }), { qos: 1 });
    // out: shared/x -> customer/shared/x with the marker; the in rule would carry it back to shared/x.
    await waitFor('the returning copy dropped', async () => (await loops()) > before);
    await new Promise((r) => setTimeout(r, 300));
    expect(atOrigin.got.filter((g) => g.id === 'loop-1')).toHaveLength(1);
    expect(atCore.got.filter((g) => g.id === 'loop-1')).toHaveLength(1);
  });

  it('loses no alert while the origin restarts mid-stream, and counts the duplicates', async () => {
    const sink = await collector(origin.url, 'customer/acme/alerts/#', 'origin-restart');
    const pub = await publisher(core.url);
    clients.push(sink.client, pub);
    const sent = ids(600, 'r');
    const reconnectsBefore = await counter(bridge, 'bridge_reconnects_total', { side: 'origin' });
    const publishing = (async () => {
      for (const [i, id] of sent.entries()) {
        await pub.publishAsync(`clients/dev-${i % 11}/alerts`, JSON.stringify({ id }), { qos: 1 });
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await waitFor('some alerts through', () => sink.got.length >= 100);
    await origin.stop(); // SIGTERM: mosquitto saves its sessions, the bridge loses its WSS connections
    await new Promise((r) => setTimeout(r, 1_000));
    await origin.restart();
    await publishing;
    await waitFor(
      'every alert at the origin',
      () => new Set(sink.got.map((g) => g.id)).size === sent.length,
      {
        timeoutMs: 60_000,
      },
    );
    const seen = new Map<string, number>();
    for (const g of sink.got) seen.set(g.id, (seen.get(g.id) ?? 0) + 1);
    const duplicates = [...seen.values()].reduce((s, n) => s + n - 1, 0);
    console.log(`origin restart: ${sent.length} sent, ${sink.got.length} received, ${duplicates} duplicates`);
    expect([...seen.keys()].sort()).toEqual([...sent].sort());
    expect(await counter(bridge, 'bridge_reconnects_total', { side: 'origin' })).toBeGreaterThan(
      reconnectsBefore,
    );
  });
});

describe('bridge acknowledgement to the source', () => {
  it('leaves messages unacknowledged in the core while the origin is down, so a new bridge delivers them', async () => {
    const tmp = tempDir('sentinel-bridge-ack-');
    const pki = await createTestPki(join(tmp.dir, 'pki'));
    const wsPort = await getFreePort();
    const origin = await startMosquitto({
      dir: join(tmp.dir, 'origin'),
      websocket: { port: wsPort, tls: { certFile: pki.serverCert, keyFile: pki.serverKey } },
      persistence: true,
      ...asRoot,
    });
    const core = await startMosquitto({ dir: join(tmp.dir, 'core'), ...asRoot });
    const cfg = config(core.url, 5, origin, pki);
    let bridge = await startBridge({ config: cfg });
    const sink = await collector(origin.url, 'customer/acme/alerts/#', 'origin-ack');
    const pub = await publisher(core.url);
    try {
      await waitFor('bridge connected', () => bridge.connected());
      await origin.stop();
      const sent = ids(20, 'u');
      for (const id of sent) await pub.publishAsync('clients/d/alerts', JSON.stringify({ id }), { qos: 1 });
      await waitFor(
        'all 20 alerts in flight at once (the window), none acknowledged',
        async () => (await counter(bridge, 'bridge_messages_ingested', { direction: 'out' })) >= sent.length,
      );
      await bridge.stop(); // nothing was acknowledged to the core: its session keeps the alerts
      await origin.restart();
      bridge = await startBridge({ config: cfg });
      await waitFor(
        'every alert at the origin',
        () => new Set(sink.got.map((g) => g.id)).size === sent.length,
        {
          timeoutMs: 30_000,
        },
      );
      expect(new Set(sink.got.map((g) => g.id))).toEqual(new Set(sent));
    } finally {
      await sink.client.endAsync(true);
      await pub.endAsync(true);
      await bridge.stop();
      await origin.stop();
      await core.stop();
      tmp.cleanup();
    }
  });

  it('bridges a nats-server MQTT 3.1.1 core broker to the origin', async () => {
    const tmp = tempDir('sentinel-bridge-nats-');
    const pki = await createTestPki(join(tmp.dir, 'pki'));
    const origin = await startMosquitto({
      dir: join(tmp.dir, 'origin'),
      websocket: { tls: { certFile: pki.serverCert, keyFile: pki.serverKey } },
      ...asRoot,
    });
    const nats: NatsServer = await startNats({ dir: join(tmp.dir, 'nats') });
    const coreUrl = `mqtt://127.0.0.1:${nats.mqttPort}`;
    const bridge = await startBridge({ config: config(coreUrl, 4, origin, pki) });
    const toOrigin = await collector(origin.url, 'customer/acme/alerts/#', 'origin-nats');
    const toCore = await collector(coreUrl, 'clients/+/commands', 'core-nats', 4);
    const corePub = await publisher(coreUrl, 4);
    const originPub = await publisher(origin.url);
    try {
      await waitFor('bridge connected', () => bridge.connected(), { timeoutMs: 30_000 });
      const out = ids(100, 'n');
      for (const id of out)
        await corePub.publishAsync('clients/n1/alerts', JSON.stringify({ id }), { qos: 1 });
      await originPub.publishAsync('customer/acme/commands/n1', JSON.stringify({ id: 'cmd' }), { qos: 1 });
      await waitFor('alerts at the origin', () => new Set(toOrigin.got.map((g) => g.id)).size === out.length);
      await waitFor('command in the core', () =>
        toCore.got.some((g) => g.id === 'cmd' && g.topic === 'clients/n1/commands'),
      );
    } finally {
      for (const c of [toOrigin.client, toCore.client, corePub, originPub]) await c.endAsync(true);
      await bridge.stop();
      await origin.stop();
      await nats.stop();
      tmp.cleanup();
    }
  });
});
