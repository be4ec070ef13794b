// The node in proxy mode in front of a real nats-server MQTT listener, with real mqtt.js clients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { getFreePort, startNats, tempDir } from '@sentinel/infra';
import type { NatsServer } from '@sentinel/infra';
import {
  connackOf,
  connectClient,
  subackCodes,
  endClient,
  eventsOf,
  rawConnect,
  rawConnectPacket,
  startTestNode,
  until,
} from '../support/kit.ts';
import type { TestNode } from '../support/kit.ts';

let nats: NatsServer;
let tn: TestNode;
let url: string;
const tmp = tempDir('sentinel-enf-');

beforeAll(async () => {
  nats = await startNats({ dir: tmp.dir });
  tn = await startTestNode({
    upstream: { url: `mqtt://127.0.0.1:${nats.mqttPort}` },
    protocol: { connectTimeoutMs: 500, maxPacketSize: 4096 },
    rateLimits: {
      connect: { rate: 1, burst: 30 },
      publish: { rate: 1, burst: 20 },
      subscribe: { rate: 1, burst: 6 },
    },
  });
  url = `mqtt://127.0.0.1:${tn.ports.tcp}`;
});

afterAll(async () => {
  await tn?.stop();
  await nats?.stop();
  tmp.cleanup();
});

