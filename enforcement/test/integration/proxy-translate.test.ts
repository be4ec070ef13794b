// MQTT 5.0 devices through the node to brokers that speak only 3.1.1: a real nats-server MQTT listener
// (3.1.1 only, no QoS 2), with the node translating each session. The same devices through the node to a
// real Mosquitto still speak 5.0 end to end, untranslated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import type { IClientOptions, IConnackPacket, IDisconnectPacket, MqttClient, Packet } from 'mqtt';
import { startMosquitto, startNats, tempDir } from '@sentinel/infra';
import type { MosquittoServer, NatsServer } from '@sentinel/infra';
import type { BanDecisionV1 } from '@sentinel/ingest';
import { MemoryPenaltyBox } from '../../src/policy/penalty-box.ts';
import {
  connackOf,
  connectClient,
  endClient,
  eventsOf,
  rawConnect,
  startTestNode,
  subackCodes,
  until,
} from '../support/kit.ts';
import type { TestNode } from '../support/kit.ts';

const ACL = {
  default: {
    publish: { allow: ['devices/%c/#', 'shared/#'] },
    subscribe: { allow: ['clients/%c/#', 'shared/#', '$share/g/shared/#'] },
    retain: true,
    wildcards: true,
  },
};

async function connect5(
  url: string,
  opts: IClientOptions,
): Promise<{ client: MqttClient; connack: IConnackPacket }> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      reconnectPeriod: 0,
      connectTimeout: 5000,
      protocolVersion: 5,
      ...opts,
    });
    client.once('connect', (connack) => resolve({ client, connack }));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

/** Messages a client receives, as `topic=payload@qos[r]`. */
function collect(c: MqttClient): string[] {
  const seen: string[] = [];
  c.on('message', (t, m, p) => seen.push(`${t}=${m.toString()}@${p.qos}${p.retain ? 'r' : ''}`));
  return seen;
}

function disconnectOf(c: MqttClient): Promise<number | undefined> {
  return new Promise((r) => {
    c.once('disconnect', (p: IDisconnectPacket) => r(p.reasonCode));
    c.once('close', () => r(undefined));
  });
}

