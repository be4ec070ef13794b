// Session-level threats sent through the enforcement node (proxy mode in front of a real Mosquitto) by
// real MQTT clients, some from a second loopback address: topic enumeration, CONNECT floods, stolen client
// ids, cloned certificates, retain abuse and QoS 2 redelivery loops, each with its event and outcome.
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { startMosquitto, tempDir } from '@sentinel/infra';
import type { MosquittoServer } from '@sentinel/infra';
import type { DecisionEventV1 } from '@sentinel/ingest';
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InspectionEngine, inspectionConfig, SentinelInspector } from '../../src/inspection/index.ts';
import { ensureDevCertificate, issueDeviceCertificate } from '../../src/transport/devcert.ts';
import type { DevCertificate } from '../../src/transport/devcert.ts';
import { endClient, startTestNode, until } from '../support/kit.ts';
import type { TestNode } from '../support/kit.ts';

const tmp = tempDir('sentinel-insp-sess-');
let broker: MosquittoServer;
let tn: TestNode;
let ca: DevCertificate;

beforeAll(async () => {
  broker = await startMosquitto({ dir: tmp.dir });
  ca = await ensureDevCertificate(`${tmp.dir}/tls`);
  const engine = new InspectionEngine({
    config: inspectionConfig({
      watchRules: false,
      enumerationMaxFilters: 20,
      retainAbuseDisconnectAfter: 3,
      qos2LoopRepeats: 3,
      connectRatePerS: 40,
      connectFloodSeconds: 2,
    }),
    node: 'test-node',
  });
  const inspector = new SentinelInspector({ engine, node: 'test-node' });
  tn = await startTestNode(
    {
      upstream: { url: broker.url },
      tls: { enabled: true, clientCerts: 'optional', port: 0 },
      rateLimits: {
        perIp: { rate: 100_000, burst: 100_000 },
        connect: { rate: 100_000, burst: 100_000 },
        subscribe: { rate: 10_000, burst: 10_000 },
      },
      acl: { clients: { scanner: { subscribe: { allow: ['#'] }, wildcards: true } } },
    },
    { inspector, tls: { cert: ca.cert, key: ca.key, ca: ca.caCert } },
  );
});

afterAll(async () => {
  await tn?.stop();
  await broker?.stop();
  tmp.cleanup();
});

const eventFor = (
  reason: string,
  pred: (e: DecisionEventV1) => boolean = () => true,
): Promise<DecisionEventV1> =>
  until(reason, () => tn.events.find((e) => e.reason === reason && pred(e)), 10_000);

/** An mqtt.js client whose TCP (or TLS) connection leaves from `localAddress`. */
function clientFrom(
  localAddress: string,
  opts: IClientOptions,
  tls?: { cert: string; key: string },
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const stream = () =>
      tls
        ? tlsConnect({
            socket: netConnect({ host: '127.0.0.1', port: tn.ports.tls as number, localAddress }),
            ca: readFileSync(ca.caCert),
            cert: readFileSync(tls.cert),
            key: readFileSync(tls.key),
            servername: 'localhost',
          })
        : netConnect({ host: '127.0.0.1', port: tn.ports.tcp as number, localAddress });
    const c = new mqtt.MqttClient(stream, {
      reconnectPeriod: 0,
      connectTimeout: 5000,
      protocolVersion: 5,
      ...opts,
    });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
    c.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

/** The CONNACK reason code a refused CONNECT gets (mqtt.js reports it as `code`). */
async function refusedWith(p: Promise<MqttClient>): Promise<number> {
  try {
    const c = await p;
    c.end(true);
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

/** A raw connection from `localAddress` for hand-made packets. */
function rawFrom(
  localAddress: string,
): Promise<{ socket: Socket; data: () => Buffer; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port: tn.ports.tcp as number, localAddress });
    let buf = Buffer.alloc(0);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('data', (d: Buffer) => (buf = Buffer.concat([buf, d])));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, data: () => buf, closed }));
    socket.once('error', reject);
  });
}

const packet = (p: Record<string, unknown>): Buffer => mqttPacket.generate(p as unknown as mqttPacket.Packet);

