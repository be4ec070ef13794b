// Decode and validate one framed packet. Validation happens while reading: every rule of MQTT 3.1.1 and
// 5.0 that the node enforces is checked here, cited by clause, and reported as a Violation. The decoder
// never throws: anything unexpected becomes `protocol.malformed`.
import type { Frame } from './framer.ts';
import type {
  AckPacket,
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  Direction,
  DisconnectPacket,
  MqttVersion,
  Packet,
  PublishPacket,
  QoS,
  SubackPacket,
  Subscription,
  SubscribePacket,
  UnsubackPacket,
  UnsubscribePacket,
  WillMessage,
} from './packets.ts';
import { readProperties } from './properties.ts';
import type { PropertyPlace } from './properties.ts';
import { Reader } from './reader.ts';
import { violate, ViolationSignal } from './violation.ts';
import type { Violation } from './violation.ts';
import { checkFilter, checkTopicName } from './topics.ts';

export interface DecodeOptions {
  /** Accept MQTT 3.1 ('MQIsdp', level 3) CONNECTs. */
  allowMqtt31: boolean;
}

export type Decoded = { ok: true; packet: Packet } | { ok: false; violation: Violation };

const DEFAULTS: DecodeOptions = { allowMqtt31: false };
const EMPTY = Buffer.alloc(0);

/** Decode `frame` for a session of `version` (ignored for CONNECT, which carries its own). */
export function decodePacket(
  frame: Frame,
  version: MqttVersion,
  dir: Direction,
  opts: DecodeOptions = DEFAULTS,
): Decoded {
  try {
    return { ok: true, packet: decodeOrThrow(frame, version, dir, opts) };
  } catch (err) {
    if (err instanceof ViolationSignal) return { ok: false, violation: err.violation };
    return {
      ok: false,
      violation: { reason: 'protocol.malformed', clause: 'MQTT-1.5', detail: 'undecodable packet' },
    };
  }
}

// Which packet types each side may send [MQTT-2.2.1]; AUTH (15) exists in 5.0 only. Bit n = type n.
const typeMask = (types: number[]): number => types.reduce((m, t) => m | (1 << t), 0);
const FROM_CLIENT = typeMask([1, 3, 4, 5, 6, 7, 8, 10, 12, 14, 15]);
const FROM_SERVER = typeMask([2, 3, 4, 5, 6, 7, 9, 11, 13, 14, 15]);

function decodeOrThrow(frame: Frame, version: MqttVersion, dir: Direction, opts: DecodeOptions): Packet {
  const { type, flags } = frame;
  const allowed = dir === 'in' ? FROM_CLIENT : FROM_SERVER;
  if (((allowed >> type) & 1) === 0 || (type === 15 && version !== 5)) {
    violate(
      'protocol.invalid_packet_type',
      'MQTT-2.2.1',
      `packet type ${type} not valid ${dir === 'in' ? 'from a client' : 'from a server'} in version ${version}`,
    );
  }
  const r = new Reader(frame.src, frame.start + frame.bodyStart, frame.end);
  let p: Packet;
  switch (type) {
    case 1:
      p = decodeConnect(r, flags, opts);
      break;
    case 2:
      p = decodeConnack(r, flags, version);
      break;
    case 3:
      p = decodePublish(r, flags, version, dir);
      break;
    case 4:
    case 5:
    case 6:
    case 7:
      p = decodeAck(r, type, flags, version);
      break;
    case 8:
      p = decodeSubscribe(r, flags, version);
      break;
    case 9:
      p = decodeSuback(r, flags, version);
      break;
    case 10:
      p = decodeUnsubscribe(r, flags, version);
      break;
    case 11:
      p = decodeUnsuback(r, flags, version);
      break;
    case 12:
    case 13:
      zeroFlags(flags);
      if (r.left !== 0) violate('protocol.malformed', 'MQTT-3.12.1', 'PINGREQ/PINGRESP has a body');
      p = { cmd: type === 12 ? 'pingreq' : 'pingresp' };
      break;
    case 14:
      p = decodeDisconnect(r, flags, version);
      break;
    default:
      p = decodeAuth(r, flags);
  }
  if (r.left !== 0) violate('protocol.malformed', 'MQTT-2.1', 'bytes left over after the packet');
  return p;
}

