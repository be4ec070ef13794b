// A translated proxy session on in-memory streams (no sockets): a 5.0 device in front of a 3.1.1 broker.
// The `auto` retry, the node-completed QoS 2 exchange, and random traffic both ways: whatever the device
// and the broker send, every packet the node writes upstream decodes as 3.1.1 and every packet it writes
// to the device decodes as 5.0.
import mqttPacket from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import type { RateLimits } from '../../src/policy/types.ts';
import { decodePacket } from '../../src/protocol/decode.ts';
import { Framer } from '../../src/protocol/framer.ts';
import type { MqttVersion, Packet } from '../../src/protocol/packets.ts';
import type { ProxySession } from '../../src/session/proxy-session.ts';
import { UpstreamLevel } from '../../src/session/translator.ts';
import { memorySession, stopMemorySessions, tick, WIDE_LIMITS } from '../support/memory-session.ts';
import type { Wire } from '../support/memory-session.ts';
import { randomDevicePacket, randomTopic, rng } from '../support/random-mqtt.ts';

const gen = (p: Record<string, unknown>, v: MqttVersion): Buffer =>
  mqttPacket.generate(p as unknown as mqttPacket.Packet, { protocolVersion: v });

/** Every packet in `bufs`, decoded as `version` in `dir`; a violation fails the test with its detail. */
function packetsOf(bufs: Buffer[], version: MqttVersion, dir: 'in' | 'out'): Packet[] {
  const out: Packet[] = [];
  const framer = new Framer(1 << 28);
  for (const b of bufs) {
    const v = framer.push(b, {
      onFrame(f) {
        const d = decodePacket(f, version, dir);
        if (!d.ok)
          throw new Error(
            `${dir} ${d.violation.reason} ${d.violation.detail ?? ''} ${f.raw.toString('hex')}`,
          );
        out.push(d.packet);
      },
    });
    if (v) throw new Error(`framing: ${v.reason}`);
  }
  return out;
}

afterEach(stopMemorySessions);

const ALLOW_ALL = {
  publish: { allow: ['#'] },
  subscribe: { allow: ['#'] },
  retain: true,
  wildcards: true,
};

function newSession(level: UpstreamLevel, limits: RateLimits = WIDE_LIMITS) {
  return memorySession({ rules: ALLOW_ALL, limits, upstream: level });
}

const connect5 = (clientId: string): Buffer =>
  gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 0, clientId }, 5);

async function settle(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 20 && !cond(); i++) await tick();
}

