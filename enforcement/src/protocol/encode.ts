// The packets the node writes itself: its own CONNACK, SUBACK, UNSUBACK and PUBACK answers, a
// DISCONNECT with a reason code, and a SUBSCRIBE narrowed to the filters the ACL allowed. A session that
// translates between a 5.0 device and a 3.1.1 broker (session/translator.ts) also re-encodes CONNECT,
// PUBLISH and UNSUBSCRIBE. Everything else is forwarded as the bytes that arrived.
import { lengthBytes, writeLength } from './framer.ts';
import type { ConnectPacket, MqttVersion, PublishPacket, QoS, Subscription } from './packets.ts';
import { PROPERTIES } from './properties.ts';
import type { Properties, PropertyValue } from './properties.ts';

function packet(first: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(1 + lengthBytes(body.length) + body.length);
  out[0] = first;
  const n = writeLength(out, body.length);
  body.copy(out, 1 + n);
  return out;
}

function varint(x: number): Buffer {
  const b = Buffer.allocUnsafe(lengthBytes(x));
  writeLength(b, x, 0);
  return b;
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(2 + b.length);
  out.writeUInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

/** Encode the properties a re-written SUBSCRIBE keeps (subscription identifier, user properties). */
function subscribeProps(p: Properties | undefined): Buffer {
  const parts: Buffer[] = [];
  const id = p?.subscriptionIdentifier;
  if (typeof id === 'number') parts.push(Buffer.from([0x0b]), varint(id));
  const up = p?.userProperties as Record<string, string | string[]> | undefined;
  if (up) {
    for (const [k, v] of Object.entries(up)) {
      for (const one of Array.isArray(v) ? v : [v]) parts.push(Buffer.from([0x26]), str(k), str(one));
    }
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([varint(body.length), body]);
}

/** A reason string property block, or an empty property block. */
function reasonProps(reason: string | undefined): Buffer {
  if (!reason) return Buffer.from([0]);
  const body = Buffer.concat([Buffer.from([0x1f]), str(reason)]);
  return Buffer.concat([varint(body.length), body]);
}

export function encodeConnack(version: MqttVersion, code: number, reason?: string): Buffer {
  if (version !== 5) return Buffer.from([0x20, 0x02, 0x00, code]);
  return packet(0x20, Buffer.concat([Buffer.from([0x00, code]), reasonProps(reason)]));
}

export function encodePuback(version: MqttVersion, messageId: number, code: number): Buffer {
  if (version !== 5 || code === 0) return Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]);
  return Buffer.from([0x40, 0x04, messageId >> 8, messageId & 0xff, code, 0x00]);
}

export function encodeSuback(version: MqttVersion, messageId: number, codes: number[]): Buffer {
  const head = version === 5 ? [messageId >> 8, messageId & 0xff, 0x00] : [messageId >> 8, messageId & 0xff];
  return packet(0x90, Buffer.from([...head, ...codes]));
}

export function encodeUnsuback(version: MqttVersion, messageId: number, codes: number[]): Buffer {
  if (version !== 5) return Buffer.from([0xb0, 0x02, messageId >> 8, messageId & 0xff]);
  return packet(0xb0, Buffer.from([messageId >> 8, messageId & 0xff, 0x00, ...codes]));
}

/** DISCONNECT from the server exists only in 5.0 [MQTT-3.14]; 3.1.1 just closes the connection. */
export function encodeDisconnect(code: number, reason?: string): Buffer {
  return packet(0xe0, Buffer.concat([Buffer.from([code]), reasonProps(reason)]));
}

export function encodePingresp(): Buffer {
  return Buffer.from([0xd0, 0x00]);
}

export function encodeSubscribe(
  version: MqttVersion,
  messageId: number,
  subs: Subscription[],
  properties?: Properties,
): Buffer {
  const parts: Buffer[] = [Buffer.from([messageId >> 8, messageId & 0xff])];
  if (version === 5) parts.push(subscribeProps(properties));
  for (const s of subs) {
    let o = s.qos;
    if (version === 5) o |= (s.nl ? 0x04 : 0) | (s.rap ? 0x08 : 0) | ((s.rh ?? 0) << 4);
    parts.push(str(s.topic), Buffer.from([o]));
  }
  return packet(0x82, Buffer.concat(parts));
}

function bin(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + b.length);
  out.writeUInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

const PROPERTY_IDS: ReadonlyMap<string, number> = new Map(
  Object.entries(PROPERTIES).map(([id, spec]) => [spec.name, Number(id)]),
);

