// The few packets the node writes itself: its own CONNACK, SUBACK, UNSUBACK and PUBACK answers, a
// DISCONNECT with a reason code, and a SUBSCRIBE narrowed to the filters the ACL allowed. Everything
// else is forwarded as the bytes that arrived.
import { lengthBytes, writeLength } from './framer.ts';
import type { MqttVersion, Subscription } from './packets.ts';
import type { Properties } from './properties.ts';

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