describe('translated proxy session', () => {
  it('auto - a 3.1.1 refusal of the 5.0 CONNECT makes the node reconnect as 3.1.1; packets sent meanwhile wait and go translated', async () => {
    const level = new UpstreamLevel('auto');
    const { device, ups } = newSession(level);
    device.push(
      Buffer.concat([
        connect5('dev-auto'),
        gen({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 1, messageId: 5 }, 5),
      ]),
    );
    await settle(() => ups[0]?.writes.length === 1);
    // The first upstream got the CONNECT as it arrived, and nothing else: the PUBLISH is held.
    expect(packetsOf(ups[0]?.writes ?? [], 5, 'in').map((p) => p.cmd)).toEqual(['connect']);
    ups[0]?.push(Buffer.from([0x20, 0x02, 0x00, 0x01]));
    await settle(() => ups.length === 2 && (ups[1]?.writes.length ?? 0) > 0);
    expect(level.learned).toBe(4);
    expect(ups[0]?.destroyed).toBe(true);
    const second = ups[1] as Wire;
    expect(packetsOf(second.writes, 4, 'in')).toMatchObject([{ cmd: 'connect', protocolVersion: 4 }]);
    second.push(Buffer.from([0x20, 0x02, 0x00, 0x00]));
    await settle(() => second.writes.length > 1);
    expect(packetsOf(second.writes, 4, 'in').map((p) => p.cmd)).toEqual(['connect', 'publish']);
    const toDevice = packetsOf(device.writes, 5, 'out');
    expect(toDevice).toMatchObject([{ cmd: 'connack', reasonCode: 0 }]);
    // A later session of the same node translates at once.
    const next = newSession(level);
    next.device.push(connect5('dev-auto-2'));
    await settle(() => (next.ups[0]?.writes.length ?? 0) > 0);
    expect(packetsOf(next.ups[0]?.writes ?? [], 4, 'in')).toMatchObject([
      { cmd: 'connect', protocolVersion: 4 },
    ]);
  });

  it('a broker refusal reaches the device once, as its 5.0 reason code, and ends the session', async () => {
    const { session, device, ups } = newSession(new UpstreamLevel(4));
    device.push(connect5('dev-refused'));
    await settle(() => (ups[0]?.writes.length ?? 0) > 0);
    const up = ups[0] as Wire;
    up.push(Buffer.from([0x20, 0x02, 0x00, 0x05]));
    await tick();
    up.destroy();
    await tick();
    expect(session.closed).toBe(true);
    expect(packetsOf(device.writes, 5, 'out')).toEqual([
      { cmd: 'connack', sessionPresent: false, reasonCode: 0x87 },
    ]);
  });

  it('maxQos 1 - a QoS 2 PUBLISH leaves as QoS 1 once; the broker’s PUBACK becomes PUBREC, the PUBREL is answered by the node', async () => {
    const { device, ups } = newSession(new UpstreamLevel(4, 1));
    device.push(connect5('dev-q2'));
    await settle(() => (ups[0]?.writes.length ?? 0) > 0);
    const up = ups[0] as Wire;
    up.push(Buffer.from([0x20, 0x02, 0x00, 0x00]));
    await tick();
    const q2 = { cmd: 'publish', topic: 'a/q2', payload: Buffer.from('once'), qos: 2, messageId: 9 };
    device.push(gen(q2, 5));
    device.push(gen({ ...q2, dup: true }, 5)); // resent before the PUBREC: not forwarded again
    await tick();
    expect(packetsOf(up.writes, 4, 'in').slice(1)).toMatchObject([{ cmd: 'publish', qos: 1, messageId: 9 }]);
    up.push(gen({ cmd: 'puback', messageId: 9 }, 4));
    await tick();
    device.push(gen({ cmd: 'pubrel', messageId: 9 }, 5));
    device.push(gen({ cmd: 'pubrel', messageId: 77 }, 5));
    await tick();
    const acks = packetsOf(device.writes, 5, 'out').slice(1);
    expect(acks).toMatchObject([
      { cmd: 'pubrec', messageId: 9 },
      { cmd: 'pubcomp', messageId: 9 },
      { cmd: 'pubcomp', messageId: 77, reasonCode: 0x92 },
    ]);
    // Nothing of QoS 2 ever reached the broker.
    expect(packetsOf(up.writes, 4, 'in').map((p) => p.cmd)).toEqual(['connect', 'publish']);
  });

  it('Receive Maximum: random deliveries and acknowledgements never leave more unacknowledged than the device allows', async () => {
    const r = rng(0x4ec3);
    const { device, ups } = newSession(new UpstreamLevel(4, 1));
    device.push(
      gen(
        {
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 5,
          clean: true,
          keepalive: 0,
          clientId: 'dev-rmax',
          properties: { receiveMaximum: 3 },
        },
        5,
      ),
    );
    await settle(() => (ups[0]?.writes.length ?? 0) > 0);
    const up = ups[0] as Wire;
    up.push(Buffer.from([0x20, 0x02, 0x00, 0x00]));
    await tick();
    const total = 40;
    let sent = 0;
    const seen = new Set<number>();
    const outstanding = new Set<number>();
    let seenWrites = 1; // the CONNACK
    for (let step = 0; step < 2000 && seen.size < total; step++) {
      if (sent < total && r() < 0.4) {
        // The broker sends a few deliveries in one chunk (it does not know the device's window).
        const n = Math.min(total - sent, 1 + Math.floor(r() * 4));
        const chunk = Array.from({ length: n }, (_, i) =>
          gen({ cmd: 'publish', topic: 'q', payload: Buffer.from('x'), qos: 1, messageId: sent + i + 1 }, 4),
        );
        sent += n;
        up.push(Buffer.concat(chunk));
      } else if (outstanding.size > 0 && r() < 0.5) {
        const ids = [...outstanding];
        const id = ids[Math.floor(r() * ids.length)] as number;
        outstanding.delete(id);
        device.push(gen({ cmd: 'puback', messageId: id }, 5));
      }
      await tick();
      for (const p of packetsOf(device.writes.slice(seenWrites), 5, 'out')) {
        if (p.cmd !== 'publish') continue;
        seen.add(p.messageId as number);
        outstanding.add(p.messageId as number);
      }
      seenWrites = device.writes.length;
      expect(outstanding.size).toBeLessThanOrEqual(3);
    }
    expect(seen.size).toBe(total);
    for (const id of outstanding) device.push(gen({ cmd: 'puback', messageId: id }, 5));
    await tick();
    expect(up.isPaused()).toBe(false);
  });

  it('random traffic both ways: every packet written upstream is 3.1.1, every packet written to the device is 5.0', async () => {
    const r = rng(0x7a11);
    let upPackets = 0;
    let devicePackets = 0;
    for (let s = 0; s < 150; s++) {
      const maxQos = r() < 0.5 ? 1 : 2;
      const { session, device, ups } = newSession(new UpstreamLevel(4, maxQos));
      device.push(connect5(`dev-r${s}`));
      await settle(() => (ups[0]?.writes.length ?? 0) > 0);
      const up = ups[0] as Wire;
      up.push(Buffer.from([0x20, 0x02, 0x00, 0x00]));
      await tick();
      for (let k = 0; k < 30 && !session.closed; k++) {
        if (r() < 0.6) {
          const b = randomDevicePacket(r);
          // Now and then a mutated one: the node must refuse it, never pass it on broken.
          if (r() < 0.1) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
          device.push(b);
        } else up.push(randomBrokerPacket(r));
        await tick();
      }
      const sent = packetsOf(up.writes, 4, 'in');
      const told = packetsOf(device.writes, 5, 'out');
      expect(sent[0]?.cmd).toBe('connect');
      expect(told[0]?.cmd).toBe('connack');
      // QoS 2 acknowledgements reach a broker without QoS 2 never.
      if (maxQos === 1) expect(sent.some((p) => ['pubrec', 'pubrel', 'pubcomp'].includes(p.cmd))).toBe(false);
      upPackets += sent.length;
      devicePackets += told.length;
      session.close('disconnect.client');
    }
    expect(upPackets).toBeGreaterThan(500);
    expect(devicePackets).toBeGreaterThan(300);
  });
});