function propertyValue(id: number, v: PropertyValue): Buffer[] {
  const spec = PROPERTIES[id];
  if (spec === undefined) return [];
  const head = varint(id);
  switch (spec.type) {
    case 'byte':
    case 'bool':
      return [head, Buffer.from([Number(v)])];
    case 'u16': {
      const b = Buffer.allocUnsafe(2);
      b.writeUInt16BE(v as number, 0);
      return [head, b];
    }
    case 'u32': {
      const b = Buffer.allocUnsafe(4);
      b.writeUInt32BE(v as number, 0);
      return [head, b];
    }
    case 'varint':
      return (Array.isArray(v) ? v : [v as number]).flatMap((x) => [head, varint(x)]);
    case 'utf8':
      return [head, str(v as string)];
    case 'binary':
      return [head, bin(v as Buffer)];
    case 'pair':
      return Object.entries(v as Record<string, string | string[]>).flatMap(([k, vs]) =>
        (Array.isArray(vs) ? vs : [vs]).flatMap((one) => [head, str(k), str(one)]),
      );
  }
}

/** A 5.0 property block (length prefix included) from decoded properties [MQTT-2.2.2]. */
export function encodeProperties(props: Properties | undefined): Buffer {
  if (!props) return Buffer.from([0]);
  const parts: Buffer[] = [];
  for (const [name, v] of Object.entries(props)) {
    const id = PROPERTY_IDS.get(name);
    if (id !== undefined) parts.push(...propertyValue(id, v));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([varint(body.length), body]);
}

/** A 5.0 CONNACK with properties [MQTT-3.2]. */
export function encodeConnack5(sessionPresent: boolean, code: number, props: Properties): Buffer {
  return packet(0x20, Buffer.concat([Buffer.from([sessionPresent ? 1 : 0, code]), encodeProperties(props)]));
}

/** A CONNECT [MQTT-3.1]; `properties` and will properties are written for 5.0 only. */
export function encodeConnect(version: MqttVersion, p: ConnectPacket): Buffer {
  const will = p.will;
  let flags = p.clean ? 0x02 : 0;
  if (will) flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
  if (p.password !== undefined) flags |= 0x40;
  if (p.username !== undefined) flags |= 0x80;
  const name = version === 3 ? 'MQIsdp' : 'MQTT';
  const head = Buffer.from([version, flags, p.keepalive >> 8, p.keepalive & 0xff]);
  const parts: Buffer[] = [str(name), head];
  if (version === 5) parts.push(encodeProperties(p.properties));
  parts.push(str(p.clientId));
  if (will) {
    if (version === 5) parts.push(encodeProperties(will.properties));
    parts.push(str(will.topic), bin(will.payload));
  }
  if (p.username !== undefined) parts.push(str(p.username));
  if (p.password !== undefined) parts.push(bin(p.password));
  return packet(0x10, Buffer.concat(parts));
}

/**
 * A PUBLISH to `topic` at `qos` [MQTT-3.3]; a 5.0 one carries `properties` (none: an empty block). One
 * allocation for the common case (no properties): this runs for every message of a translated session.
 */
export function encodePublish(
  version: MqttVersion,
  p: PublishPacket,
  topic: string,
  qos: QoS = p.qos,
  properties?: Properties,
): Buffer {
  const first = 0x30 | (p.dup && qos > 0 ? 0x08 : 0) | (qos << 1) | (p.retain ? 1 : 0);
  const props = version === 5 && properties ? encodeProperties(properties) : undefined;
  const topicLen = Buffer.byteLength(topic, 'utf8');
  const propLen = version === 5 ? (props ? props.length : 1) : 0;
  const body = 2 + topicLen + (qos > 0 ? 2 : 0) + propLen + p.payload.length;
  const out = Buffer.allocUnsafe(1 + lengthBytes(body) + body);
  out[0] = first;
  let i = 1 + writeLength(out, body);
  out.writeUInt16BE(topicLen, i);
  i += 2 + out.write(topic, i + 2, 'utf8');
  if (qos > 0) {
    out.writeUInt16BE(p.messageId as number, i);
    i += 2;
  }
  if (props) i += props.copy(out, i);
  else if (version === 5) out[i++] = 0;
  p.payload.copy(out, i);
  return out;
}

/** An UNSUBSCRIBE [MQTT-3.10]; a 5.0 one gets an empty property block. */
export function encodeUnsubscribe(version: MqttVersion, messageId: number, filters: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from([messageId >> 8, messageId & 0xff])];
  if (version === 5) parts.push(Buffer.from([0]));
  for (const f of filters) parts.push(str(f));
  return packet(0xa2, Buffer.concat(parts));
}

/** PUBACK, PUBREC, PUBREL or PUBCOMP with no reason code: valid in 3.1.1 and 5.0 (section 3.4.2.1). */
export function encodeAck(type: 4 | 5 | 6 | 7, messageId: number): Buffer {
  return Buffer.from([(type << 4) | (type === 6 ? 0x02 : 0), 0x02, messageId >> 8, messageId & 0xff]);
}
