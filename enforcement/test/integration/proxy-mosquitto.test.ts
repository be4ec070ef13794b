// The node in front of a real Mosquitto (any MQTT broker works as upstream), where MQTT 5 clients show
// the 5.0 reason codes of every rejection, keep-alive enforcement, and replayed deliveries outside the ACL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, tempDir } from '@sentinel/infra';
import type { MosquittoServer } from '@sentinel/infra';
import {
  connackOf,
  connectClient,
  endClient,
  eventsOf,
  rawConnect,
  rawConnectPacket,
  startTestNode,
  subackCodes,
  until,
} from '../support/kit.ts';
import type { TestNode } from '../support/kit.ts';
import { inspectionConfig } from '../../src/inspection/config.ts';
import { createInspector } from '../../src/inspection/factory.ts';

describe('proxy to Mosquitto', () => {
  const t = tempDir('sentinel-mosq-');
  let broker: MosquittoServer;
  let tn: TestNode;
  let url: string;

  beforeAll(async () => {
    broker = await startMosquitto({ dir: t.dir });
    tn = await startTestNode(
      {
        upstream: { url: broker.url },
        protocol: { keepAliveFactor: 1.2 },
        rateLimits: {
          connect: { rate: 0.5, burst: 12 },
          publish: { rate: 1, burst: 5 },
          subscribe: { rate: 0.5, burst: 3 },
        },
      },
      { inspector: createInspector({ config: inspectionConfig({ watchRules: false }), node: 'test-node' }) },
    );
    url = `mqtt://127.0.0.1:${tn.ports.tcp}`;
  });

  afterAll(async () => {
    await tn?.stop();
    await broker?.stop();
    t.cleanup();
  });

  it('MQTT 5 - a session round-trips through the node; an ACL-denied SUBSCRIBE gets 0x87 and one over the limit 0x97', async () => {
    const dev = await connectClient(url, { clientId: 'v5-a', protocolVersion: 5 });
    expect(
      await subackCodes(dev, { 'clients/v5-a/alerts': { qos: 1 }, 'clients/other/alerts': { qos: 1 } }),
    ).toEqual([1, 0x87]);
    const got = new Promise<string>((r) => dev.on('message', (_t, m) => r(m.toString())));
    const admin = await connectClient(broker.url, { clientId: 'admin-a', protocolVersion: 5 });
    await admin.publishAsync('clients/v5-a/alerts', 'ping', { qos: 1 });
    expect(await got).toBe('ping');
    const codes: number[] = [];
    for (let i = 0; i < 4; i++)
      codes.push(...(await subackCodes(dev, { 'clients/v5-a/alerts': { qos: 0 } })));
    expect(codes).toContain(0x97);
    await endClient(admin);
    await endClient(dev);
  });

  it('inspection - MQTT 5: an injection payload gets PUBACK 0x87 and is not forwarded', async () => {
    const watcher = await connectClient(broker.url, { clientId: 'watch-i5' });
    await watcher.subscribeAsync('devices/v5-i/#', { qos: 0 });
    const topics: string[] = [];
    watcher.on('message', (topic) => topics.push(topic));
    const dev = await connectClient(url, { clientId: 'v5-i', protocolVersion: 5 });
    const code = await dev
      .publishAsync('devices/v5-i/cmd', '1 UNION SELECT username, password FROM users', { qos: 1 })
      .then(
        () => 0,
        (err: { code?: number }) => err.code ?? -1,
      );
    await dev.publishAsync('devices/v5-i/ok', 'fine', { qos: 1 });
    await until('clean message', () => topics.includes('devices/v5-i/ok'));
    expect(code).toBe(0x87);
    expect(topics).not.toContain('devices/v5-i/cmd');
    expect(eventsOf(tn.events, 'inspect.sqli').some((e) => e.subject.clientId === 'v5-i')).toBe(true);
    await endClient(dev);
    await endClient(watcher);
  });

  it('rate limit - MQTT 5 QoS 1 PUBLISH over the limit gets PUBACK 0x97 and QoS 0 over the limit is dropped silently', async () => {
    const watcher = await connectClient(broker.url, { clientId: 'watch-b' });
    await watcher.subscribeAsync('devices/v5-b/#', { qos: 1 });
    let arrived = 0;
    watcher.on('message', () => arrived++);
    const dev = await connectClient(url, { clientId: 'v5-b', protocolVersion: 5 });
    const errors: number[] = [];
    for (let i = 0; i < 8; i++) {
      await dev
        .publishAsync(`devices/v5-b/q1`, String(i), { qos: 1 })
        .catch((err: { code?: number }) => errors.push(err.code ?? -1));
    }
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors)).toEqual(new Set([0x97]));
    for (let i = 0; i < 20; i++) dev.publish('devices/v5-b/q0', String(i), { qos: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(dev.connected).toBe(true);
    expect(arrived).toBeLessThan(28);
    expect(eventsOf(tn.events, 'rate.publish').filter((e) => e.subject.clientId === 'v5-b').length).toBe(
      28 - arrived,
    );
    await endClient(dev);
    await endClient(watcher);
  });

  it('rate limit - MQTT 3.1.1 QoS 1 PUBLISH over the limit gets no PUBACK and the session stays up', async () => {
    const dev = await connectClient(url, { clientId: 'v4-c', protocolVersion: 4 });
    const acked: number[] = [];
    for (let i = 0; i < 8; i++)
      dev.publish('devices/v4-c/t', String(i), { qos: 1 }, (err) => !err && acked.push(i));
    await new Promise((r) => setTimeout(r, 800));
    expect(acked.length).toBeGreaterThanOrEqual(5);
    expect(acked.length).toBeLessThan(8);
    expect(dev.connected).toBe(true);
    dev.end(true);
  });

  it('protocol - MQTT 5 violations are answered with DISCONNECT and the reason code (wildcard topic: 0x90)', async () => {
    const raw = await rawConnect(tn.ports.tcp as number);
    raw.socket.write(rawConnectPacket('v5-d', { version: 5 }));
    await raw.waitBytes(5);
    const before = raw.received().length;
    // PUBLISH QoS 0, topic "a/+", no properties
    raw.socket.write(Buffer.from([0x30, 0x06, 0x00, 0x03, 0x61, 0x2f, 0x2b, 0x00]));
    await raw.closed;
    const tail = raw.received().subarray(before);
    expect(tail[0]).toBe(0xe0);
    expect(tail[2]).toBe(0x90);
    expect(eventsOf(tn.events, 'protocol.invalid_topic').some((e) => e.rule?.id === 'MQTT-3.3.2-2')).toBe(
      true,
    );
  });

  it("protocol - MQTT 5 topic aliases up to the broker's Topic Alias Maximum pass; one above it gets DISCONNECT 0x94 from the node", async () => {
    const watcher = await connectClient(broker.url, { clientId: 'watch-alias' });
    await watcher.subscribeAsync('devices/v5-alias/#', { qos: 0 });
    const got: string[] = [];
    watcher.on('message', (topic, body) => got.push(`${topic} ${body}`));
    const raw = await rawConnect(tn.ports.tcp as number);
    raw.socket.write(rawConnectPacket('v5-alias', { version: 5 }));
    await raw.waitBytes(5);
    // Mosquitto's CONNACK carries its Topic Alias Maximum (10 by default), which the device must respect
    const connack = raw.received();
    const max = connack.indexOf(0x22, 5) > 0 ? connack.readUInt16BE(connack.indexOf(0x22, 5) + 1) : 0;
    expect(max).toBeGreaterThan(0);
    const publishWithAlias = (topic: string, alias: number, body: string): Buffer => {
      const t = Buffer.from(topic);
      const rest = Buffer.concat([
        Buffer.from([t.length >> 8, t.length & 0xff]),
        t,
        Buffer.from([3, 0x23, alias >> 8, alias & 0xff]),
        Buffer.from(body),
      ]);
      return Buffer.concat([Buffer.from([0x30, rest.length]), rest]);
    };
    raw.socket.write(publishWithAlias('devices/v5-alias/t', max, 'set'));
    raw.socket.write(publishWithAlias('', max, 'by-alias'));
    await until('both aliased messages', () => got.length === 2);
    expect(got).toEqual(['devices/v5-alias/t set', 'devices/v5-alias/t by-alias']);
    const before = raw.received().length;
    raw.socket.write(publishWithAlias('devices/v5-alias/t', max + 1, 'over'));
    await raw.closed;
    const tail = raw.received().subarray(before);
    expect([tail[0], tail[2]]).toEqual([0xe0, 0x94]);
    const ev = eventsOf(tn.events, 'protocol.invalid_topic').find((e) => e.subject.clientId === 'v5-alias');
    expect(ev?.rule?.id).toBe('MQTT-3.3.2-9');
    expect(got).toHaveLength(2);
    await endClient(watcher);
  });

  it('protocol - keep-alive is enforced by the node (1.2 × here) with DISCONNECT 0x8D on MQTT 5', async () => {
    const raw = await rawConnect(tn.ports.tcp as number);
    raw.socket.write(rawConnectPacket('v5-e', { version: 5, keepalive: 2 }));
    const started = Date.now();
    await raw.waitBytes(5);
    const before = raw.received().length;
    await raw.closed;
    const took = Date.now() - started;
    // 2 s × 1.2 = 2.4 s by the node; Mosquitto's own limit (1.5 × = 3 s) would come later.
    expect(took).toBeGreaterThanOrEqual(2350);
    expect(took).toBeLessThan(2950);
    const tail = raw.received().subarray(before);
    expect([tail[0], tail[2]]).toEqual([0xe0, 0x8d]);
    await until('keepalive event', () =>
      eventsOf(tn.events, 'protocol.keepalive_timeout').find((e) => e.subject.clientId === 'v5-e'),
    );
  });

  it('ACL - messages the broker replays from a stored session outside the subscribe ACL are not delivered', async () => {
    // The session was made straight at the broker with a broad subscription the ACL would never grant.
    const direct = await connectClient(broker.url, { clientId: 'v4-f', clean: false });
    await direct.subscribeAsync('secret/#', { qos: 1 });
    await endClient(direct);
    const admin = await connectClient(broker.url, { clientId: 'admin-f' });
    await admin.publishAsync('secret/plans', 'x', { qos: 1 });
    await endClient(admin);
    const dev = await connectClient(url, { clientId: 'v4-f', clean: false });
    const got: string[] = [];
    dev.on('message', (topic) => got.push(topic));
    const ev = await until('deliver denied', () =>
      eventsOf(tn.events, 'acl.deliver_denied').find((e) => e.subject.clientId === 'v4-f'),
    );
    expect(ev.mqtt?.topic).toBe('secret/plans');
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual([]);
    await endClient(dev);
    // The node acknowledged the drop upstream: the broker does not replay it again.
    const again = await connectClient(broker.url, { clientId: 'v4-f', clean: false });
    const replay: string[] = [];
    again.on('message', (topic) => replay.push(topic));
    await new Promise((r) => setTimeout(r, 300));
    expect(replay).toEqual([]);
    await endClient(again);
  });
  // Last: it spends the CONNECT bucket of 127.0.0.1.
  it('rate limit - CONNECT over the per-IP burst gets CONNACK 0x9F on MQTT 5', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 20 && !codes.includes(0x9f); i++)
      codes.push(await connackOf(url, { clientId: `c5-${i}`, protocolVersion: 5 }));
    expect(codes).toContain(0x9f);
  });
});
