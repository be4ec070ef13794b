// Threats sent with real MQTT clients (3.1.1 and 5.0) through the enforcement node in proxy mode in front
// of a real Mosquitto, with the inspection engine plugged into its pipeline and quarantined messages kept
// in the SENTINEL_QUARANTINE stream of a real nats-server.
import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { startMosquitto, startNats, tempDir } from '@sentinel/infra';
import type { MosquittoServer, NatsServer } from '@sentinel/infra';
import { connectNats, ensureStreams, natsConfigSchema, STREAMS, streamsConfigSchema } from '@sentinel/ingest';
import type { DecisionEventV1, Logger } from '@sentinel/ingest';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInspector,
  InspectionEngine,
  inspectionConfig,
  QuarantineStore,
  quarantineSubject,
  SentinelInspector,
  signedData,
} from '../../src/inspection/index.ts';
import type { QuarantineRecordV1 } from '../../src/inspection/index.ts';
import { connectClient, endClient, startTestNode, until as untilDefault } from '../support/kit.ts';
import type { TestNode } from '../support/kit.ts';

const SECRET = 'integration-hmac-secret';
/** Generous deadlines: the shared test machine can be heavily loaded. */
const WAIT_MS = 15_000;
const until = <T>(what: string, probe: () => T | undefined | false): Promise<T> =>
  untilDefault(what, probe, WAIT_MS);
let nats: NatsServer;
let broker: MosquittoServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let tn: TestNode;
let inspector: SentinelInspector;
let url: string;
let watcher: MqttClient;
const received: { topic: string; payload: Buffer }[] = [];
const tmp = tempDir('sentinel-insp-');

beforeAll(async () => {
  nats = await startNats({ dir: tmp.dir });
  broker = await startMosquitto({ dir: tmp.dir });
  nc = await connectNats(natsConfigSchema.parse({ servers: [nats.url] }), { component: 'test' });
  await ensureStreams(nc, streamsConfigSchema.parse({}));
  jsm = await jetstreamManager(nc);
  const engine = new InspectionEngine({
    config: inspectionConfig({
      watchRules: false,
      maxPayloadBytes: 8192,
      qosFloodPerS: 30,
      hopId: 'site-a',
      signedTopics: [{ filter: 'devices/+/cmd/#', keys: { k1: SECRET }, windowS: 60 }],
    }),
    node: 'test-node',
  });
  inspector = new SentinelInspector({
    engine,
    node: 'test-node',
    quarantine: new QuarantineStore({ js: jetstream(nc), node: 'test-node' }),
    emit: (e) => tn.events.push(e),
  });
  tn = await startTestNode(
    {
      upstream: { url: broker.url },
      protocol: { maxPacketSize: 65536 },
      rateLimits: { publish: { rate: 10_000, burst: 10_000 }, perClient: { rate: 10_000, burst: 10_000 } },
    },
    { inspector },
  );
  url = `mqtt://127.0.0.1:${tn.ports.tcp}`;
  watcher = await connectClient(broker.url, { clientId: 'watcher' });
  await watcher.subscribeAsync('devices/#', { qos: 1 });
  watcher.on('message', (topic, payload) => received.push({ topic, payload: Buffer.from(payload) }));
});

afterAll(async () => {
  if (watcher) await endClient(watcher);
  await tn?.stop();
  await nc?.close();
  await broker?.stop();
  await nats?.stop();
  tmp.cleanup();
});

const eventFor = (reason: string, clientId: string): Promise<DecisionEventV1> =>
  until(`${reason} for ${clientId}`, () =>
    tn.events.find((e) => e.reason === reason && e.subject.clientId === clientId),
  );

/** PUBLISH QoS 1 over MQTT 5; resolves with the PUBACK reason code (0 = accepted). */
async function publish5(
  c: MqttClient,
  topic: string,
  payload: Buffer | string,
  props?: Record<string, string | string[]>,
): Promise<number> {
  try {
    await c.publishAsync(topic, payload, {
      qos: 1,
      ...(props ? { properties: { userProperties: props } } : {}),
    });
    return 0;
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (typeof code === 'number') return code;
    throw err;
  }
}

/** The canary: a clean message published after the threat must arrive, so "not received" means refused. */
async function assertNotForwarded(c: MqttClient, clientId: string, topic: string): Promise<void> {
  const canary = `canary-${randomBytes(4).toString('hex')}`;
  await c.publishAsync(`devices/${clientId}/canary`, canary, { qos: 1 });
  await until('canary', () => received.find((m) => m.payload.toString() === canary));
  expect(received.filter((m) => m.topic === topic)).toEqual([]);
}