describe('session threats through the node', () => {
  it('a subscription to # is refused as topic enumeration even where the ACL allows wildcards', async () => {
    const c = await clientFrom('127.0.0.1', { clientId: 'scanner' });
    const granted = await c
      .subscribeAsync({ '#': { qos: 0 } })
      .catch((err: { packet?: { granted?: number[] } }) => err.packet?.granted);
    const codes = Array.isArray(granted) ? granted.map((g) => (typeof g === 'number' ? g : g.qos)) : [];
    expect(codes).toEqual([0x87]);
    const ev = await eventFor('threat.topic_enumeration', (e) => e.subject.clientId === 'scanner');
    expect(ev).toMatchObject({
      kind: 'threat',
      decision: 'deny',
      rule: { id: 'threat.topic_enumeration.catch_all', matched: '#', technique: 'T0846' },
    });
    await endClient(c);
  });

  it('many distinct subscriptions in a short window are refused as enumeration', async () => {
    const c = await clientFrom('127.0.0.1', { clientId: 'dev-enum' });
    const codes: number[] = [];
    for (let i = 0; i < 25; i++) {
      const r = await c.subscribeAsync({ [`clients/dev-enum/alerts`]: { qos: 0 } });
      codes.push(r[0]?.qos ?? -1);
    }
    // the same filter again and again is not enumeration
    expect(codes.every((q) => q === 0)).toBe(true);
    const scanner = await clientFrom('127.0.0.1', { clientId: 'scanner' });
    let refused = 0;
    for (let i = 0; i < 25; i++) {
      const r = await scanner
        .subscribeAsync({ [`plant/line${i}/#`]: { qos: 0 } })
        .catch((err: { packet?: { granted?: number[] } }) => err.packet?.granted ?? []);
      if (
        (r[0] as { qos?: number } | number | undefined) !== undefined &&
        ((r[0] as { qos?: number }).qos ?? r[0]) === 0x87
      )
        refused++;
    }
    expect(refused).toBeGreaterThan(0);
    await eventFor(
      'threat.topic_enumeration',
      (e) => e.rule?.id === 'threat.topic_enumeration.distinct_filters',
    );
    await endClient(c);
    await endClient(scanner);
  });

  it('a client id already connected from another IP is refused as stolen; the live session is untouched', async () => {
    const owner = await clientFrom('127.0.0.1', { clientId: 'dev-owned' });
    expect(await refusedWith(clientFrom('127.0.0.2', { clientId: 'dev-owned' }))).toBe(0x87);
    const ev = await eventFor('threat.stolen_client_id', (e) => e.subject.ip === '127.0.0.2');
    expect(ev.rule?.values).toMatchObject({ liveIp: '127.0.0.1', newIp: '127.0.0.2' });
    expect(owner.connected).toBe(true);
    await owner.publishAsync('devices/dev-owned/t', '1', { qos: 1 });
    await endClient(owner);
    // once the owner is gone, the id is free again
    await until('owner released', () =>
      tn.events.find((e) => e.reason === 'disconnect.client' && e.subject.clientId === 'dev-owned'),
    );
    const later = await clientFrom('127.0.0.2', { clientId: 'dev-owned' });
    await endClient(later);
  });

  it('one device certificate used from two IPs at once is refused as a cloned certificate', async () => {
    const cert = await issueDeviceCertificate(ca, 'dev-cert');
    const first = await clientFrom('127.0.0.1', { clientId: 'dev-cert' }, cert);
    expect(await refusedWith(clientFrom('127.0.0.3', { clientId: 'dev-cert-2' }, cert))).toBe(0x87);
    const ev = await eventFor('threat.cloned_certificate', (e) => e.subject.ip === '127.0.0.3');
    expect(ev.rule?.values).toMatchObject({
      liveIp: '127.0.0.1',
      newIp: '127.0.0.3',
      liveClientId: 'dev-cert',
    });
    expect(first.connected).toBe(true);
    await endClient(first);
  });

  it('retained PUBLISH where the ACL forbids retain is retain abuse; repeated, the session is disconnected', async () => {
    const c = await clientFrom('127.0.0.1', { clientId: 'dev-retain' });
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    for (let i = 0; i < 3; i++) {
      await Promise.race([
        c.publishAsync('devices/dev-retain/state', 'on', { qos: 1, retain: true }).catch(() => undefined),
        closed,
      ]);
    }
    await closed;
    // the findings (with the attempt count), then the session's closing event
    const evs = tn.events.filter(
      (e) => e.reason === 'threat.retain_abuse' && e.subject.clientId === 'dev-retain',
    );
    expect(evs.map((e) => [e.decision, e.rule?.values?.attempts])).toEqual([
      ['deny', 1],
      ['deny', 2],
      ['disconnect', 3],
      ['deny', undefined],
    ]);
    expect(
      tn.events.filter((e) => e.reason === 'acl.retain_denied' && e.subject.clientId === 'dev-retain'),
    ).toHaveLength(3);
  });

  it('PUBREL repeated for one packet id is a QoS 2 loop and the session is closed', async () => {
    const raw = await rawFrom('127.0.0.1');
    raw.socket.write(
      packet({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        clientId: 'dev-loop',
        keepalive: 30,
      }),
    );
    await until('CONNACK', () => raw.data().length >= 4);
    for (let i = 0; i < 6; i++) raw.socket.write(packet({ cmd: 'pubrel', messageId: 7 }));
    await raw.closed;
    const ev = await eventFor('threat.qos2_loop', (e) => e.subject.clientId === 'dev-loop');
    expect(ev).toMatchObject({ decision: 'disconnect', rule: { values: { packetId: 7, step: 'pubrel' } } });
  });

  it('CONNECTs from one source over the rate are refused and flagged; sustained, a CONNECT flood', async () => {
    let n = 0;
    const attempt = async (): Promise<number> => {
      const raw = await rawFrom('127.0.0.9');
      raw.socket.write(
        packet({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: `flood-${n++}`,
          keepalive: 30,
        }),
      );
      await Promise.race([
        raw.closed,
        until('CONNACK', () => raw.data().length >= 4, 5000).catch(() => undefined),
      ]);
      raw.socket.destroy();
      return raw.data()[3] ?? -1;
    };
    const codes: number[] = [];
    const started = Date.now();
    while (Date.now() - started < 2600)
      codes.push(...(await Promise.all(Array.from({ length: 20 }, attempt))));
    expect(codes.filter((c) => c === 0x05).length).toBeGreaterThan(0);
    await eventFor('anomaly.connect_rate', (e) => e.subject.ip === '127.0.0.9');
    await eventFor('threat.connect_flood', (e) => e.subject.ip === '127.0.0.9');
    // one event per second and reason, not one per refused CONNECT
    const reported = tn.events.filter(
      (e) =>
        e.subject.ip === '127.0.0.9' &&
        (e.reason === 'anomaly.connect_rate' || e.reason === 'threat.connect_flood'),
    );
    expect(reported.length).toBeLessThanOrEqual(4);
    // another source is not affected
    const other = await clientFrom('127.0.0.1', { clientId: 'dev-other' });
    await endClient(other);
  });
});