/** A random packet a 3.1.1 broker may send a client. */
function randomBrokerPacket(r: () => number): Buffer {
  const id = 1 + Math.floor(r() * 65_535);
  switch (Math.floor(r() * 6)) {
    case 0:
    case 1: {
      const qos = Math.floor(r() * 2);
      return gen(
        {
          cmd: 'publish',
          topic: randomTopic(r),
          payload: Buffer.alloc(Math.floor(r() * 300), 0x61),
          qos,
          retain: r() < 0.3,
          dup: false,
          ...(qos > 0 ? { messageId: id } : {}),
        },
        4,
      );
    }
    case 2:
      return gen({ cmd: (['puback', 'pubrec', 'pubcomp'] as const)[Math.floor(r() * 3)], messageId: id }, 4);
    case 3:
      return gen(
        { cmd: 'suback', messageId: id, granted: [0, 1, 0x80].slice(0, 1 + Math.floor(r() * 3)) },
        4,
      );
    case 4:
      return gen({ cmd: 'unsuback', messageId: id }, 4);
    default:
      return gen({ cmd: r() < 0.5 ? 'pingresp' : 'pubrel', messageId: id }, 4);
  }
}

/** A translated session past its CONNACK (the broker accepted). */
async function openSession(
  connect: Record<string, unknown>,
  maxQos: 1 | 2 = 1,
  limits: RateLimits = WIDE_LIMITS,
): Promise<{ session: ProxySession; device: Wire; up: Wire }> {
  const { session, device, ups } = newSession(new UpstreamLevel(4, maxQos), limits);
  device.push(
    gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 0, ...connect }, 5),
  );
  await settle(() => (ups[0]?.writes.length ?? 0) > 0);
  const up = ups[0] as Wire;
  up.push(Buffer.from([0x20, 0x02, 0x00, 0x00]));
  await settle(() => device.writes.length > 0);
  return { session, device, up };
}