/** Messages delivered by nats-server's MQTT layer and not acknowledged yet, over all its consumers. */
async function ackPending(monitorPort: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${monitorPort}/jsz?consumers=true`);
  const jsz = (await res.json()) as {
    account_details?: { stream_detail?: { consumer_detail?: { num_ack_pending: number }[] }[] }[];
  };
  let n = 0;
  for (const a of jsz.account_details ?? [])
    for (const st of a.stream_detail ?? []) for (const c of st.consumer_detail ?? []) n += c.num_ack_pending;
  return n;
}

function ban(clientId: string): BanDecisionV1 {
  const now = Date.now();
  return {
    v: 1,
    id: `01J${clientId.toUpperCase().padEnd(23, '0').slice(0, 23)}`,
    ts: now,
    action: 'ban',
    scope: 'client_id',
    value: clientId,
    durationS: 600,
    until: now + 600_000,
    origin: 'analytics',
    reason: 'auth.brute_force',
  };
}

describe('MQTT 5 devices through the node to nats-server (3.1.1 upstream, translated)', () => {
  const t = tempDir('sentinel-tx-');
  let nats: NatsServer;
  let tn: TestNode;
  let url: string;
  let direct: string;
  const box = new MemoryPenaltyBox();

  beforeAll(async () => {
    nats = await startNats({ dir: t.dir });
    tn = await startTestNode(
      {
        upstream: { url: `mqtt://127.0.0.1:${nats.mqttPort}`, protocol: 4, maxQos: 1 },
        protocol: { maxPacketSize: 8192 },
        acl: ACL,
        rateLimits: { publish: { rate: 1, burst: 40 }, subscribe: { rate: 1, burst: 40 } },
      },
      { penaltyBox: box },
    );
    url = `mqtt://127.0.0.1:${tn.ports.tcp}`;
    direct = `mqtt://127.0.0.1:${nats.mqttPort}`;
  });

  afterAll(async () => {
    await tn?.stop();
    await nats?.stop();
    t.cleanup();
  });

  it('connect - clean start gets a 5.0 CONNACK advertising what the node can give; a kept session comes back present', async () => {
    const { client, connack } = await connect5(url, { clientId: 'tx-conn', clean: true });
    expect(connack.returnCode ?? connack.reasonCode).toBe(0);
    expect(connack.sessionPresent).toBe(false);
    expect(connack.properties).toMatchObject({
      topicAliasMaximum: 16,
      maximumPacketSize: 8192,
      subscriptionIdentifiersAvailable: false,
      sharedSubscriptionAvailable: false,
    });
    // Clean start with no expiry asked: the granted interval (0) equals the asked one, nothing sent.
    expect(connack.properties?.sessionExpiryInterval).toBeUndefined();
    await endClient(client);

    const opts = { clientId: 'tx-keep', clean: false, properties: { sessionExpiryInterval: 300 } };
    const first = await connect5(url, opts);
    expect(first.connack.properties?.sessionExpiryInterval).toBe(0xffffffff);
    await first.client.subscribeAsync('clients/tx-keep/q', { qos: 1 });
    await endClient(first.client);
    const again = await connect5(url, opts);
    expect(again.connack.sessionPresent).toBe(true);
    await endClient(again.client);
    // Clean start again: the broker discards the kept session [MQTT-3.1.2-4].
    const fresh = await connect5(url, { clientId: 'tx-keep', clean: true });
    expect(fresh.connack.sessionPresent).toBe(false);
    await endClient(fresh.client);

    const ev = await until('connect.accepted', () =>
      eventsOf(tn.events, 'connect.accepted').find((e) => e.subject.clientId === 'tx-keep'),
    );
    expect(ev.rule?.values?.upstreamProtocol).toBe(4);
  });

  it('the events of a translated session name it and its upstream level and never carry the password or a payload', async () => {
    const secret = 'tx-pw-5f1e9c0b7d';
    const { client } = await connect5(url, {
      clientId: 'tx-events',
      username: 'tx-user',
      password: secret,
      will: {
        topic: 'devices/tx-events/will',
        payload: Buffer.from('will-payload-secret'),
        qos: 2,
        retain: false,
      },
    });
    await client.publishAsync('devices/tx-events/a', 'payload-secret', { qos: 2 });
    await client.publishAsync('elsewhere/denied', 'payload-secret', { qos: 1 }).catch(() => undefined);
    await endClient(client);
    const mine = await until('disconnect event', () => {
      const evs = tn.events.filter((e) => e.subject.clientId === 'tx-events');
      return evs.some((e) => e.reason === 'disconnect.client') ? evs : undefined;
    });
    expect(mine.find((e) => e.reason === 'connect.accepted')?.rule?.values?.upstreamProtocol).toBe(4);
    expect(mine.some((e) => e.reason === 'acl.publish_denied')).toBe(true);
    const text = JSON.stringify(mine);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('payload-secret');
  });

  it('publish and subscribe at QoS 0, 1 and 2 in both directions, 3.1.1 peers on the broker', async () => {
    const { client: dev } = await connect5(url, { clientId: 'tx-pub' });
    const peer = await connectClient(direct, { clientId: 'tx-peer', protocolVersion: 4 });
    const peerSeen = collect(peer);
    await peer.subscribeAsync('devices/tx-pub/#', { qos: 1 });
    const granted = await dev.subscribeAsync({
      'clients/tx-pub/q0': { qos: 0 },
      'clients/tx-pub/q1': { qos: 1 },
      'clients/tx-pub/q2': { qos: 2 },
    });
    // The broker grants at most QoS 1, and says so: the device is told the truth.
    expect(granted.map((g) => g.qos)).toEqual([0, 1, 1]);
    const devSeen = collect(dev);
    for (const qos of [0, 1, 2] as const) {
      await dev.publishAsync(`devices/tx-pub/q${qos}`, `up${qos}`, { qos });
      await peer.publishAsync(`clients/tx-pub/q${qos}`, `down${qos}`, { qos: Math.min(qos, 1) as 0 | 1 });
    }
    await until('all three up', () => peerSeen.length >= 3 && peerSeen);
    expect(peerSeen.sort()).toEqual([
      'devices/tx-pub/q0=up0@0',
      'devices/tx-pub/q1=up1@1',
      'devices/tx-pub/q2=up2@1',
    ]);
    await until('all three down', () => devSeen.length >= 3 && devSeen);
    expect(devSeen.sort()).toEqual([
      'clients/tx-pub/q0=down0@0',
      'clients/tx-pub/q1=down1@1',
      'clients/tx-pub/q2=down2@1',
    ]);
    await endClient(dev);
    await endClient(peer);
  });

  it('a retained message is kept by the broker and delivered to a later subscriber with the retain flag', async () => {
    const { client: dev } = await connect5(url, { clientId: 'tx-ret' });
    await dev.publishAsync('shared/tx-ret/state', 'on', { qos: 1, retain: true });
    await endClient(dev);
    const { client: later } = await connect5(url, { clientId: 'tx-ret-2' });
    const seen = collect(later);
    await later.subscribeAsync('shared/tx-ret/state', { qos: 1 });
    await until('retained', () => seen.length > 0);
    expect(seen).toEqual(['shared/tx-ret/state=on@1r']);
    await endClient(later);
  });

  it('Retain Handling is applied by the node: 2 gets no retained message, 1 only for a new subscription, 0 always', async () => {
    const { client: pub } = await connect5(url, { clientId: 'tx-rh-pub' });
    await pub.publishAsync('shared/rh/a/state', 'kept', { qos: 1, retain: true });
    await endClient(pub);
    const { client: dev } = await connect5(url, { clientId: 'tx-rh' });
    const seen = collect(dev);
    await dev.subscribeAsync('shared/rh/#', { qos: 1, rh: 2 });
    await dev.subscribeAsync('shared/rh/+/state', { qos: 1, rh: 1 });
    await until('retained for the new rh 1 subscription', () => seen.length >= 1);
    await dev.subscribeAsync('shared/rh/+/state', { qos: 1, rh: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual(['shared/rh/a/state=kept@1r']);
    await dev.unsubscribeAsync('shared/rh/+/state');
    await dev.subscribeAsync('shared/rh/a/state', { qos: 1, rh: 0 });
    await until('retained for rh 0', () => seen.length >= 2);
    expect(seen).toEqual(['shared/rh/a/state=kept@1r', 'shared/rh/a/state=kept@1r']);
    await endClient(dev);
  });

  it('subscribe options are carried as QoS only; a shared subscription gets 0x9E; unsubscribe answers one code per filter', async () => {
    const { client: dev } = await connect5(url, { clientId: 'tx-opt' });
    const seen = collect(dev);
    const codes = await subackCodes(dev, {
      'shared/opt/a': { qos: 1, nl: true, rap: true, rh: 2 },
      '$share/g/shared/opt/b': { qos: 1 },
      'shared/opt/c': { qos: 0, rh: 1 },
    } as Record<string, { qos: 0 | 1 | 2 }>);
    expect(codes).toEqual([1, 0x9e, 0]);
    await dev.publishAsync('shared/opt/a', 'x', { qos: 1 });
    await until('delivery', () => seen.includes('shared/opt/a=x@1'));
    const raw = await new Promise<Packet>((r) => {
      const on = (p: Packet): void => {
        if (p.cmd !== 'unsuback') return;
        dev.removeListener('packetreceive', on);
        r(p);
      };
      dev.on('packetreceive', on);
      void dev.unsubscribeAsync(['shared/opt/a', 'shared/opt/c', 'shared/opt/z']);
    });
    // One reason code per filter [MQTT-3.11.3-1] (mqtt-packet names them `granted`)
    expect((raw as unknown as { granted?: number[] }).granted).toEqual([0, 0, 0]);
    await dev.publishAsync('shared/opt/a', 'after', { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).not.toContain('shared/opt/a=after@1');
    await endClient(dev);
  });

  it('will - an abrupt close and DISCONNECT 0x04 publish the will, DISCONNECT 0x00 does not', async () => {
    const peer = await connectClient(direct, { clientId: 'tx-will-peer', protocolVersion: 4 });
    const seen = collect(peer);
    await peer.subscribeAsync('devices/+/will', { qos: 1 });
    const will = (id: string) => ({
      topic: `devices/${id}/will`,
      payload: Buffer.from(`gone-${id}`),
      qos: 1 as const,
      retain: false,
      properties: { willDelayInterval: 0, contentType: 'text/plain' },
    });
    const a = await connect5(url, { clientId: 'tx-w1', will: will('tx-w1') });
    a.client.stream.destroy();
    await until('will on abrupt close', () => seen.includes('devices/tx-w1/will=gone-tx-w1@1'));
    const b = await connect5(url, { clientId: 'tx-w2', will: will('tx-w2') });
    await new Promise<void>((r) => b.client.end(false, { reasonCode: 0x04 }, () => r()));
    await until('will on 0x04', () => seen.includes('devices/tx-w2/will=gone-tx-w2@1'));
    const c = await connect5(url, { clientId: 'tx-w3', will: will('tx-w3') });
    await endClient(c.client);
    await new Promise((r) => setTimeout(r, 400));
    expect(seen.some((s) => s.startsWith('devices/tx-w3/'))).toBe(false);
    await endClient(peer);
  });

  it('will - a DISCONNECT 0x00 that sets a Session Expiry Interval after 0 in CONNECT is a protocol error: DISCONNECT 0x82 and the will is published', async () => {
    const peer = await connectClient(direct, { clientId: 'tx-will-peer2', protocolVersion: 4 });
    const seen = collect(peer);
    await peer.subscribeAsync('devices/+/will', { qos: 1 });
    const will = {
      topic: 'devices/tx-w4/will',
      payload: Buffer.from('gone-tx-w4'),
      qos: 1 as const,
      retain: false,
    };
    const d = await connect5(url, { clientId: 'tx-w4', will });
    const told = disconnectOf(d.client);
    // [MQTT-3.14.2-2]: the CONNECT had no interval (0), so a non-zero one in DISCONNECT makes it invalid
    d.client.stream.write(
      mqttPacket.generate(
        { cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } },
        { protocolVersion: 5 },
      ),
    );
    expect(await told).toBe(0x82);
    await until('will after an invalid DISCONNECT', () => seen.includes('devices/tx-w4/will=gone-tx-w4@1'));
    d.client.end(true);
    await endClient(peer);
  });

  it('a delivery larger than the device’s Maximum Packet Size is not sent, and not redelivered by the broker', async () => {
    const { client: dev } = await connect5(url, {
      clientId: 'tx-small',
      clean: false,
      properties: { maximumPacketSize: 200, sessionExpiryInterval: 60 },
    });
    const seen = collect(dev);
    await dev.subscribeAsync('clients/tx-small/#', { qos: 1 });
    const peer = await connectClient(direct, { clientId: 'tx-small-peer', protocolVersion: 4 });
    await peer.publishAsync('clients/tx-small/big', Buffer.alloc(400, 0x61), { qos: 1 });
    await peer.publishAsync('clients/tx-small/ok', 'small', { qos: 1 });
    await until('the small one', () => seen.includes('clients/tx-small/ok=small@1'));
    // The big one was acknowledged upstream as if delivered [MQTT-3.1.2-25]: the broker's consumers for
    // this session have nothing waiting for an acknowledgement.
    // (Polled: the device's own PUBACK of the small one may still be on its way.)
    let pending = -1;
    for (let i = 0; i < 40 && pending !== 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 50));
      pending = await ackPending(nats.monitorPort);
    }
    expect(pending).toBe(0);
    await endClient(dev);
    // Back without the size limit, the device is not sent it now either.
    const again = await connect5(url, {
      clientId: 'tx-small',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    expect(again.connack.sessionPresent).toBe(true);
    const later = collect(again.client);
    await new Promise((r) => setTimeout(r, 500));
    expect(later).toEqual([]);
    expect(seen.some((m) => m.startsWith('clients/tx-small/big'))).toBe(false);
    await endClient(again.client);
    await endClient(peer);
  });

  it('QoS 2 across a reconnect: the PUBREL a device resends in its resumed session gets PUBCOMP Success and the message arrived once', async () => {
    const peer = await connectClient(direct, { clientId: 'tx-q2r-peer', protocolVersion: 4 });
    const seen = collect(peer);
    await peer.subscribeAsync('devices/tx-q2r/#', { qos: 1 });
    const v5 = (p: Record<string, unknown>): Buffer =>
      mqttPacket.generate(p as unknown as mqttPacket.Packet, { protocolVersion: 5 });
    const connect = v5({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: false,
      keepalive: 0,
      clientId: 'tx-q2r',
      properties: { sessionExpiryInterval: 600 },
    });
    const open = async () => {
      const raw = await rawConnect(tn.ports.tcp as number);
      const got: Packet[] = [];
      const parser = mqttPacket.parser({ protocolVersion: 5 });
      parser.on('packet', (p: Packet) => got.push(p));
      raw.socket.on('data', (d: Buffer) => parser.parse(d));
      raw.socket.write(connect);
      await until('connack', () => got.find((p) => p.cmd === 'connack'));
      return { raw, got };
    };
    const first = await open();
    first.raw.socket.write(
      v5({ cmd: 'publish', topic: 'devices/tx-q2r/m', payload: Buffer.from('q2'), qos: 2, messageId: 9 }),
    );
    await until('pubrec', () => first.got.find((p) => p.cmd === 'pubrec'));
    // The connection drops before the device's PUBREL.
    first.raw.socket.destroy();
    await first.raw.closed;
    const again = await open();
    expect(again.got[0]).toMatchObject({ cmd: 'connack', sessionPresent: true });
    // [MQTT-4.4.0-1]: the device resends its PUBREL in the resumed session.
    again.raw.socket.write(v5({ cmd: 'pubrel', messageId: 9 }));
    const comp = await until('pubcomp', () => again.got.find((p) => p.cmd === 'pubcomp'));
    expect((comp as { reasonCode?: number }).reasonCode ?? 0).toBe(0);
    await until('delivered', () => seen.includes('devices/tx-q2r/m=q2@1'));
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.filter((m) => m.startsWith('devices/tx-q2r/'))).toEqual(['devices/tx-q2r/m=q2@1']);
    again.raw.socket.destroy();
    await endClient(peer);
  });

  it('the device’s Receive Maximum holds: no more unacknowledged QoS 1 deliveries than it allows, the rest after its PUBACKs', async () => {
    const raw = await rawConnect(tn.ports.tcp as number);
    const got: Packet[] = [];
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on('packet', (p: Packet) => got.push(p));
    raw.socket.on('data', (d: Buffer) => parser.parse(d));
    const v5 = (p: Record<string, unknown>): Buffer =>
      mqttPacket.generate(p as unknown as mqttPacket.Packet, { protocolVersion: 5 });
    raw.socket.write(
      v5({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 5,
        clean: true,
        keepalive: 0,
        clientId: 'tx-rmax',
        properties: { receiveMaximum: 2 },
      }),
    );
    await until('connack', () => got.some((p) => p.cmd === 'connack'));
    raw.socket.write(
      v5({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'clients/tx-rmax/q', qos: 1 }] }),
    );
    await until('suback', () => got.some((p) => p.cmd === 'suback'));
    const peer = await connectClient(direct, { clientId: 'tx-rmax-peer', protocolVersion: 4 });
    for (let i = 0; i < 5; i++) await peer.publishAsync('clients/tx-rmax/q', `m${i}`, { qos: 1 });
    const deliveries = (): { messageId?: number; payload: Buffer }[] =>
      got.filter((p) => p.cmd === 'publish') as unknown as { messageId?: number; payload: Buffer }[];
    await until('two deliveries', () => deliveries().length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(deliveries()).toHaveLength(2);
    // Each PUBACK frees one place.
    for (let acked = 0; acked < 5; acked++) {
      const d = deliveries()[acked];
      raw.socket.write(v5({ cmd: 'puback', messageId: d?.messageId }));
      const expected = Math.min(5, acked + 3);
      await until(`${expected} deliveries`, () => deliveries().length >= expected);
    }
    expect(deliveries().map((d) => d.payload.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    raw.socket.end();
    await endClient(peer);
  });

  it('topic aliases from the device are resolved by the node; an alias above the maximum gets DISCONNECT 0x94', async () => {
    const peer = await connectClient(direct, { clientId: 'tx-alias-peer', protocolVersion: 4 });
    const seen = collect(peer);
    await peer.subscribeAsync('devices/tx-alias/#', { qos: 1 });
    const { client: dev } = await connect5(url, { clientId: 'tx-alias' });
    await dev.publishAsync('devices/tx-alias/t', 'first', { qos: 1, properties: { topicAlias: 3 } });
    await dev.publishAsync('', 'second', { qos: 1, properties: { topicAlias: 3 } });
    await until('both', () => seen.length >= 2);
    expect(seen).toEqual(['devices/tx-alias/t=first@1', 'devices/tx-alias/t=second@1']);
    // mqtt.js itself refuses an alias above the advertised maximum: a hand-made PUBLISH sends one.
    const reason = disconnectOf(dev);
    dev.stream.write(
      mqttPacket.generate(
        {
          cmd: 'publish',
          topic: 'devices/tx-alias/u',
          payload: Buffer.from('x'),
          qos: 0,
          dup: false,
          retain: false,
          properties: { topicAlias: 17 },
        },
        { protocolVersion: 5 },
      ),
    );
    expect(await reason).toBe(0x94);
    const ev = await until('protocol event', () =>
      eventsOf(tn.events, 'protocol.invalid_topic').find((e) => e.subject.clientId === 'tx-alias'),
    );
    expect(ev.rule?.id).toBe('MQTT-3.3.2-9');
    await endClient(peer);
  });

  it('the node’s own 5.0 answers hold on a translated session: SUBACK 0x87, PUBACK 0x97, DISCONNECT 0xA1, ban 0x8A', async () => {
    const { client: dev } = await connect5(url, { clientId: 'tx-deny' });
    expect(
      await subackCodes(dev, { 'clients/tx-deny/a': { qos: 1 }, 'clients/other/a': { qos: 1 } }),
    ).toEqual([1, 0x87]);
    // Over the publish burst: a negative PUBACK with 0x97 (mqtt.js resolves with the PUBACK's code).
    const acks: number[] = [];
    for (let i = 0; i < 45 && !acks.includes(0x97); i++) {
      try {
        await dev.publishAsync('devices/tx-deny/n', String(i), { qos: 1 });
        acks.push(0);
      } catch (err) {
        acks.push((err as { code?: number }).code ?? -1);
      }
    }
    expect(acks).toContain(0x97);
    expect(eventsOf(tn.events, 'rate.publish').some((e) => e.subject.clientId === 'tx-deny')).toBe(true);
    expect(eventsOf(tn.events, 'acl.subscribe_denied').some((e) => e.subject.clientId === 'tx-deny')).toBe(
      true,
    );
    const reason = disconnectOf(dev);
    dev.subscribe('clients/tx-deny/b', { qos: 0, properties: { subscriptionIdentifier: 7 } });
    expect(await reason).toBe(0xa1);
    const badProp = await until('0xA1 event', () =>
      eventsOf(tn.events, 'protocol.bad_property').find((e) => e.subject.clientId === 'tx-deny'),
    );
    expect(badProp.rule?.values?.detail).toContain('subscription identifiers');

    const live = await connect5(url, { clientId: 'tx-banned' });
    const closed = disconnectOf(live.client);
    box.apply(ban('tx-banned'), Date.now());
    expect(await closed).toBe(0x98);
    expect(await connackOf(url, { clientId: 'tx-banned', protocolVersion: 5 })).toBe(0x8a);
    expect(eventsOf(tn.events, 'penalty.banned').some((e) => e.subject.clientId === 'tx-banned')).toBe(true);
  });

  it('PINGREQ reaches the broker and its PINGRESP the device; an AUTH packet is a protocol error (DISCONNECT 0x82)', async () => {
    const { client: dev } = await connect5(url, { clientId: 'tx-ping' });
    const pong = new Promise<void>((r) =>
      dev.on('packetreceive', (p: Packet) => p.cmd === 'pingresp' && r()),
    );
    dev.stream.write(Buffer.from([0xc0, 0x00]));
    await pong;
    const reason = disconnectOf(dev);
    dev.stream.write(mqttPacket.generate({ cmd: 'auth', reasonCode: 0x18 }, { protocolVersion: 5 }));
    expect(await reason).toBe(0x82);
    await until('protocol event', () =>
      eventsOf(tn.events, 'protocol.invalid_packet_type').find((e) => e.subject.clientId === 'tx-ping'),
    );
  });

  it('enhanced authentication cannot be carried to 3.1.1: CONNACK 0x8C', async () => {
    const code = await connackOf(url, {
      clientId: 'tx-enh',
      protocolVersion: 5,
      properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: Buffer.from('x') },
    });
    expect(code).toBe(0x8c);
    const ev = await until('event', () =>
      eventsOf(tn.events, 'protocol.bad_property').find((e) => e.subject.clientId === 'tx-enh'),
    );
    expect(ev.rule?.id).toBe('MQTT-4.12.0-1');
  });
});