describe('inspection through the node', () => {
  const THREATS = [
    ['sqli', 'inspect.sqli', `{"user":"admin' OR '1'='1"}`],
    ['cmdi', 'inspect.cmdi', `{"host":"127.0.0.1; cat /etc/passwd"}`],
    ['xss', 'inspect.xss', `{"name":"<img src=x onerror=alert(1)>"}`],
    ['traversal', 'inspect.path_traversal', `{"file":"..%2f..%2f..%2fetc%2fpasswd"}`],
  ] as const;
  for (const [name, reason, payload] of THREATS) {
    it(`a ${name} payload is blocked (PUBACK 0x87), not forwarded, and the event names the rule and what matched`, async () => {
      const id = `dev-${name}`;
      const c = await connectClient(url, { clientId: id, protocolVersion: 5 });
      expect(await publish5(c, `devices/${id}/data`, payload)).toBe(0x87);
      const ev = await eventFor(reason, id);
      expect(ev).toMatchObject({
        kind: 'inspection',
        decision: 'deny',
        mqtt: { topic: `devices/${id}/data` },
      });
      expect(ev.rule?.id).toMatch(/^sig\./);
      expect(ev.rule?.technique).toBe('T1190');
      expect(typeof ev.rule?.matched).toBe('string');
      await assertNotForwarded(c, id, `devices/${id}/data`);
      await endClient(c);
    });
  }

  it('clean telemetry passes through untouched', async () => {
    const c = await connectClient(url, { clientId: 'dev-clean', protocolVersion: 4 });
    await c.publishAsync('devices/dev-clean/telemetry', '{"temp":21.5,"unit":"C"}', { qos: 1 });
    await until('telemetry', () => received.find((m) => m.topic === 'devices/dev-clean/telemetry'));
    expect(
      tn.events.filter(
        (e) => e.subject.clientId === 'dev-clean' && (e.kind === 'inspection' || e.kind === 'anomaly'),
      ),
    ).toEqual([]);
    await endClient(c);
  });

  it('an oversized payload is quarantined: not forwarded, flagged, and kept in SENTINEL_QUARANTINE with its metadata', async () => {
    const id = 'dev-big';
    const c = await connectClient(url, { clientId: id, protocolVersion: 4 });
    const big = Buffer.alloc(10_000, 'A');
    await c.publishAsync(`devices/${id}/blob`, big, { qos: 1, retain: false });
    const ev = await eventFor('anomaly.payload_size', id);
    expect(ev).toMatchObject({ decision: 'quarantine', rule: { values: { size: 10_000, limit: 8192 } } });
    const stored = await eventFor('quarantine.stored', id);
    await assertNotForwarded(c, id, `devices/${id}/blob`);
    const msg = await jsm.streams.getMessage(STREAMS.quarantine, {
      last_by_subj: quarantineSubject('test-node', id),
    });
    const rec = msg!.json<QuarantineRecordV1>();
    expect(rec).toMatchObject({
      v: 1,
      clientId: id,
      topic: `devices/${id}/blob`,
      qos: 1,
      retain: false,
      reason: 'anomaly.payload_size',
      rule: 'anomaly.payload_size',
      size: 10_000,
      node: 'test-node',
    });
    expect(Buffer.from(rec.payload, 'base64').equals(big)).toBe(true);
    expect(stored.rule?.values?.recordId).toBe(rec.id);
    await endClient(c);
  });

  it('a high-entropy payload is flagged and still forwarded', async () => {
    const id = 'dev-entropy';
    const c = await connectClient(url, { clientId: id, protocolVersion: 4 });
    const blob = randomBytes(4096);
    await c.publishAsync(`devices/${id}/enc`, blob, { qos: 1 });
    expect(await eventFor('anomaly.entropy', id)).toMatchObject({ decision: 'flag' });
    await until('flagged message forwarded', () =>
      received.find((m) => m.topic === `devices/${id}/enc` && m.payload.equals(blob)),
    );
    await endClient(c);
  });

  it('on a signed topic a good signature passes, a tampered message and a replay are blocked', async () => {
    const id = 'dev-signed';
    const topic = `devices/${id}/cmd/valve`;
    const c = await connectClient(url, { clientId: id, protocolVersion: 5 });
    const props = (payload: Buffer, nonce: string, ts = Date.now()) => ({
      'sentinel-kid': 'k1',
      'sentinel-ts': String(ts),
      'sentinel-nonce': nonce,
      'sentinel-sig': createHmac('sha256', SECRET)
        .update(signedData(topic, ts, nonce, payload))
        .digest('base64'),
    });
    const body = Buffer.from('{"open":true}');
    const good = props(body, 'nonce-1');
    expect(await publish5(c, topic, body, good)).toBe(0);
    await until('signed message forwarded', () => received.find((m) => m.topic === topic));
    expect(await publish5(c, topic, body, good)).toBe(0x87);
    expect((await eventFor('threat.replay', id)).rule?.values?.why).toBe('nonce_seen');
    expect(await publish5(c, topic, Buffer.from('{"open":false}'), props(body, 'nonce-2'))).toBe(0x87);
    expect((await eventFor('threat.bad_signature', id)).rule?.values?.why).toBe('mismatch');
    expect(received.filter((m) => m.topic === topic)).toHaveLength(1);
    await endClient(c);
  });

  it("a message carrying this deployment's own hop marker is dropped as a bridge loop", async () => {
    const id = 'dev-bridge';
    const c = await connectClient(url, { clientId: id, protocolVersion: 5 });
    expect(await publish5(c, `devices/${id}/x`, 'hello', { 'sentinel-hop': ['site-b', 'site-a'] })).toBe(
      0x87,
    );
    expect(await eventFor('threat.bridge_loop', id)).toMatchObject({ decision: 'drop' });
    await assertNotForwarded(c, id, `devices/${id}/x`);
    await endClient(c);
  });

  it('a QoS 1 flood over the limit is dropped with threat.qos_flood', async () => {
    const id = 'dev-flood';
    const c = await connectClient(url, { clientId: id, protocolVersion: 5 });
    const codes = await Promise.all(
      Array.from({ length: 60 }, (_, i) => publish5(c, `devices/${id}/f`, String(i))),
    );
    expect(codes.filter((x) => x === 0x87).length).toBeGreaterThan(0);
    expect(await eventFor('threat.qos_flood', id)).toMatchObject({
      decision: 'drop',
      rule: { values: { limit: 30 } },
    });
    await endClient(c);
  });
});

