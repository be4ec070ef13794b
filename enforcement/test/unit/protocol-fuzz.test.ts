// Fuzzing the parsing path: 120,000 random and mutated packets through the framer and the decoder, for
// both versions and both directions. Nothing may throw, every outcome is a packet or a typed violation,
// the framer never holds more than its limit, and memory stays bounded.
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { REASONS } from '@sentinel/ingest';
import { decodePacket } from '../../src/protocol/decode.ts';
import { Framer } from '../../src/protocol/framer.ts';
import type { MqttVersion } from '../../src/protocol/packets.ts';
import { rng } from '../support/random-mqtt.ts';

const SEEDS: Array<{ p: Record<string, unknown>; v: MqttVersion }> = [
  {
    v: 4,
    p: {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      clientId: 'dev',
      username: 'u',
      password: Buffer.from('p'),
      will: { topic: 'w', payload: Buffer.from('x'), qos: 1, retain: false },
    },
  },
  {
    v: 5,
    p: {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: true,
      keepalive: 30,
      clientId: 'dev',
      properties: { sessionExpiryInterval: 5, userProperties: { a: 'b' }, receiveMaximum: 4 },
    },
  },
  {
    v: 4,
    p: {
      cmd: 'publish',
      topic: 'devices/d/t',
      payload: Buffer.from('hello'),
      qos: 1,
      retain: false,
      dup: false,
      messageId: 3,
    },
  },
  {
    v: 5,
    p: {
      cmd: 'publish',
      topic: 'a',
      payload: Buffer.from('x'),
      qos: 2,
      retain: true,
      dup: false,
      messageId: 9,
      properties: { topicAlias: 2, contentType: 'c', userProperties: { k: 'v' } },
    },
  },
  {
    v: 4,
    p: {
      cmd: 'subscribe',
      messageId: 4,
      subscriptions: [
        { topic: 'a/+', qos: 1 },
        { topic: '#', qos: 0 },
      ],
    },
  },
  {
    v: 5,
    p: {
      cmd: 'subscribe',
      messageId: 4,
      subscriptions: [{ topic: 'a/b', qos: 1, nl: true, rap: false, rh: 1 }],
      properties: { subscriptionIdentifier: 77 },
    },
  },
  { v: 4, p: { cmd: 'unsubscribe', messageId: 5, unsubscriptions: ['a/b'] } },
  { v: 5, p: { cmd: 'puback', messageId: 5, reasonCode: 0x10, properties: { reasonString: 'r' } } },
  { v: 5, p: { cmd: 'disconnect', reasonCode: 0x04, properties: { reasonString: 'r' } } },
  { v: 5, p: { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'm' } } },
  { v: 4, p: { cmd: 'pingreq' } },
  { v: 4, p: { cmd: 'pubrel', messageId: 5 } },
  { v: 5, p: { cmd: 'connack', sessionPresent: false, reasonCode: 0, properties: { topicAliasMaximum: 3 } } },
  { v: 5, p: { cmd: 'suback', messageId: 4, granted: [0, 0x87] } },
];

const seeds = SEEDS.map((x) => ({
  v: x.v,
  bytes: mqttPacket.generate(x.p as unknown as mqttPacket.Packet, { protocolVersion: x.v }),
}));

function mutate(src: Buffer, r: () => number): Buffer {
  const b = Buffer.from(src);
  const n = 1 + Math.floor(r() * 4);
  let out = b;
  for (let k = 0; k < n; k++) {
    const op = Math.floor(r() * 6);
    const i = Math.floor(r() * out.length);
    if (op === 0) out[i] = Math.floor(r() * 256);
    else if (op === 1) out[i] = (out[i] as number) ^ (1 << Math.floor(r() * 8));
    else if (op === 2) out = out.subarray(0, i);
    else if (op === 3)
      out = Buffer.concat([out.subarray(0, i), Buffer.from([Math.floor(r() * 256)]), out.subarray(i)]);
    else if (op === 4) out = Buffer.concat([out, out.subarray(0, i)]);
    else out[Math.min(1, out.length - 1)] = Math.floor(r() * 256);
  }
  return out;
}

function randomBytes(r: () => number): Buffer {
  const len = Math.floor(r() * 64);
  const b = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) b[i] = Math.floor(r() * 256);
  // Often make the first byte a real packet type so the decoder, not only the framer, gets exercised.
  if (len > 0 && r() < 0.7) b[0] = ((1 + Math.floor(r() * 15)) << 4) | (r() < 0.3 ? 2 : 0);
  return b;
}

describe('protocol fuzz', () => {
  it('120,000 random and mutated packets never throw, and each ends as a packet or a typed violation', () => {
    const r = rng(0x5e171e1);
    const MAX = 4096;
    const counts = { packets: 0, violations: 0, framerViolations: 0, incomplete: 0 };
    const reasons = new Set<string>();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let n = 0; n < 120_000; n++) {
      const seed = seeds[n % seeds.length] as { v: MqttVersion; bytes: Buffer };
      const input = n % 3 === 0 ? randomBytes(r) : mutate(seed.bytes, r);
      const framer = new Framer(MAX);
      const cut = Math.floor(r() * (input.length + 1));
      let got = 0;
      const onFrame = (f: Parameters<Parameters<Framer['push']>[1]['onFrame']>[0]): void => {
        got++;
        expect(f.raw.length).toBeLessThanOrEqual(MAX);
        for (const dir of ['in', 'out'] as const) {
          const d = decodePacket(f, seed.v, dir, { allowMqtt31: true });
          if (d.ok) counts.packets++;
          else {
            counts.violations++;
            reasons.add(d.violation.reason);
            expect(d.violation.reason in REASONS).toBe(true);
          }
        }
      };
      const v1 = framer.push(input.subarray(0, cut), { onFrame });
      const v2 = v1 ?? framer.push(input.subarray(cut), { onFrame });
      if (v1 ?? v2) counts.framerViolations++;
      else if (got === 0 && input.length > 0) counts.incomplete++;
    }
    const heapAfter = process.memoryUsage().heapUsed;
    // Both outcomes occur in quantity: the fuzzer reaches deep into the decoder.
    expect(counts.packets).toBeGreaterThan(10_000);
    expect(counts.violations).toBeGreaterThan(20_000);
    expect(reasons.size).toBeGreaterThan(8);
    expect(heapAfter - heapBefore).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);
});
