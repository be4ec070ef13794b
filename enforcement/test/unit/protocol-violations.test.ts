// Each rule the decoder enforces, shown with the smallest packet that breaks it.
import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../src/protocol/decode.ts';
import { Framer } from '../../src/protocol/framer.ts';
import type { Frame } from '../../src/protocol/framer.ts';
import type { Direction, MqttVersion } from '../../src/protocol/packets.ts';

const s = (t: string): number[] => {
  const b = Buffer.from(t, 'utf8');
  return [b.length >> 8, b.length & 0xff, ...b];
};
const pkt = (first: number, body: number[]): Buffer => Buffer.from([first, body.length, ...body]);
const connect = (
  over: {
    name?: string;
    level?: number;
    flags?: number;
    id?: number[];
    props?: number[];
    tail?: number[];
  } = {},
) =>
  pkt(0x10, [
    ...s(over.name ?? 'MQTT'),
    over.level ?? 4,
    over.flags ?? 0x02,
    0,
    30,
    ...(over.props ?? []),
    ...(over.id ?? s('dev')),
    ...(over.tail ?? []),
  ]);

type Case = {
  rule: string;
  bytes: Buffer;
  version?: MqttVersion;
  dir?: Direction;
  reason: string;
  clause?: string;
};

const CASES: Case[] = [
  {
    rule: 'CONNECT with a protocol name other than MQTT',
    bytes: connect({ name: 'MQTX' }),
    reason: 'protocol.bad_protocol_name',
    clause: 'MQTT-3.1.2-1',
  },
  {
    rule: 'CONNECT with protocol level 6',
    bytes: connect({ level: 6 }),
    reason: 'protocol.unsupported_version',
  },
  {
    rule: 'CONNECT 3.1 when 3.1 is not enabled',
    bytes: connect({ name: 'MQIsdp', level: 3 }),
    reason: 'protocol.unsupported_version',
  },
  {
    rule: 'CONNECT with the reserved flag set',
    bytes: connect({ flags: 0x03 }),
    reason: 'protocol.reserved_flags',
    clause: 'MQTT-3.1.2-3',
  },
  {
    rule: 'CONNECT with will QoS but no will',
    bytes: connect({ flags: 0x0a }),
    reason: 'protocol.reserved_flags',
    clause: 'MQTT-3.1.2-13',
  },
  {
    rule: 'CONNECT with a password but no user name in 3.1.1',
    bytes: connect({ flags: 0x42, tail: s('pw') }),
    reason: 'protocol.reserved_flags',
    clause: 'MQTT-3.1.2-22',
  },
  {
    rule: 'CONNECT with fixed-header flags',
    bytes: Buffer.concat([Buffer.from([0x11]), connect().subarray(1)]),
    reason: 'protocol.reserved_flags',
  },
  {
    rule: 'CONNECT client id with U+0000',
    bytes: connect({ id: [0, 3, 0x61, 0x00, 0x62] }),
    reason: 'protocol.invalid_utf8',
    clause: 'MQTT-1.5.3-2',
  },
  {
    rule: 'CONNECT client id with an ill-formed UTF-8 sequence',
    bytes: connect({ id: [0, 2, 0xc3, 0x28] }),
    reason: 'protocol.invalid_utf8',
    clause: 'MQTT-1.5.3-1',
  },
  {
    rule: 'CONNECT client id with an encoded surrogate',
    bytes: connect({ id: [0, 3, 0xed, 0xa0, 0x80] }),
    reason: 'protocol.invalid_utf8',
  },
  { rule: 'CONNECT with trailing bytes', bytes: connect({ tail: [1, 2] }), reason: 'protocol.malformed' },
  {
    rule: 'CONNECT truncated inside the client id',
    bytes: connect({ id: [0, 9, 0x61] }),
    reason: 'protocol.malformed',
  },
  {
    rule: 'CONNECT 5.0 with an unknown property',
    version: 5,
    bytes: connect({ level: 5, props: [2, 0x7f, 0] }),
    reason: 'protocol.bad_property',
  },
  {
    rule: 'CONNECT 5.0 with a duplicated property',
    version: 5,
    bytes: connect({ level: 5, props: [10, 0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2] }),
    reason: 'protocol.bad_property',
  },
  {
    rule: 'CONNECT 5.0 with a property of another packet type',
    version: 5,
    bytes: connect({ level: 5, props: [3, 0x23, 0, 1] }),
    reason: 'protocol.bad_property',
  },
  {
    rule: 'CONNECT 5.0 with request problem information 2',
    version: 5,
    bytes: connect({ level: 5, props: [2, 0x17, 2] }),
    reason: 'protocol.bad_property',
  },
  {
    rule: 'CONNECT 5.0 with receive maximum 0',
    version: 5,
    bytes: connect({ level: 5, props: [3, 0x21, 0, 0] }),
    reason: 'protocol.bad_property',
  },
  {
    rule: 'CONNECT 5.0 with a property length past the packet',
    version: 5,
    bytes: connect({ level: 5, props: [99] }),
    reason: 'protocol.bad_property',
  },
  {
    rule: 'PUBLISH with a + wildcard in its topic',
    bytes: pkt(0x30, [...s('a/+/b'), 1]),
    reason: 'protocol.invalid_topic',
    clause: 'MQTT-3.3.2-2',
  },
  {
    rule: 'PUBLISH with a # wildcard in its topic',
    bytes: pkt(0x30, [...s('a/#')]),
    reason: 'protocol.invalid_topic',
  },
  {
    rule: 'PUBLISH with an empty topic and no alias',
    bytes: pkt(0x30, [...s('')]),
    reason: 'protocol.invalid_topic',
  },
  {
    rule: 'PUBLISH with QoS 3',
    bytes: pkt(0x36, [...s('a'), 0, 1]),
    reason: 'protocol.invalid_qos',
    clause: 'MQTT-3.3.1-4',
  },
  {
    rule: 'PUBLISH QoS 0 with DUP',
    bytes: pkt(0x38, [...s('a')]),
    reason: 'protocol.reserved_flags',
    clause: 'MQTT-3.3.1-2',
  },
  {
    rule: 'PUBLISH QoS 1 with packet id 0',
    bytes: pkt(0x32, [...s('a'), 0, 0]),
    reason: 'protocol.missing_field',
    clause: 'MQTT-2.3.1-1',
  },
  {
    rule: 'PUBLISH 5.0 from a client with a subscription identifier',
    version: 5,
    bytes: pkt(0x30, [...s('a'), 2, 0x0b, 1]),
    reason: 'protocol.bad_property',
    clause: 'MQTT-3.3.4-6',
  },
  {
    rule: 'PUBLISH 5.0 with topic alias 0',
    version: 5,
    bytes: pkt(0x30, [...s('a'), 3, 0x23, 0, 0]),
    reason: 'protocol.bad_property',
  },
  {
    rule: 'SUBSCRIBE with flags 0000',
    bytes: pkt(0x80, [0, 1, ...s('a'), 0]),
    reason: 'protocol.reserved_flags',
    clause: 'MQTT-3.8.1-1',
  },
  {
    rule: 'SUBSCRIBE without a filter',
    bytes: pkt(0x82, [0, 1]),
    reason: 'protocol.missing_field',
    clause: 'MQTT-3.8.3-3',
  },
  {
    rule: 'SUBSCRIBE with # not at the end',
    bytes: pkt(0x82, [0, 1, ...s('a/#/b'), 0]),
    reason: 'protocol.invalid_topic',
    clause: 'MQTT-4.7.1-2',
  },
  {
    rule: 'SUBSCRIBE with + inside a level',
    bytes: pkt(0x82, [0, 1, ...s('a/b+'), 0]),
    reason: 'protocol.invalid_topic',
    clause: 'MQTT-4.7.1-3',
  },
  { rule: 'SUBSCRIBE with QoS 3', bytes: pkt(0x82, [0, 1, ...s('a'), 3]), reason: 'protocol.invalid_qos' },
  {
    rule: 'SUBSCRIBE 3.1.1 with reserved option bits',
    bytes: pkt(0x82, [0, 1, ...s('a'), 0x04]),
    reason: 'protocol.reserved_flags',
  },
  {
    rule: 'SUBSCRIBE 5.0 with two subscription identifiers',
    version: 5,
    bytes: pkt(0x82, [0, 1, 4, 0x0b, 1, 0x0b, 2, ...s('a'), 0]),
    reason: 'protocol.bad_property',
  },
  {
    rule: 'SUBSCRIBE 5.0 with retain handling 3',
    version: 5,
    bytes: pkt(0x82, [0, 1, 0, ...s('a'), 0x30]),
    reason: 'protocol.reserved_flags',
  },
  { rule: 'UNSUBSCRIBE without a filter', bytes: pkt(0xa2, [0, 1]), reason: 'protocol.missing_field' },
  {
    rule: 'PUBREL with flags 0000',
    bytes: pkt(0x60, [0, 1]),
    reason: 'protocol.reserved_flags',
    clause: 'MQTT-3.6.1-1',
  },
  { rule: 'PINGREQ with a body', bytes: pkt(0xc0, [0]), reason: 'protocol.malformed' },
  { rule: 'DISCONNECT 3.1.1 with a body', bytes: pkt(0xe0, [0]), reason: 'protocol.malformed' },
  { rule: 'CONNACK sent by a client', bytes: pkt(0x20, [0, 0]), reason: 'protocol.invalid_packet_type' },
  { rule: 'SUBACK sent by a client', bytes: pkt(0x90, [0, 1, 0]), reason: 'protocol.invalid_packet_type' },
  { rule: 'reserved packet type 0', bytes: pkt(0x00, []), reason: 'protocol.invalid_packet_type' },
  { rule: 'AUTH in 3.1.1', bytes: pkt(0xf0, []), reason: 'protocol.invalid_packet_type' },
  {
    rule: 'SUBSCRIBE sent by a server',
    dir: 'out',
    bytes: pkt(0x82, [0, 1, ...s('a'), 0]),
    reason: 'protocol.invalid_packet_type',
  },
];