describe('rule reload on a running node', () => {
  const ruleFile = (id: string, literal: string, action = 'block'): string =>
    `version: 1\nrules:\n  - id: ${id}\n    name: ${id}\n    severity: high\n    action: ${action}\n    technique: T1190\n    pattern: ${JSON.stringify(literal)}\n`;
  const errors: Record<string, unknown>[] = [];
  const log: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (_m, f) => void errors.push(f ?? {}),
    child: () => log,
  };

  it('a changed rule file applies to live sessions without dropping them; a bad one is refused and the old rules stay', async () => {
    const path = join(tmp.dir, 'live-rules.yaml');
    writeFileSync(path, ruleFile('live.first', 'first-marker'));
    const insp = createInspector({
      config: inspectionConfig({ rulesFile: path, reloadDebounceMs: 50 }),
      node: 'reload-node',
      log,
    });
    const node = await startTestNode({ upstream: { url: broker.url } }, { inspector: insp });
    try {
      const c = await connectClient(`mqtt://127.0.0.1:${node.ports.tcp}`, {
        clientId: 'dev-reload',
        protocolVersion: 5,
      });
      expect(await publish5(c, 'devices/dev-reload/x', 'second-marker')).toBe(0);
      writeFileSync(path, ruleFile('live.second', 'second-marker'));
      await until('reloaded rules', () => insp.engine.rules.rules[0]?.id === 'live.second');
      expect(await publish5(c, 'devices/dev-reload/x', 'second-marker')).toBe(0x87);
      expect(await publish5(c, 'devices/dev-reload/x', 'first-marker')).toBe(0);
      writeFileSync(path, ruleFile('live.third', 'third-marker', 'explode'));
      await until('refusal logged', () => errors.find((e) => e.rule === 'live.third'));
      expect(await publish5(c, 'devices/dev-reload/x', 'second-marker')).toBe(0x87);
      expect(c.connected).toBe(true);
      expect(node.events.filter((e) => e.reason.startsWith('disconnect.'))).toEqual([]);
      await endClient(c);
    } finally {
      await insp.close();
      await node.stop();
    }
  });
});