/** Fixed-header flags reserved as 0 [MQTT-2.2.2-1] [MQTT-2.2.2-2]. */
function zeroFlags(flags: number): void {
  if (flags !== 0)
    violate('protocol.reserved_flags', 'MQTT-2.2.2-2', 'reserved fixed-header flags are not 0');
}

/** SUBSCRIBE, UNSUBSCRIBE and PUBREL carry flags 0010 [MQTT-3.8.1-1] [MQTT-3.10.1-1] [MQTT-3.6.1-1]. */
function flags0010(flags: number, clause: string): void {
  if (flags !== 2) violate('protocol.reserved_flags', clause, 'fixed-header flags must be 0010');
}

function props(r: Reader, version: MqttVersion, place: PropertyPlace, repeatSubId = false) {
  return version === 5 ? readProperties(r, place, repeatSubId) : undefined;
}

function packetId(r: Reader): number {
  const id = r.u16('packet identifier');
  // Packet identifiers are non-zero [MQTT-2.3.1-1]
  if (id === 0) violate('protocol.missing_field', 'MQTT-2.3.1-1', 'packet identifier is 0');
  return id;
}

function decodeConnect(r: Reader, flags: number, opts: DecodeOptions): ConnectPacket {
  zeroFlags(flags);
  const name = r.utf8('protocol name');
  const level = r.u8('protocol level');
  if (name === 'MQTT') {
    // [MQTT-3.1.2-2] unsupported levels get CONNACK 0x01 (the session answers that)
    if (level !== 4 && level !== 5)
      violate('protocol.unsupported_version', 'MQTT-3.1.2-2', `protocol level ${level}`);
  } else if (name === 'MQIsdp') {
    if (level !== 3) violate('protocol.unsupported_version', 'MQTT-3.1.2-2', `MQIsdp with level ${level}`);
    if (!opts.allowMqtt31) violate('protocol.unsupported_version', 'MQTT-3.1.2-2', 'MQTT 3.1 is not enabled');
  } else {
    // [MQTT-3.1.2-1] a protocol name other than MQTT closes without CONNACK
    violate('protocol.bad_protocol_name', 'MQTT-3.1.2-1', 'protocol name is not MQTT');
  }
  const version = level as MqttVersion;
  const cf = r.u8('connect flags');
  // The reserved connect flag is 0 [MQTT-3.1.2-3]
  if (cf & 0x01) violate('protocol.reserved_flags', 'MQTT-3.1.2-3', 'reserved connect flag is set');
  const willFlag = (cf & 0x04) !== 0;
  const willQos = (cf >> 3) & 0x03;
  const willRetain = (cf & 0x20) !== 0;
  const hasPassword = (cf & 0x40) !== 0;
  const hasUsername = (cf & 0x80) !== 0;
  if (!willFlag && (willQos !== 0 || willRetain)) {
    violate('protocol.reserved_flags', 'MQTT-3.1.2-13', 'will QoS or retain set without a will');
  }
  if (willQos === 3) violate('protocol.invalid_qos', 'MQTT-3.1.2-14', 'will QoS 3');
  // In 3.1.1 a password needs a user name [MQTT-3.1.2-22]; 5.0 lifts that.
  if (version !== 5 && hasPassword && !hasUsername) {
    violate('protocol.reserved_flags', 'MQTT-3.1.2-22', 'password flag without user name flag');
  }
  const keepalive = r.u16('keep alive');
  const properties = props(r, version, 'connect');
  // The client identifier is present, first in the payload [MQTT-3.1.3-3]
  const clientId = r.utf8('client identifier');
  const clean = (cf & 0x02) !== 0;
  const p: ConnectPacket = {
    cmd: 'connect',
    protocolId: name as 'MQTT' | 'MQIsdp',
    protocolVersion: version,
    clean,
    keepalive,
    clientId,
  };
  if (properties) p.properties = properties;
  if (willFlag) p.will = decodeWill(r, version, willQos as QoS, willRetain);
  if (hasUsername) p.username = r.utf8('user name');
  if (hasPassword) p.password = r.binary('password');
  return p;
}