describe('upstream.protocol: auto and 5 in front of nats-server', () => {
  const t = tempDir('sentinel-txa-');
  let nats: NatsServer;

  beforeAll(async () => {
    nats = await startNats({ dir: t.dir });
  });

  afterAll(async () => {
    await nats?.stop();
    t.cleanup();
  });

  it('auto - the first 5.0 session learns the broker speaks 3.1.1 and retries; later ones translate at once', async () => {
    const tn = await startTestNode({ upstream: { url: `mqtt://127.0.0.1:${nats.mqttPort}` }, acl: ACL });
    try {
      const url = `mqtt://127.0.0.1:${tn.ports.tcp}`;
      for (const id of ['auto-1', 'auto-2']) {
        const { client, connack } = await connect5(url, { clientId: id });
        expect(connack.properties?.subscriptionIdentifiersAvailable).toBe(false);
        const seen = collect(client);
        await client.subscribeAsync(`clients/${id}/x`, { qos: 1 });
        await client.publishAsync(`shared/${id}`, 'hop', { qos: 1 });
        const peer = await connectClient(`mqtt://127.0.0.1:${nats.mqttPort}`, { clientId: `${id}-peer` });
        await peer.publishAsync(`clients/${id}/x`, 'in', { qos: 1 });
        await until('delivery', () => seen.includes(`clients/${id}/x=in@1`));
        await endClient(peer);
        await endClient(client);
      }
      expect(eventsOf(tn.events, 'connect.upstream_unavailable')).toHaveLength(0);
      expect(eventsOf(tn.events, 'connect.accepted').map((e) => e.rule?.values?.upstreamProtocol)).toEqual([
        4, 4,
      ]);
    } finally {
      await tn.stop();
    }
  });

  it('5 - an MQTT 5 device in front of a 3.1.1-only broker gets CONNACK 0x84, not a dropped connection', async () => {
    const tn = await startTestNode({ upstream: { url: `mqtt://127.0.0.1:${nats.mqttPort}`, protocol: 5 } });
    try {
      const code = await connackOf(`mqtt://127.0.0.1:${tn.ports.tcp}`, {
        clientId: 'v5-device',
        protocolVersion: 5,
      });
      expect(code).toBe(0x84);
      const ev = await until('the upstream_unavailable event', () =>
        eventsOf(tn.events, 'connect.upstream_unavailable').find((e) => e.subject.clientId === 'v5-device'),
      );
      expect(ev.message).toContain('does not speak MQTT 5.0');
    } finally {
      await tn.stop();
    }
  });
});