describe('translated proxy session: spec corners', () => {
  it('a DISCONNECT setting a Session Expiry Interval after 0 in CONNECT is a protocol error (0x82): no DISCONNECT upstream, so the will is published', async () => {
    const will = { topic: 'devices/w/will', payload: Buffer.from('gone'), qos: 1, retain: false };
    const { session, device, up } = await openSession({ clientId: 'dev-bad-disc', will });
    device.push(gen({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } }, 5));
    await settle(() => session.closed);
    expect(session.closed).toBe(true);
    // [MQTT-3.14.2-2]: not a valid DISCONNECT, so it is not carried (a 3.1.1 DISCONNECT discards the will)
    expect(packetsOf(up.writes, 4, 'in').map((p) => p.cmd)).toEqual(['connect']);
    expect(packetsOf(device.writes, 5, 'out').slice(1)).toMatchObject([
      { cmd: 'disconnect', reasonCode: 0x82 },
    ]);
  });

  it('a DISCONNECT that keeps or shortens a non-zero Session Expiry Interval is carried as the 3.1.1 DISCONNECT', async () => {
    for (const [asked, now] of [
      [0, 0],
      [300, 60],
      [300, 0],
    ] as const) {
      const connect =
        asked === 0
          ? { clientId: 'dev-disc' }
          : { clientId: 'dev-disc', properties: { sessionExpiryInterval: asked } };
      const { session, up } = await openSession(connect);
      const device = (session as unknown as { device: Wire }).device;
      device.push(gen({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: now } }, 5));
      await settle(() => session.closed);
      expect(packetsOf(up.writes, 4, 'in').map((p) => p.cmd)).toEqual(['connect', 'disconnect']);
    }
  });

  it('Receive Maximum: a device PUBACK the node drops for a rate limit still frees its place, so the next delivery is sent', async () => {
    // Per-IP tier: the CONNECT and one PUBACK pass, the second PUBACK is dropped.
    const limits = { ...WIDE_LIMITS, per_ip: { rate: 0.001, burst: 2 } };
    const { device, up } = await openSession(
      { clientId: 'dev-rl-ack', properties: { receiveMaximum: 1 } },
      1,
      limits,
    );
    up.push(
      Buffer.concat(
        [1, 2, 3].map((id) =>
          gen({ cmd: 'publish', topic: 'q', payload: Buffer.from(`m${id}`), qos: 1, messageId: id }, 4),
        ),
      ),
    );
    await tick();
    const delivered = (): number[] =>
      packetsOf(device.writes, 5, 'out')
        .filter((p) => p.cmd === 'publish')
        .map((p) => p.messageId as number);
    expect(delivered()).toEqual([1]);
    device.push(gen({ cmd: 'puback', messageId: 1 }, 5));
    await tick();
    expect(delivered()).toEqual([1, 2]);
    device.push(gen({ cmd: 'puback', messageId: 2 }, 5)); // rate-limited: not forwarded
    await tick();
    expect(delivered()).toEqual([1, 2, 3]);
    expect(up.isPaused()).toBe(false);
  });
});

