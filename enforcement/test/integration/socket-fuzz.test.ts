// Socket-level fuzzing of a running node: hundreds of connections send random and mutated MQTT bytes.
// The node must not crash, must close every misbehaving connection by itself, keep memory bounded, and
// keep serving real clients; its Prometheus metrics count what happened.
import { connect as netConnect } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort, startNats, tempDir } from '@sentinel/infra';
import type { NatsServer } from '@sentinel/infra';
import { connectClient, endClient, eventsOf, startTestNode, until } from '../support/kit.ts';
import type { TestNode } from '../support/kit.ts';
import { rng } from '../support/random-mqtt.ts';

const gen = (p: Record<string, unknown>, v: 4 | 5 = 4): Buffer =>
  mqttPacket.generate(p as unknown as mqttPacket.Packet, { protocolVersion: v });

/**
 * `n` connections in batches of 50, each sending random or mutated bytes; every even one starts with a
 * valid CONNECT of `version(i)`, so its garbage reaches an open session (and its upstream).
 */
async function fuzzConnections(
  port: number,
  r: () => number,
  seeds: Buffer[],
  n: number,
  version: (i: number) => 4 | 5,
  keepalive = 1,
): Promise<void> {
  const one = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const s = netConnect({ port, host: '127.0.0.1' });
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      s.once('close', () => resolve());
      s.once('connect', () => {
        const parts: Buffer[] = [];
        if (i % 2 === 0) {
          // A valid CONNECT, then mutated packets: the session opens upstream before the garbage arrives.
          const v = version(i);
          parts.push(
            gen(
              {
                cmd: 'connect',
                protocolId: 'MQTT',
                protocolVersion: v,
                clean: true,
                keepalive,
                clientId: `fz-${i}`,
              },
              v,
            ),
          );
        }
        for (let k = 0; k < 1 + Math.floor(r() * 6); k++) {
          const seed = seeds[Math.floor(r() * seeds.length)] as Buffer;
          const b = Buffer.from(
            i % 3 === 0
              ? Buffer.from(Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 256)))
              : seed,
          );
          for (let m = 0; m < 1 + Math.floor(r() * 3); m++)
            if (b.length > 0) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
          parts.push(b);
        }
        s.write(Buffer.concat(parts));
        // Never end from this side: every connection must be closed by the node (violation, connect
        // timeout or keep-alive) — a connection still open at the deadline is a stuck one.
      });
    });
  for (let batch = 0; batch < n; batch += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - batch) }, (_, j) => one(batch + j)));
  }
}

describe('socket fuzz against a running node', () => {
  const t = tempDir('sentinel-sfuzz-');
  let nats: NatsServer;
  let tn: TestNode;

  beforeAll(async () => {
    nats = await startNats({ dir: t.dir });
    tn = await startTestNode({
      upstream: { url: `mqtt://127.0.0.1:${nats.mqttPort}` },
      protocol: { connectTimeoutMs: 300, maxPacketSize: 2048 },
      rateLimits: {
        connect: { rate: 1000, burst: 5000 },
        perIp: { rate: 100_000, burst: 100_000 },
        global: { rate: 100_000, burst: 100_000 },
      },
      metricsPort: await getFreePort(),
    });
  });

  afterAll(async () => {
    await tn?.stop();
    await nats?.stop();
    t.cleanup();
  });

  it('600 connections of random and mutated bytes: no crash, none left open, memory bounded, real clients still served', async () => {
    const r = rng(0xf022);
    const seeds = [
      gen({
        cmd: 'publish',
        topic: 'devices/f/t',
        payload: Buffer.from('x'),
        qos: 1,
        messageId: 3,
        retain: false,
        dup: false,
      }),
      gen({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'clients/f/alerts', qos: 1 }] }),
      gen({ cmd: 'pingreq' }),
      gen(
        {
          cmd: 'publish',
          topic: 'a',
          payload: Buffer.from('y'),
          qos: 0,
          retain: false,
          dup: false,
          properties: { userProperties: { a: 'b' } },
        },
        5,
      ),
    ];
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    await fuzzConnections(tn.ports.tcp as number, r, seeds, 600, (i) => (i % 4 === 0 ? 5 : 4));
    expect(Date.now() - started).toBeLessThan(60_000);
    await until('no live sessions', () => tn.node.sessions === 0, 5000);
    const heapAfter = process.memoryUsage().heapUsed;
    expect(heapAfter - heapBefore).toBeLessThan(64 * 1024 * 1024);
    const protocolEvents = tn.events.filter((e) => e.kind === 'protocol').length;
    expect(protocolEvents).toBeGreaterThan(300);

    const dev = await connectClient(`mqtt://127.0.0.1:${tn.ports.tcp}`, { clientId: 'after-fuzz' });
    await dev.publishAsync('devices/after-fuzz/t', 'ok', { qos: 1 });
    await endClient(dev);

    const text = await (await fetch(`http://127.0.0.1:${tn.ports.metrics}/metrics`)).text();
    const value = (re: RegExp): number => Number(text.match(re)?.[1] ?? NaN);
    expect(value(/^mqtt_proxy_connections_total\{transport="tcp"\} (\d+)/m)).toBeGreaterThanOrEqual(601);
    expect(value(/^mqtt_proxy_connections_active\{transport="tcp"\} (\d+)/m)).toBe(0);
    expect(value(/^mqtt_proxy_packets_total\{type="connect",direction="in"\} (\d+)/m)).toBeGreaterThanOrEqual(
      300,
    );
    expect(value(/^mqtt_proxy_bytes_total\{type="connack",direction="out"\} (\d+)/m)).toBeGreaterThan(0);
    expect(text).toContain('# TYPE mqtt_proxy_rate_limit_rejected_total counter');
    expect(text).toContain('# TYPE mqtt_proxy_auth_requests_total counter');
    expect(text).toContain('# TYPE mqtt_proxy_auth_latency_seconds histogram');
  }, 90_000);
});