describe('MQTT 5 devices through the node to Mosquitto (5.0 upstream, untranslated)', () => {
  const t = tempDir('sentinel-txm-');
  let broker: MosquittoServer;
  let tn: TestNode;

  beforeAll(async () => {
    broker = await startMosquitto({ dir: t.dir });
    tn = await startTestNode({ upstream: { url: broker.url }, acl: ACL });
  });

  afterAll(async () => {
    await tn?.stop();
    await broker?.stop();
    t.cleanup();
  });

  it('4 - translated in front of Mosquitto as a 3.1.1 broker, QoS 2 runs end to end in both directions', async () => {
    const t4 = await startTestNode({ upstream: { url: broker.url, protocol: 4 }, acl: ACL });
    try {
      const port = t4.ports.tcp as number;
      const { client: a, connack } = await connect5(`mqtt://127.0.0.1:${port}`, { clientId: 'mq-tx-a' });
      expect(connack.properties?.subscriptionIdentifiersAvailable).toBe(false);
      const { client: b } = await connect5(`mqtt://127.0.0.1:${port}`, { clientId: 'mq-tx-b' });
      const seen = collect(b);
      const [g] = await b.subscribeAsync('shared/mq-tx/#', { qos: 2 });
      expect(g?.qos).toBe(2);
      await a.publishAsync('shared/mq-tx/one', 'exactly-once', { qos: 2 });
      await until('QoS 2 delivery', () => seen.includes('shared/mq-tx/one=exactly-once@2'));
      await new Promise((r) => setTimeout(r, 200));
      expect(seen).toEqual(['shared/mq-tx/one=exactly-once@2']);
      await endClient(a);
      await endClient(b);
      expect(
        eventsOf(t4.events, 'connect.accepted').every((e) => e.rule?.values?.upstreamProtocol === 4),
      ).toBe(true);
    } finally {
      await t4.stop();
    }
  });

  it('auto - Mosquitto accepts 5.0, so the session is forwarded as 5.0 with the broker’s own CONNACK and QoS 2', async () => {
    const { client, connack } = await connect5(broker.url.replace(/:\d+$/, `:${tn.ports.tcp}`), {
      clientId: 'mq-5',
    });
    // Mosquitto's own CONNACK: it offers subscription identifiers, which the node never does when translating.
    expect(connack.properties?.subscriptionIdentifiersAvailable).not.toBe(false);
    const seen = collect(client);
    const [g] = await client.subscribeAsync('shared/mq', {
      qos: 2,
      properties: { subscriptionIdentifier: 5 },
    });
    expect(g?.qos).toBe(2);
    await client.publishAsync('shared/mq', 'q2', { qos: 2 });
    await until('QoS 2 delivery', () => seen.includes('shared/mq=q2@2'));
    await endClient(client);
    const ev = await until('accepted', () =>
      eventsOf(tn.events, 'connect.accepted').find((e) => e.subject.clientId === 'mq-5'),
    );
    expect(ev.rule?.values?.upstreamProtocol).toBeUndefined();
  });
});
