// MQTT 5.0 device ⇄ MQTT 3.1.1 broker: how each packet crosses when the node speaks 5.0 with the device
// and 3.1.1 upstream (session/translator.ts holds the per-session state). Pure functions: decoded packets
// in, wire bytes out. What 3.1.1 cannot carry is dropped here and listed in the README ("Protocol
// translation"); what the node must promise the device instead is in the CONNACK it writes.
import {
  encodeConnack5,
  encodeConnect,
  encodePublish,
  encodeSuback,
  encodeSubscribe,
  encodeUnsuback,
  encodeUnsubscribe,
} from './encode.ts';
import type {
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  PublishPacket,
  QoS,
  Subscription,
} from './packets.ts';
import type { Properties } from './properties.ts';

/** Session Expiry Interval meaning "never expires" (section 3.1.2.11.2). */
export const NEVER_EXPIRES = 0xffff_ffff;

/** 5.0 reason for each 3.1.1 CONNACK return code (3.1.1 table 3.1 → 5.0 section 3.2.2.2). */
const CONNACK_4_TO_5: readonly number[] = [
  0x00, // accepted → Success
  0x84, // unacceptable protocol version → Unsupported Protocol Version
  0x85, // identifier rejected → Client Identifier not valid
  0x88, // server unavailable → Server unavailable
  0x86, // bad user name or password → Bad User Name or Password
  0x87, // not authorized → Not authorized
];

export function connackReasonTo5(returnCode: number): number {
  // Return codes 6-255 are reserved in 3.1.1 (section 3.2.2.3): an unspecified error for the device.
  return CONNACK_4_TO_5[returnCode] ?? 0x80;
}

/** What the node tells the device in its CONNACK for a translated session. */
export interface Advertised {
  /** Topic aliases the node resolves itself (3.1.1 has none) (section 3.2.2.3.8). */
  topicAliasMaximum: number;
  /** The node's own packet size limit, enforced while framing (section 3.2.2.3.6). */
  maximumPacketSize: number;
  /** Sent when the node's interval differs from the device's (section 3.2.2.3.2). */
  sessionExpiryInterval?: number;
  /** Sent when the device connected with an empty client id [MQTT-3.2.2-16]. */
  assignedClientIdentifier?: string;
}

/**
 * A CONNECT the node cannot carry to a 3.1.1 broker: the 5.0 CONNACK reason that refuses it.
 * Enhanced authentication (an Authentication Method) has no 3.1.1 counterpart: refused with 0x8C Bad
 * authentication method [MQTT-4.12.0-1].
 */
export function connectRefusal(p: ConnectPacket): { code: number; detail: string } | undefined {
  if (p.properties?.authenticationMethod !== undefined)
    return { code: 0x8c, detail: 'enhanced authentication cannot reach a 3.1.1 broker' };
  return undefined;
}

/**
 * The Session Expiry Interval the node grants. 3.1.1 has only Clean Session: the node sends Clean Start as
 * Clean Session, so the broker discards an existing session exactly when 5.0 says to [MQTT-3.1.2-4]
 * [MQTT-3.1.2-5]. What 3.1.1 then does at the end of the connection is fixed: a clean session ends with
 * it (interval 0), a kept one lasts until the broker drops it (never expires). The server may grant an
 * interval other than the one asked for, and says so in CONNACK (section 3.2.2.3.2).
 */
export function grantedSessionExpiry(p: ConnectPacket): number {
  return p.clean ? 0 : NEVER_EXPIRES;
}

/**
 * CONNECT 5.0 → 3.1.1. Properties and will properties have no 3.1.1 form and are dropped; a password
 * without a user name (allowed in 5.0, section 3.1.2.9) gets an empty user name, which 3.1.1 requires
 * [MQTT-3.1.2-22 of 3.1.1]; the will QoS is capped at what the broker takes.
 */