function decode(c: Case) {
  const frames: Frame[] = [];
  expect(new Framer(1 << 20).push(c.bytes, { onFrame: (f) => frames.push(f) })).toBeUndefined();
  expect(frames).toHaveLength(1);
  return decodePacket(frames[0] as Frame, c.version ?? 4, c.dir ?? 'in', { allowMqtt31: false });
}

describe('protocol validation', () => {
  for (const c of CASES) {
    it(`${c.rule} is refused with ${c.reason}`, () => {
      const d = decode(c);
      expect(d.ok).toBe(false);
      if (d.ok) return;
      expect(d.violation.reason).toBe(c.reason);
      if (c.clause) expect(d.violation.clause).toBe(c.clause);
    });
  }

  it('a remaining length of five bytes is refused as malformed from the fixed header', () => {
    const v = new Framer(1 << 20).push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), {
      onFrame: () => undefined,
    });
    expect(v?.reason).toBe('protocol.malformed_remaining_length');
  });

  it('a huge declared packet is refused before its body arrives or is buffered', () => {
    const framer = new Framer(1024);
    const frames: Frame[] = [];
    // 0x30 with remaining length 268,435,455 (the largest four-byte value) and no body at all
    const v = framer.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]), { onFrame: (f) => frames.push(f) });
    expect(v?.reason).toBe('protocol.packet_too_large');
    expect(frames).toHaveLength(0);
  });

  it('a declared size split across chunks is still refused when the length completes', () => {
    const framer = new Framer(100);
    expect(framer.push(Buffer.from([0x30, 0xe5]), { onFrame: () => undefined })).toBeUndefined();
    expect(framer.push(Buffer.from([0x00]), { onFrame: () => undefined })?.reason).toBe(
      'protocol.packet_too_large',
    );
  });

  it('a packet exactly at the size limit passes and one byte more does not', () => {
    const body = Buffer.concat([Buffer.from(s('t')), Buffer.alloc(95)]);
    const exact = Buffer.concat([Buffer.from([0x30, body.length]), body]);
    expect(exact.length).toBe(100);
    expect(new Framer(100).push(exact, { onFrame: () => undefined })).toBeUndefined();
    expect(new Framer(99).push(exact, { onFrame: () => undefined })?.reason).toBe(
      'protocol.packet_too_large',
    );
  });

  it('MQTT 3.1 is accepted when enabled', () => {
    const frames: Frame[] = [];
    new Framer(1024).push(connect({ name: 'MQIsdp', level: 3 }), { onFrame: (f) => frames.push(f) });
    const d = decodePacket(frames[0] as Frame, 4, 'in', { allowMqtt31: true });
    expect(d.ok && d.packet.cmd === 'connect' && d.packet.protocolVersion).toBe(3);
  });
});
