// The per-session side of protocol translation: a 5.0 device in front of a broker that speaks only 3.1.1
// (nats-server's MQTT listener). The node keeps speaking 5.0 with the device and 3.1.1 upstream; the pure
// packet mappings are in protocol/translate.ts, this holds what a session must remember between packets.
import type { ConnackPacket, ConnectPacket, QoS, UnsubscribePacket } from '../protocol/packets.ts';
import {
  connackTo5,
  connectTo4,
  grantedSessionExpiry,
  unsubackTo5,
  unsubscribeTo4,
} from '../protocol/translate.ts';
import type { Advertised } from '../protocol/translate.ts';

/** Topic aliases a device may use per translated session; the node resolves them itself. */
export const TOPIC_ALIAS_MAXIMUM = 16;

/**
 * Which MQTT level the node speaks upstream for a 5.0 device (`enforcement.upstream.protocol`). `auto`
 * sends 5.0 until the broker refuses the level once, then speaks 3.1.1 to it for the life of the process.
 */
export class UpstreamLevel {
  learned: 4 | undefined;

  constructor(
    readonly setting: 'auto' | 4 | 5,
    /** Highest QoS the broker takes (nats-server 2.9: 1); above it the node completes QoS 2 itself. */
    readonly maxQoS: 1 | 2 = 2,
  ) {}

  /** The level known for this upstream, or undefined while `auto` has not learned one. */
  get level(): 4 | 5 | undefined {
    return this.setting === 'auto' ? this.learned : this.setting;
  }
}

export class Translator {
  /** The device's Maximum Packet Size: larger deliveries are not sent [MQTT-3.1.2-24]. */
  readonly deviceMaxPacket: number;
  /** Client id used upstream (assigned by the node when the device sent none [MQTT-3.2.2-16]). */
  readonly clientId: string;
  /** QoS 2 PUBLISHes forwarded as QoS 1 (broker without QoS 2), waiting for the broker's PUBACK. */
  readonly qos2Held = new Set<number>();
  /** UNSUBSCRIBE packet id → number of filters, for the 5.0 UNSUBACK's reason codes. */
  private readonly unsubs = new Map<number, number>();

  constructor(
    private readonly connect: ConnectPacket,
    readonly maxQoS: 1 | 2,
    private readonly nodeMaxPacket: number,
    assignId: () => string,
  ) {
    this.deviceMaxPacket = (connect.properties?.maximumPacketSize as number | undefined) ?? Infinity;
    this.clientId = connect.clientId === '' ? assignId() : connect.clientId;
  }

  connectBytes(): Buffer {
    return connectTo4(this.connect, this.clientId, this.maxQoS as QoS);
  }

  connack(p: ConnackPacket): Buffer {
    const adv: Advertised = { topicAliasMaximum: TOPIC_ALIAS_MAXIMUM, maximumPacketSize: this.nodeMaxPacket };
    const asked = (this.connect.properties?.sessionExpiryInterval as number | undefined) ?? 0;
    const granted = grantedSessionExpiry(this.connect);
    if (granted !== asked) adv.sessionExpiryInterval = granted;
    if (this.clientId !== this.connect.clientId) adv.assignedClientIdentifier = this.clientId;
    return connackTo5(p, adv);
  }

  unsubscribe(p: UnsubscribePacket): Buffer {
    this.unsubs.set(p.messageId, p.unsubscriptions.length);
    return unsubscribeTo4(p.messageId, p.unsubscriptions);
  }

  /** The 5.0 UNSUBACK for the broker's 3.1.1 one (one Success per filter asked for). */
  unsuback(messageId: number): Buffer {
    const n = this.unsubs.get(messageId) ?? 1;
    this.unsubs.delete(messageId);
    return unsubackTo5(messageId, n);
  }
}