export function connectTo4(p: ConnectPacket, clientId: string, maxQoS: QoS): Buffer {
  const out: ConnectPacket = {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: p.clean,
    keepalive: p.keepalive,
    clientId,
  };
  if (p.will) {
    const qos = Math.min(p.will.qos, maxQoS) as QoS;
    out.will = { topic: p.will.topic, payload: p.will.payload, qos, retain: p.will.retain };
  }
  if (p.username !== undefined) out.username = p.username;
  if (p.password !== undefined) {
    out.password = p.password;
    out.username ??= '';
  }
  return encodeConnect(4, out);
}

/**
 * CONNACK 3.1.1 → 5.0. A refusal carries its 5.0 reason and Session Present 0 [MQTT-3.2.2-6]; an
 * acceptance carries what the node (not the broker) offers, so a compliant client never uses what the
 * broker cannot give: no subscription identifiers, no shared subscriptions (3.1.1 has neither), the
 * node's own topic alias maximum and packet size limit.
 */
export function connackTo5(p: ConnackPacket, adv: Advertised): Buffer {
  const code = connackReasonTo5(p.returnCode ?? 0);
  if (code !== 0) return encodeConnack5(false, code, {});
  const props: Properties = {
    topicAliasMaximum: adv.topicAliasMaximum,
    maximumPacketSize: adv.maximumPacketSize,
    subscriptionIdentifiersAvailable: false,
    sharedSubscriptionAvailable: false,
  };
  if (adv.sessionExpiryInterval !== undefined) props.sessionExpiryInterval = adv.sessionExpiryInterval;
  if (adv.assignedClientIdentifier !== undefined)
    props.assignedClientIdentifier = adv.assignedClientIdentifier;
  return encodeConnack5(p.sessionPresent, 0, props);
}

/** PUBLISH 5.0 → 3.1.1: the resolved topic (never an alias), no properties. */
export function publishTo4(p: PublishPacket, topic: string, qos: QoS = p.qos): Buffer {
  return encodePublish(4, p, topic, qos);
}

/** PUBLISH 3.1.1 → 5.0: an empty property block (section 3.3.2.3). */
export function publishTo5(p: PublishPacket): Buffer {
  return encodePublish(5, p, p.topic);
}

/**
 * SUBSCRIBE 5.0 → 3.1.1: the options byte keeps only the QoS. No Local, Retain As Published and Retain
 * Handling (bits 2-5) are reserved in 3.1.1 and a broker must close on them [MQTT-3.8.3-4 of 3.1.1].
 */
export function subscribeTo4(messageId: number, subs: Subscription[]): Buffer {
  return encodeSubscribe(
    4,
    messageId,
    subs.map((s) => ({ topic: s.topic, qos: s.qos })),
  );
}

/** SUBACK 3.1.1 → 5.0: return codes 0, 1, 2 and 0x80 are the same numbers as 5.0 reason codes. */
export function subackTo5(messageId: number, codes: number[]): Buffer {
  return encodeSuback(5, messageId, codes);
}

export function unsubscribeTo4(messageId: number, filters: string[]): Buffer {
  return encodeUnsubscribe(4, messageId, filters);
}

/**
 * UNSUBACK 3.1.1 → 5.0: one reason code per filter of the UNSUBSCRIBE [MQTT-3.11.3-1]. A 3.1.1 broker
 * says nothing per filter, so each is Success (0x00) — 3.1.1 answers an unknown filter with UNSUBACK too.
 */
export function unsubackTo5(messageId: number, count: number): Buffer {
  return encodeUnsuback(5, messageId, new Array<number>(count).fill(0));
}

/**
 * DISCONNECT 5.0 → 3.1.1, or undefined when the broker must publish the will: in 5.0 only reason 0x00
 * deletes it [MQTT-3.1.2-10]; in 3.1.1 any DISCONNECT deletes it [MQTT-3.1.2-10 of 3.1.1] and a close
 * without one publishes it [MQTT-3.1.2-8 of 3.1.1]. So 0x04 (Disconnect with Will Message) and every
 * other reason close the upstream connection without a DISCONNECT.
 */
export function disconnectTo4(p: DisconnectPacket): Buffer | undefined {
  return (p.reasonCode ?? 0) === 0 ? Buffer.from([0xe0, 0x00]) : undefined;
}