describe('proxy to nats-server over TCP', () => {
  it('forwards an allowed session: publish on devices/<id>/… reaches a subscriber on clients/<id>/alerts? no — on the broker', async () => {
    const dev = await connectClient(url, { clientId: 'dev-a', protocolVersion: 4 });
    const watcher = await connectClient(`mqtt://127.0.0.1:${nats.mqttPort}`, { clientId: 'watcher-a' });
    await watcher.subscribeAsync('devices/dev-a/#', { qos: 1 });
    const got = new Promise<string>((r) => watcher.on('message', (t, m) => r(`${t}=${m.toString()}`)));
    await dev.publishAsync('devices/dev-a/temp', '21.5', { qos: 1 });
    expect(await got).toBe('devices/dev-a/temp=21.5');
    await endClient(dev);
    await endClient(watcher);
    await until('connect.accepted', () =>
      eventsOf(tn.events, 'connect.accepted').find((e) => e.subject.clientId === 'dev-a'),
    );
    await until('disconnect.client', () =>
      eventsOf(tn.events, 'disconnect.client').find((e) => e.subject.clientId === 'dev-a'),
    );
  });

  it('delivers messages on the subscribe ACL and drops broker deliveries outside it', async () => {
    const dev = await connectClient(url, { clientId: 'dev-b' });
    const granted = await dev.subscribeAsync('clients/dev-b/alerts', { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
    const seen: string[] = [];
    dev.on('message', (t) => seen.push(t));
    const admin = await connectClient(`mqtt://127.0.0.1:${nats.mqttPort}`, { clientId: 'admin-b' });
    await admin.publishAsync('clients/dev-b/alerts', 'hi', { qos: 1 });
    await until('alert delivered', () => seen.includes('clients/dev-b/alerts'));
    await endClient(admin);
    await endClient(dev);
  });

  it('ACL - SUBSCRIBE outside the ACL gets SUBACK 0x80 and a wildcard subscription is denied', async () => {
    const dev = await connectClient(url, { clientId: 'dev-c' });
    const res = await subackCodes(dev, {
      'clients/other/alerts': { qos: 0 },
      'clients/dev-c/alerts': { qos: 1 },
      '#': { qos: 0 },
    });
    expect(res).toEqual([128, 1, 128]);
    await endClient(dev);
    expect(eventsOf(tn.events, 'acl.subscribe_denied').some((e) => e.subject.clientId === 'dev-c')).toBe(
      true,
    );
    expect(eventsOf(tn.events, 'acl.wildcard_denied').some((e) => e.mqtt?.topic === '#')).toBe(true);
    expect(
      eventsOf(tn.events, 'subscribe.granted').some((e) => e.mqtt?.topic === 'clients/dev-c/alerts'),
    ).toBe(true);
  });

  it('ACL - PUBLISH outside the ACL is dropped and never reaches the broker', async () => {
    const watcher = await connectClient(`mqtt://127.0.0.1:${nats.mqttPort}`, { clientId: 'watcher-d' });
    await watcher.subscribeAsync('#', { qos: 0 });
    const seen: string[] = [];
    watcher.on('message', (t) => seen.push(t));
    const dev = await connectClient(url, { clientId: 'dev-d' });
    await dev.publishAsync('devices/someone-else/cmd', 'x', { qos: 1 });
    await dev.publishAsync('devices/dev-d/ok', 'y', { qos: 1 });
    await until('allowed message', () => seen.includes('devices/dev-d/ok'));
    expect(seen).not.toContain('devices/someone-else/cmd');
    expect(
      eventsOf(tn.events, 'acl.publish_denied').some((e) => e.mqtt?.topic === 'devices/someone-else/cmd'),
    ).toBe(true);
    await endClient(dev);
    await endClient(watcher);
  });

  it('protocol - a first packet other than CONNECT closes the connection with a protocol event', async () => {
    const raw = await rawConnect(tn.ports.tcp as number);
    raw.socket.write(Buffer.from([0xc0, 0x00]));
    await raw.closed;
    await until('event', () => eventsOf(tn.events, 'protocol.first_packet_not_connect').length > 0);
  });

  it('protocol - a huge remaining length is refused before its body is sent', async () => {
    const raw = await rawConnect(tn.ports.tcp as number);
    raw.socket.write(rawConnectPacket('dev-e'));
    await raw.waitBytes(4);
    raw.socket.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
    await raw.closed;
    const ev = await until('packet_too_large', () =>
      eventsOf(tn.events, 'protocol.packet_too_large').find((e) => e.subject.clientId === 'dev-e'),
    );
    expect(ev.rule?.values?.detail).toContain('268435460');
  });

  it('protocol - no CONNECT within the configured time closes the connection', async () => {
    const raw = await rawConnect(tn.ports.tcp as number);
    await raw.closed;
    await until('connect_timeout', () => eventsOf(tn.events, 'protocol.connect_timeout').length > 0);
  });

  it('protocol - a second CONNECT closes the session', async () => {
    const raw = await rawConnect(tn.ports.tcp as number);
    raw.socket.write(rawConnectPacket('dev-f'));
    await raw.waitBytes(4);
    raw.socket.write(rawConnectPacket('dev-f'));
    await raw.closed;
    await until('second_connect', () =>
      eventsOf(tn.events, 'protocol.second_connect').find((e) => e.subject.clientId === 'dev-f'),
    );
  });

  it('rate limit - SUBSCRIBE over the burst gets SUBACK 0x80', async () => {
    const dev = await connectClient(url, { clientId: 'dev-h' });
    const codes: number[] = [];
    for (let i = 0; i < 10; i++)
      codes.push(...(await subackCodes(dev, { 'clients/dev-h/alerts': { qos: 0 } })));
    expect(codes).toContain(128);
    expect(codes.indexOf(128)).toBeGreaterThan(3);
    expect(eventsOf(tn.events, 'rate.subscribe').some((e) => e.subject.clientId === 'dev-h')).toBe(true);
    await endClient(dev);
  });

  it('upstream - a broker that is down, or accepts TCP but never answers the CONNECT, gets the device CONNACK 0x03', async () => {
    // A TCP listener that reads and never answers: the broker hung mid-handshake.
    const silent = createServer((s) => s.on('data', () => undefined));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as AddressInfo).port;
    const hung = await startTestNode({
      upstream: { url: `mqtt://127.0.0.1:${port}` },
      protocol: { connectTimeoutMs: 300 },
    });
    const down = await startTestNode({ upstream: { url: `mqtt://127.0.0.1:${await getFreePort()}` } });
    try {
      expect(await connackOf(`mqtt://127.0.0.1:${hung.ports.tcp}`, { clientId: 'up-1' })).toBe(0x03);
      expect(
        await connackOf(`mqtt://127.0.0.1:${down.ports.tcp}`, { clientId: 'up-2', protocolVersion: 5 }),
      ).toBe(0x88);
      expect(eventsOf(hung.events, 'connect.upstream_unavailable')).toHaveLength(1);
      expect(eventsOf(down.events, 'connect.upstream_unavailable')).toHaveLength(1);
    } finally {
      await hung.stop();
      await down.stop();
      silent.close();
    }
  });

  it('rate limit - CONNECT over the per-IP burst gets CONNACK 0x05', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 40 && !codes.includes(5); i++)
      codes.push(await connackOf(url, { clientId: `burst-${i}` }));
    expect(codes).toContain(5);
    expect(eventsOf(tn.events, 'rate.connect').length).toBeGreaterThan(0);
  });
});