describe('translated proxy session: QoS 2 completed by the node across a reconnect', () => {
  it('maxQos 1 - in a resumed session, a PUBREL for an exchange of the earlier connection gets PUBCOMP Success; in a new session 0x92', async () => {
    for (const present of [true, false]) {
      const { device, ups } = newSession(new UpstreamLevel(4, 1));
      device.push(
        gen(
          {
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 5,
            clean: false,
            keepalive: 0,
            clientId: 'dev-resume',
            properties: { sessionExpiryInterval: 600 },
          },
          5,
        ),
      );
      await settle(() => (ups[0]?.writes.length ?? 0) > 0);
      ups[0]?.push(Buffer.from([0x20, 0x02, present ? 0x01 : 0x00, 0x00]));
      await settle(() => device.writes.length > 0);
      // The device resends PUBREL for the exchange whose PUBREC it got before the connection dropped
      // [MQTT-4.4.0-1]; the node sent that PUBREC only after the broker's PUBACK.
      device.push(gen({ cmd: 'pubrel', messageId: 9 }, 5));
      await settle(() => device.writes.length > 1);
      const [connack, pubcomp] = packetsOf(device.writes, 5, 'out');
      expect(connack).toMatchObject({ cmd: 'connack', sessionPresent: present });
      expect(pubcomp).toMatchObject({ cmd: 'pubcomp', messageId: 9 });
      expect((pubcomp as { reasonCode?: number }).reasonCode ?? 0).toBe(present ? 0 : 0x92);
      expect(packetsOf(ups[0]?.writes ?? [], 4, 'in').map((p) => p.cmd)).toEqual(['connect']);
    }
  });
});

describe('translated proxy session: Receive Maximum and Maximum Packet Size together', () => {
  it('a delivery too large for the device is acknowledged upstream once and takes no place; a PUBACK or PUBREC with an error code frees one', async () => {
    const { device, up } = await openSession(
      { clientId: 'dev-rmax-mps', properties: { receiveMaximum: 1, maximumPacketSize: 64 } },
      2,
    );
    const pub = (id: number, qos: 1 | 2, size: number): Buffer =>
      gen({ cmd: 'publish', topic: 'q', payload: Buffer.alloc(size, 0x61), qos, messageId: id }, 4);
    const upstreamAcks = (): string[] =>
      packetsOf(up.writes, 4, 'in')
        .slice(1)
        .map((p) => `${p.cmd}:${(p as { messageId?: number }).messageId}`);
    const delivered = (): number[] =>
      packetsOf(device.writes, 5, 'out')
        .filter((p) => p.cmd === 'publish')
        .map((p) => p.messageId as number);
    // Too large (QoS 1 and QoS 2), then two that fit; the QoS 2 one is resent by the broker (DUP).
    up.push(Buffer.concat([pub(1, 1, 100), pub(2, 2, 100), pub(3, 1, 10), pub(4, 2, 10)]));
    up.push(
      gen(
        { cmd: 'publish', topic: 'q', payload: Buffer.alloc(100, 0x61), qos: 2, messageId: 2, dup: true },
        4,
      ),
    );
    await tick();
    expect(delivered()).toEqual([3]);
    device.push(gen({ cmd: 'puback', messageId: 3, reasonCode: 0x80 }, 5));
    await tick();
    expect(delivered()).toEqual([3, 4]);
    device.push(gen({ cmd: 'pubrec', messageId: 4, reasonCode: 0x80 }, 5));
    up.push(gen({ cmd: 'pubrel', messageId: 2 }, 4));
    up.push(gen({ cmd: 'pubrel', messageId: 4 }, 4));
    up.push(pub(5, 1, 10));
    await tick();
    expect(delivered()).toEqual([3, 4, 5]);
    // Each dropped delivery acknowledged once per PUBLISH the broker sent; each PUBREL answered by the node.
    // (The resent QoS 2 PUBLISH is read only after the PUBACK: 4 waited, so the broker was not read.)
    expect(upstreamAcks()).toEqual([
      'puback:1',
      'pubrec:2',
      'puback:3',
      'pubrec:2',
      'pubrec:4',
      'pubcomp:2',
      'pubcomp:4',
    ]);
    expect(packetsOf(device.writes, 5, 'out').filter((p) => p.cmd === 'pubrel')).toEqual([]);
  });
});

