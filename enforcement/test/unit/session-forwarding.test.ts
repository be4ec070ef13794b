// The proxy session's forwarding on in-memory streams (no sockets): allowed packets leave as the bytes that
// arrived, merged into one write per chunk, in order around the packets the node answers or drops itself.
// The random test compares what reaches the broker with the simple model — every allowed packet, as is,
// in order — over random mixes of allowed and denied PUBLISHes cut into random chunks.
import mqttPacket from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DEVICE_ACL } from '../../src/policy/config.ts';
import { ForwardRun } from '../../src/session/forward-run.ts';
import { memorySession, stopMemorySessions, tick } from '../support/memory-session.ts';
import type { Wire } from '../support/memory-session.ts';

afterEach(stopMemorySessions);

async function openSession(clientId: string) {
  const { session, device, ups } = memorySession({ rules: DEFAULT_DEVICE_ACL });
  await tick();
  device.push(
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId,
    }),
  );
  for (let i = 0; i < 5 && (ups[0]?.writes.length ?? 0) === 0; i++) await tick();
  expect(ups).toHaveLength(1);
  const up = ups[0] as Wire;
  expect(up.writes).toHaveLength(1); // the CONNECT, as it arrived
  up.push(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
  await tick();
  expect(device.writes).toHaveLength(1); // the CONNACK
  up.writes = [];
  device.writes = [];
  return { session, device, up };
}

const publish = (topic: string, qos: 0 | 1, messageId: number, size = 20): Buffer =>
  mqttPacket.generate({
    cmd: 'publish',
    topic,
    payload: Buffer.alloc(size, messageId & 0xff),
    qos,
    retain: false,
    dup: false,
    ...(qos > 0 ? { messageId } : {}),
  });

/** Deterministic random numbers, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('session forwarding', () => {
  it('forwarding - a chunk of allowed PUBLISHes reaches the broker as the bytes that arrived, in one write', async () => {
    const { device, up } = await openSession('dev-a');
    const chunk = Buffer.concat(Array.from({ length: 12 }, (_, i) => publish('devices/dev-a/t', 1, i + 1)));
    device.push(chunk);
    await tick();
    expect(up.writes).toHaveLength(1);
    expect(up.bytes.equals(chunk)).toBe(true);
  });

  it('forwarding - PUBACKs from the broker reach the device as the bytes that arrived, in one write', async () => {
    const { device, up } = await openSession('dev-b');
    const acks = Buffer.concat(
      Array.from({ length: 12 }, (_, i) => mqttPacket.generate({ cmd: 'puback', messageId: i + 1 })),
    );
    up.push(acks);
    await tick();
    expect(device.writes).toHaveLength(1);
    expect(device.bytes.equals(acks)).toBe(true);
  });

  it('forwarding - a denied PUBLISH between allowed ones: the broker gets exactly the allowed ones in order, the device its PUBACK', async () => {
    const { device, up } = await openSession('dev-c');
    const a = publish('devices/dev-c/1', 1, 1);
    const denied = publish('elsewhere/x', 1, 2);
    const b = publish('devices/dev-c/2', 1, 3);
    device.push(Buffer.concat([a, denied, b]));
    await tick();
    expect(up.bytes.equals(Buffer.concat([a, b]))).toBe(true);
    // 3.1.1 has no negative PUBACK: an ACL-denied QoS 1 PUBLISH is acknowledged and dropped.
    expect(device.bytes.equals(mqttPacket.generate({ cmd: 'puback', messageId: 2 }))).toBe(true);
  });

  it('forwarding - allowed packets before a malformed one in the same chunk still reach the broker before both sides close', async () => {
    const { device, up, session } = await openSession('dev-d');
    const a = publish('devices/dev-d/1', 0, 0);
    const b = publish('devices/dev-d/2', 1, 7);
    const qos3 = Buffer.from(a);
    qos3[0] = 0x36; // PUBLISH with QoS 3 [MQTT-3.3.1-4]
    device.push(Buffer.concat([a, b, qos3]));
    await tick();
    expect(session.closed).toBe(true);
    expect(up.bytes.equals(Buffer.concat([a, b]))).toBe(true);
    expect(up.writableEnded).toBe(true);
  });

  it('forwarding - random mixes of allowed and denied PUBLISHes in random chunks match forwarding each allowed packet as is', async () => {
    for (let round = 0; round < 60; round++) {
      const rand = rng(round + 1);
      const id = `dev-r${round}`;
      const { device, up } = await openSession(id);
      const packets: { bytes: Buffer; allowed: boolean; qos: 0 | 1 }[] = [];
      const count = 1 + Math.floor(rand() * 40);
      for (let i = 0; i < count; i++) {
        const allowed = rand() < 0.7;
        const qos = rand() < 0.5 ? 0 : 1;
        const topic = allowed ? `devices/${id}/t${i}` : `other/${i}`;
        packets.push({ bytes: publish(topic, qos, i + 1, Math.floor(rand() * 300)), allowed, qos });
      }
      const stream = Buffer.concat(packets.map((p) => p.bytes));
      // Cut the stream at random places, packet boundaries or not.
      let at = 0;
      while (at < stream.length) {
        const len = 1 + Math.floor(rand() * (rand() < 0.3 ? 8 : 700));
        device.push(Buffer.from(stream.subarray(at, at + len)));
        at += len;
        if (rand() < 0.5) await tick();
      }
      await tick();
      const expected = Buffer.concat(packets.filter((p) => p.allowed).map((p) => p.bytes));
      expect(up.bytes.equals(expected), `round ${round}`).toBe(true);
      const acks = packets.filter((p) => !p.allowed && p.qos === 1).length;
      expect(device.bytes.length, `round ${round}`).toBe(acks * 4);
    }
  });
});

describe('forward run', () => {
  it('forward run - slices side by side in one buffer merge; any other slice ends the run, and the bytes and order are kept', () => {
    const rand = rng(42);
    for (let round = 0; round < 500; round++) {
      const buffers = [Buffer.alloc(64), Buffer.alloc(64), Buffer.alloc(64)].map((b) => {
        for (let i = 0; i < b.length; i++) b[i] = Math.floor(rand() * 256);
        return b;
      });
      const run = new ForwardRun();
      const out: Buffer[] = [];
      const expected: Buffer[] = [];
      let breaks = 0;
      let last: { src: Buffer; end: number } | undefined;
      for (let k = 0; k < 20; k++) {
        const src = buffers[Math.floor(rand() * buffers.length)] as Buffer;
        const adjacent = last !== undefined && last.src === src && rand() < 0.6;
        const start = adjacent ? (last as { end: number }).end : Math.floor(rand() * 48);
        if (start >= src.length) continue;
        const end = Math.min(src.length, start + 1 + Math.floor(rand() * 16));
        if (!(last !== undefined && last.src === src && last.end === start)) breaks++;
        expected.push(src.subarray(start, end));
        const done = run.push(src, start, end);
        if (done) out.push(done);
        last = { src, end };
      }
      const rest = run.take();
      if (rest) out.push(rest);
      expect(run.take()).toBeUndefined();
      expect(Buffer.concat(out).equals(Buffer.concat(expected))).toBe(true);
      expect(out).toHaveLength(breaks);
    }
  });

  it('forward run - a run that is the whole buffer is that buffer, not a copy or a new view', () => {
    const run = new ForwardRun();
    const chunk = Buffer.from('0123456789');
    expect(run.push(chunk, 0, 4)).toBeUndefined();
    expect(run.push(chunk, 4, 10)).toBeUndefined();
    expect(run.take()).toBe(chunk);
  });
});