function decodeWill(r: Reader, version: MqttVersion, qos: QoS, retain: boolean): WillMessage {
  const properties = props(r, version, 'will');
  const topic = r.utf8('will topic');
  checkTopicName(topic, false);
  const will: WillMessage = { topic, payload: r.binary('will message'), qos, retain };
  if (properties) will.properties = properties;
  return will;
}

function decodeConnack(r: Reader, flags: number, version: MqttVersion): ConnackPacket {
  zeroFlags(flags);
  const ack = r.u8('connect acknowledge flags');
  if (ack & 0xfe) violate('protocol.reserved_flags', 'MQTT-3.2.2-1', 'reserved CONNACK flags set');
  const code = r.u8('connect return code');
  const p: ConnackPacket = { cmd: 'connack', sessionPresent: ack === 1 };
  if (version === 5) {
    p.reasonCode = code;
    const properties = props(r, version, 'connack');
    if (properties) p.properties = properties;
  } else p.returnCode = code;
  return p;
}

function decodePublish(r: Reader, flags: number, version: MqttVersion, dir: Direction): PublishPacket {
  const qos = (flags >> 1) & 0x03;
  // QoS 3 is malformed [MQTT-3.3.1-4]
  if (qos === 3) violate('protocol.invalid_qos', 'MQTT-3.3.1-4', 'PUBLISH with QoS 3');
  const dup = (flags & 0x08) !== 0;
  // DUP is 0 on QoS 0 [MQTT-3.3.1-2]
  if (dup && qos === 0) violate('protocol.reserved_flags', 'MQTT-3.3.1-2', 'DUP set on QoS 0');
  const topic = r.utf8('topic name');
  const p: PublishPacket = {
    cmd: 'publish',
    topic,
    payload: EMPTY,
    qos: qos as QoS,
    retain: (flags & 0x01) !== 0,
    dup,
  };
  if (qos > 0) p.messageId = packetId(r);
  const properties = props(r, version, 'publish', dir === 'out');
  if (properties) {
    // A client never sends a Subscription Identifier [MQTT-3.3.4-6]
    if (dir === 'in' && properties.subscriptionIdentifier !== undefined) {
      violate(
        'protocol.bad_property',
        'MQTT-3.3.4-6',
        'PUBLISH from a client carries a subscription identifier',
      );
    }
    p.properties = properties;
  }
  // An empty topic is only allowed with a topic alias [MQTT-3.3.2-1] [MQTT-4.7.3-1]
  checkTopicName(topic, properties?.topicAlias !== undefined);
  p.payload = r.rest();
  return p;
}

function decodeAck(r: Reader, type: number, flags: number, version: MqttVersion): AckPacket {
  if (type === 6) flags0010(flags, 'MQTT-3.6.1-1');
  else zeroFlags(flags);
  const cmd = (['puback', 'pubrec', 'pubrel', 'pubcomp'] as const)[type - 4] as AckPacket['cmd'];
  const p: AckPacket = { cmd, messageId: packetId(r) };
  if (version === 5 && r.left > 0) {
    p.reasonCode = r.u8('reason code');
    if (r.left > 0) {
      const properties = props(r, version, cmd);
      if (properties) p.properties = properties;
    }
  } else if (version !== 5 && r.left > 0)
    violate('protocol.malformed', 'MQTT-3.4.2', 'acknowledgement has extra bytes');
  return p;
}

function decodeSubscribe(r: Reader, flags: number, version: MqttVersion): SubscribePacket {
  flags0010(flags, 'MQTT-3.8.1-1');
  const p: SubscribePacket = { cmd: 'subscribe', messageId: packetId(r), subscriptions: [] };
  const properties = props(r, version, 'subscribe');
  if (properties) p.properties = properties;
  // At least one topic filter [MQTT-3.8.3-3]
  if (r.left === 0) violate('protocol.missing_field', 'MQTT-3.8.3-3', 'SUBSCRIBE without a topic filter');
  while (r.left > 0) p.subscriptions.push(decodeSubscription(r, version));
  return p;
}