describe('socket fuzz against translated sessions (MQTT 5.0 devices, 3.1.1 nats-server upstream)', () => {
  const t = tempDir('sentinel-sfuzz5-');
  let nats: NatsServer;
  let tn: TestNode;

  beforeAll(async () => {
    nats = await startNats({ dir: t.dir });
    tn = await startTestNode({
      upstream: { url: `mqtt://127.0.0.1:${nats.mqttPort}`, protocol: 4, maxQos: 1 },
      protocol: { connectTimeoutMs: 300, maxPacketSize: 2048, keepAliveFactor: 1 },
      acl: {
        default: { publish: { allow: ['#'] }, subscribe: { allow: ['#'] }, retain: true, wildcards: true },
      },
      rateLimits: {
        connect: { rate: 1000, burst: 5000 },
        perIp: { rate: 100_000, burst: 100_000 },
        global: { rate: 100_000, burst: 100_000 },
      },
    });
  });

  afterAll(async () => {
    await tn?.stop();
    await nats?.stop();
    t.cleanup();
  });

  it('400 MQTT 5.0 connections of mutated 5.0 packets: no crash, none left open, nothing the broker refuses, real clients still served', async () => {
    const r = rng(0x5f022);
    const props = { userProperties: { a: 'b' }, contentType: 'x', messageExpiryInterval: 9 };
    const pub = { cmd: 'publish', payload: Buffer.from('x'), retain: false, dup: false };
    const seeds = [
      gen({ ...pub, topic: 'f/t', qos: 1, messageId: 3, properties: { ...props, topicAlias: 2 } }, 5),
      gen({ ...pub, topic: '', qos: 0, properties: { topicAlias: 2 } }, 5),
      gen({ ...pub, topic: 'f/q2', qos: 2, messageId: 4, retain: true, properties: props }, 5),
      gen(
        {
          cmd: 'subscribe',
          messageId: 2,
          subscriptions: [
            { topic: 'f/+', qos: 2, nl: true, rap: true, rh: 2 },
            { topic: '$share/g/f/#', qos: 1 },
          ],
        },
        5,
      ),
      gen({ cmd: 'unsubscribe', messageId: 5, unsubscriptions: ['f/+', 'g'] }, 5),
      gen({ cmd: 'pubrel', messageId: 4, reasonCode: 0x92 }, 5),
      gen({ cmd: 'pubrec', messageId: 7, reasonCode: 0x80, properties: { reasonString: 'no' } }, 5),
      gen({ cmd: 'puback', messageId: 8, reasonCode: 0x10 }, 5),
      gen({ cmd: 'pingreq' }, 5),
      gen({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'x' } }, 5),
      gen({ cmd: 'disconnect', reasonCode: 0x04 }, 5),
    ];
    const heapBefore = process.memoryUsage().heapUsed;
    // Keep-alive 3 s with factor 1: the node closes an idle session at 3 s, before nats-server would (at
    // 4.5 s), so an upstream close can only be the broker refusing something.
    await fuzzConnections(tn.ports.tcp as number, r, seeds, 400, () => 5, 3);
    await until('no live sessions', () => tn.node.sessions === 0, 5000);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    // Most sessions end on their garbage before the broker's CONNACK; those that got one were translated.
    const accepted = eventsOf(tn.events, 'connect.accepted');
    expect(accepted.length).toBeGreaterThan(25);
    expect(accepted.every((e) => e.rule?.values?.upstreamProtocol === 4)).toBe(true);
    expect(tn.events.filter((e) => e.kind === 'protocol').length).toBeGreaterThan(150);
    // Whatever the devices sent, the broker never refused what the node translated: no session ended
    // because nats-server closed it.
    expect(eventsOf(tn.events, 'disconnect.upstream_closed')).toEqual([]);

    const dev = await connectClient(`mqtt://127.0.0.1:${tn.ports.tcp}`, {
      clientId: 'after-fuzz-5',
      protocolVersion: 5,
    });
    await dev.publishAsync('f/after', 'ok', { qos: 2 });
    await endClient(dev);
  }, 90_000);
});