describe('translated proxy session: keep-alive while the device’s Receive Maximum is used up', () => {
  it('a PINGREQ is answered at once while the broker is not read, and the broker’s own PINGRESP is not passed on twice', async () => {
    const { device, up } = await openSession({ clientId: 'dev-ping', properties: { receiveMaximum: 1 } });
    const pub = (id: number): Buffer =>
      gen({ cmd: 'publish', topic: 'q', payload: Buffer.from('x'), qos: 1, messageId: id }, 4);
    up.push(Buffer.concat([pub(1), pub(2)]));
    await tick();
    expect(up.isPaused()).toBe(true);
    const toDevice = (): string[] => packetsOf(device.writes, 5, 'out').map((p) => p.cmd);
    // A device busy with its one delivery: a broker (5.0) would answer its PINGREQ whatever the window.
    device.push(gen({ cmd: 'pingreq' }, 5));
    await tick();
    expect(toDevice()).toEqual(['connack', 'publish', 'pingresp']);
    // The PINGREQ still keeps the upstream connection alive; the broker's answer is read later.
    expect(packetsOf(up.writes, 4, 'in').map((p) => p.cmd)).toEqual(['connect', 'pingreq']);
    up.push(Buffer.from([0xd0, 0x00]));
    device.push(gen({ cmd: 'puback', messageId: 1 }, 5));
    await settle(() => toDevice().length >= 4);
    await tick();
    expect(toDevice()).toEqual(['connack', 'publish', 'pingresp', 'publish']);
    // Outside a full window, PINGREQ and PINGRESP travel as before.
    device.push(gen({ cmd: 'puback', messageId: 2 }, 5));
    device.push(gen({ cmd: 'pingreq' }, 5));
    await tick();
    expect(toDevice()).toEqual(['connack', 'publish', 'pingresp', 'publish']);
    up.push(Buffer.from([0xd0, 0x00]));
    await settle(() => toDevice().length >= 5);
    expect(toDevice()).toEqual(['connack', 'publish', 'pingresp', 'publish', 'pingresp']);
  });
});

describe('upstream.protocol auto in front of a 5.0 broker', () => {
  it('a 5.0 CONNACK teaches the node the broker speaks 5.0: later sessions forward at once, byte for byte, without waiting for the CONNACK', async () => {
    const level = new UpstreamLevel('auto');
    const first = newSession(level);
    first.device.push(connect5('dev-auto5-a'));
    await settle(() => (first.ups[0]?.writes.length ?? 0) > 0);
    first.ups[0]?.push(Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00])); // a 5.0 CONNACK
    await settle(() => first.device.writes.length > 0);
    expect(level.level).toBe(5);
    // A device that pipelines: CONNECT and a PUBLISH in one chunk, before any CONNACK.
    const second = newSession(level);
    const bytes = Buffer.concat([
      connect5('dev-auto5-b'),
      gen({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 1, messageId: 3 }, 5),
    ]);
    second.device.push(bytes);
    await settle(() => Buffer.concat(second.ups[0]?.writes ?? []).length === bytes.length);
    expect(Buffer.concat(second.ups[0]?.writes ?? [])).toEqual(bytes);
  });

  it('a broker that speaks 5.0 and is later replaced by a 3.1.1 one: a session that sent nothing after CONNECT is retried as 3.1.1', async () => {
    const level = new UpstreamLevel('auto');
    level.learned = 5;
    const { device, ups } = newSession(level);
    device.push(connect5('dev-auto5-c'));
    await settle(() => (ups[0]?.writes.length ?? 0) > 0);
    ups[0]?.push(Buffer.from([0x20, 0x02, 0x00, 0x01]));
    await settle(() => ups.length === 2 && (ups[1]?.writes.length ?? 0) > 0);
    expect(level.level).toBe(4);
    expect(packetsOf(ups[1]?.writes ?? [], 4, 'in')).toMatchObject([{ cmd: 'connect', protocolVersion: 4 }]);
    ups[1]?.push(Buffer.from([0x20, 0x02, 0x00, 0x00]));
    await settle(() => device.writes.length > 0);
    expect(packetsOf(device.writes, 5, 'out')).toMatchObject([{ cmd: 'connack', reasonCode: 0 }]);
  });
});