function decodeSubscription(r: Reader, version: MqttVersion): Subscription {
  const topic = r.utf8('topic filter');
  checkFilter(topic, version);
  const o = r.u8('subscription options');
  const qos = o & 0x03;
  // QoS 3 is malformed [MQTT-3.8.3-4]
  if (qos === 3) violate('protocol.invalid_qos', 'MQTT-3.8.3-4', 'requested QoS 3');
  if (version !== 5) {
    // Upper six bits reserved in 3.1.1 [MQTT-3-8.3-4]
    if (o & 0xfc) violate('protocol.reserved_flags', 'MQTT-3-8.3-4', 'reserved subscription option bits set');
    return { topic, qos: qos as QoS };
  }
  // Bits 6 and 7 reserved; Retain Handling 3 is a protocol error [MQTT-3.8.3-5]
  if (o & 0xc0) violate('protocol.reserved_flags', 'MQTT-3.8.3-5', 'reserved subscription option bits set');
  const rh = (o >> 4) & 0x03;
  if (rh === 3) violate('protocol.reserved_flags', 'MQTT-3.8.3-5', 'retain handling 3');
  const nl = (o & 0x04) !== 0;
  // No Local on a shared subscription is a protocol error [MQTT-3.8.3-4]
  if (nl && topic.startsWith('$share/'))
    violate('protocol.invalid_topic', 'MQTT-3.8.3-4', 'no local on a shared subscription');
  return { topic, qos: qos as QoS, nl, rap: (o & 0x08) !== 0, rh };
}

function decodeSuback(r: Reader, flags: number, version: MqttVersion): SubackPacket {
  zeroFlags(flags);
  const p: SubackPacket = { cmd: 'suback', messageId: packetId(r), granted: [] };
  const properties = props(r, version, 'suback');
  if (properties) p.properties = properties;
  while (r.left > 0) p.granted.push(r.u8('return code'));
  return p;
}

function decodeUnsubscribe(r: Reader, flags: number, version: MqttVersion): UnsubscribePacket {
  flags0010(flags, 'MQTT-3.10.1-1');
  const p: UnsubscribePacket = { cmd: 'unsubscribe', messageId: packetId(r), unsubscriptions: [] };
  const properties = props(r, version, 'unsubscribe');
  if (properties) p.properties = properties;
  // At least one topic filter [MQTT-3.10.3-2]
  if (r.left === 0) violate('protocol.missing_field', 'MQTT-3.10.3-2', 'UNSUBSCRIBE without a topic filter');
  while (r.left > 0) {
    const f = r.utf8('topic filter');
    checkFilter(f, version);
    p.unsubscriptions.push(f);
  }
  return p;
}

function decodeUnsuback(r: Reader, flags: number, version: MqttVersion): UnsubackPacket {
  zeroFlags(flags);
  const p: UnsubackPacket = { cmd: 'unsuback', messageId: packetId(r) };
  if (version === 5) {
    const properties = props(r, version, 'unsuback');
    if (properties) p.properties = properties;
    p.granted = [];
    while (r.left > 0) p.granted.push(r.u8('reason code'));
  }
  return p;
}

function decodeDisconnect(r: Reader, flags: number, version: MqttVersion): DisconnectPacket {
  zeroFlags(flags);
  const p: DisconnectPacket = { cmd: 'disconnect' };
  if (version !== 5) {
    if (r.left !== 0) violate('protocol.malformed', 'MQTT-3.14.1', 'DISCONNECT has a body');
    return p;
  }
  if (r.left > 0) {
    p.reasonCode = r.u8('reason code');
    if (r.left > 0) {
      const properties = props(r, version, 'disconnect');
      if (properties) p.properties = properties;
    }
  }
  return p;
}

function decodeAuth(r: Reader, flags: number): AuthPacket {
  zeroFlags(flags);
  const p: AuthPacket = { cmd: 'auth', reasonCode: 0 };
  if (r.left > 0) {
    p.reasonCode = r.u8('reason code');
    if (r.left > 0) {
      const properties = readProperties(r, 'auth');
      if (properties) p.properties = properties;
    }
  }
  return p;
}
