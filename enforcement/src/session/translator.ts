// The per-session side of protocol translation: a 5.0 device in front of a broker that speaks only 3.1.1
// (nats-server's MQTT listener). The node keeps speaking 5.0 with the device and 3.1.1 upstream; the pure
// packet mappings are in protocol/translate.ts, this holds what a session must remember between packets.
import { topicMatches } from '../policy/topic.ts';
import type {
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  QoS,
  Subscription,
  UnsubscribePacket,
} from '../protocol/packets.ts';
import {
  connackTo5,
  connectTo4,
  grantedSessionExpiry,
  unsubackTo5,
  unsubscribeTo4,
} from '../protocol/translate.ts';
import type { Advertised } from '../protocol/translate.ts';
import type { Violation } from '../protocol/violation.ts';

/** Topic aliases a device may use per translated session; the node resolves them itself. */
export const TOPIC_ALIAS_MAXIMUM = 16;

/**
 * Filters tracked per session for Retain Handling, by count and by their total length in characters (a
 * filter may be 65,535 bytes long, so a count alone would let one session hold 64 MiB). Past either,
 * the node stops judging: every retained delivery goes to the device, as on a 3.1.1 broker.
 */
const MAX_TRACKED_FILTERS = 1024;
const MAX_TRACKED_FILTER_CHARS = 64 * 1024;

/**
 * Which MQTT level the node speaks upstream for a 5.0 device (`enforcement.upstream.protocol`). `auto`
 * sends 5.0 until the broker refuses the level once, then speaks 3.1.1 to it for the life of the process.
 * A 5.0 CONNACK teaches it 5 as well, so later sessions take the fast path without waiting for the
 * broker's CONNACK (a broker replaced by a 3.1.1 one is still detected while a session has sent nothing
 * after its CONNECT).
 */
export class UpstreamLevel {
  learned: 4 | 5 | undefined;

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
  /** The device's Receive Maximum: QoS 1 and 2 deliveries it may have unacknowledged [MQTT-3.3.4-9]. */
  readonly receiveMaximum: number;
  /** Packet ids of QoS 1 and 2 deliveries sent to the device and not acknowledged yet. */
  readonly inflight = new Set<number>();
  /** Deliveries waiting for a place in that window (the broker is not read meanwhile, so at most what
   *  one read chunk held). */
  readonly waiting: { id: number; out: Buffer }[] = [];

  /** PINGREQs the node answered itself while the broker was not read: their PINGRESPs are dropped. */
  pingsAnswered = 0;
  /** The broker resumed an existing session (CONNACK Session Present 1). */
  resumed = false;

  /** Filters subscribed on this connection → whether their subscribe wanted no retained messages. */
  private readonly filters = new Map<string, boolean>();
  /** Total length of the keys of `filters`. */
  private filterChars = 0;
  /** A filter could not be tracked: the node no longer knows every subscription, so it holds nothing back. */
  private untracked = false;

  constructor(
    private readonly connect: ConnectPacket,
    readonly maxQoS: 1 | 2,
    private readonly nodeMaxPacket: number,
    assignId: () => string,
  ) {
    this.deviceMaxPacket = (connect.properties?.maximumPacketSize as number | undefined) ?? Infinity;
    this.receiveMaximum = (connect.properties?.receiveMaximum as number | undefined) ?? 65_535;
    this.clientId = connect.clientId === '' ? assignId() : connect.clientId;
  }

  connectBytes(): Buffer {
    return connectTo4(this.connect, this.clientId, this.maxQoS as QoS);
  }

  connack(p: ConnackPacket): Buffer {
    if ((p.returnCode ?? 0) === 0 && p.sessionPresent) this.resumed = true;
    const adv: Advertised = { topicAliasMaximum: TOPIC_ALIAS_MAXIMUM, maximumPacketSize: this.nodeMaxPacket };
    const asked = (this.connect.properties?.sessionExpiryInterval as number | undefined) ?? 0;
    const granted = grantedSessionExpiry(this.connect);
    if (granted !== asked) adv.sessionExpiryInterval = granted;
    if (this.clientId !== this.connect.clientId) adv.assignedClientIdentifier = this.clientId;
    return connackTo5(p, adv);
  }

  /**
   * Retain Handling, which a 3.1.1 broker never sees: 2 wants no retained messages at subscribe, 1 wants
   * them only for a subscription that did not exist yet [MQTT-3.3.1-10] [MQTT-3.3.1-11]. Remembered per
   * filter so the matching retained deliveries can be held back (wantsRetained).
   */
  subscribed(subs: readonly Subscription[]): void {
    if (this.untracked) return;
    for (const s of subs) {
      const existed = this.filters.has(s.topic);
      if (
        !existed &&
        (this.filters.size >= MAX_TRACKED_FILTERS ||
          this.filterChars + s.topic.length > MAX_TRACKED_FILTER_CHARS)
      ) {
        // An untracked filter may want the retained messages a tracked one refuses: stop holding back.
        this.untracked = true;
        this.filters.clear();
        this.filterChars = 0;
        return;
      }
      if (!existed) this.filterChars += s.topic.length;
      this.filters.set(s.topic, s.rh === 2 || (s.rh === 1 && existed));
    }
  }

  /**
   * Whether a retained delivery on `topic` goes to the device. A 3.1.1 broker sets RETAIN only on the
   * retained messages a new subscription brings [MQTT-3.3.1-8 of 3.1.1], so such a delivery is held
   * back when every filter of this connection that matches it asked for none. A filter the node does not
   * know (a resumed session's) lets it through.
   */
  wantsRetained(topic: string): boolean {
    if (this.untracked) return true;
    let matched = false;
    for (const [filter, none] of this.filters) {
      if (!topicMatches(filter, topic)) continue;
      if (!none) return true;
      matched = true;
    }
    return !matched;
  }

  unsubscribe(p: UnsubscribePacket): Buffer {
    for (const f of p.unsubscriptions) if (this.filters.delete(f)) this.filterChars -= f.length;
    this.unsubs.set(p.messageId, p.unsubscriptions.length);
    return unsubscribeTo4(p.messageId, p.unsubscriptions);
  }

  /**
   * A DISCONNECT that is no valid DISCONNECT: a non-zero Session Expiry Interval after a CONNECT whose
   * interval was 0 is a Protocol Error [MQTT-3.14.2-2], so it must not reach the broker as a 3.1.1
   * DISCONNECT (which would discard the will); the node closes with 0x82 and the broker publishes it.
   * The broker checks this itself on the fast path; a 3.1.1 broker never sees the property.
   */
  disconnectViolation(p: DisconnectPacket): Violation | undefined {
    const asked = (this.connect.properties?.sessionExpiryInterval as number | undefined) ?? 0;
    const now = (p.properties?.sessionExpiryInterval as number | undefined) ?? 0;
    if (asked !== 0 || now === 0) return undefined;
    return {
      reason: 'protocol.bad_property',
      clause: 'MQTT-3.14.2-2',
      detail: 'non-zero Session Expiry Interval in DISCONNECT after 0 in CONNECT',
      code: 0x82,
    };
  }

  /** The 5.0 UNSUBACK for the broker's 3.1.1 one (one Success per filter asked for). */
  unsuback(messageId: number): Buffer {
    const n = this.unsubs.get(messageId) ?? 1;
    this.unsubs.delete(messageId);
    return unsubackTo5(messageId, n);
  }
}
