// One proxied connection: device ⇄ node ⇄ upstream broker. A state machine over two byte streams that
// frames and validates every device packet, runs the pipeline, and forwards what it allows as the bytes
// that arrived. Broker deliveries are framed too, so a PUBLISH outside the device's subscribe ACL is
// dropped (and acknowledged upstream) instead of delivered. Back-pressure runs both ways: when one side
// cannot take more, the other side is paused rather than buffered.
import type { Duplex } from 'node:stream';
import type { EventSubject, ReasonCode } from '@sentinel/ingest';
import type { NodeMetrics } from '../metrics.ts';
import type { SessionAcl } from '../policy/types.ts';
import { connackCode, disconnectCode, pubackCode, subackCode } from '../protocol/codes.ts';
import { decodePacket } from '../protocol/decode.ts';
import {
  encodeAck,
  encodeConnack,
  encodeDisconnect,
  encodePuback,
  encodeSuback,
  encodeSubscribe,
} from '../protocol/encode.ts';
import { Framer } from '../protocol/framer.ts';
import type { Frame } from '../protocol/framer.ts';
import type {
  AckPacket,
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  MqttVersion,
  Packet,
  PublishPacket,
  SubackPacket,
  Subscription,
  SubscribePacket,
} from '../protocol/packets.ts';
import {
  connectRefusal,
  disconnectTo4,
  publishTo4,
  publishTo5,
  subscribeTo4,
} from '../protocol/translate.ts';
import type { Violation } from '../protocol/violation.ts';
import type { PeerInfo } from './context.ts';
import { newSessionId, peerSubject } from './context.ts';
import { ForwardRun } from './forward-run.ts';
import type { Pipeline } from './pipeline.ts';
import type { LiveSession, SessionRegistry } from './registry.ts';
import { TOPIC_ALIAS_MAXIMUM, Translator } from './translator.ts';
import type { UpstreamLevel } from './translator.ts';

export interface SessionLimits {
  /** Largest packet a device may send, fixed header included, bytes. */
  maxPacketSize: number;
  /** Largest packet accepted from the upstream broker, bytes. */
  upstreamMaxPacketSize: number;
  /** Time allowed between connection and CONNECT, ms. */
  connectTimeoutMs: number;
  /** A session is closed after keep-alive × this factor without a packet [MQTT-3.1.2-24]. */
  keepAliveFactor: number;
  /** Accept MQTT 3.1 ('MQIsdp'). */
  allowMqtt31: boolean;
}

export interface ProxyHost {
  pipeline: Pipeline;
  registry: SessionRegistry;
  metrics: NodeMetrics;
  limits: SessionLimits;
  /** Open a connection to the upstream broker (or the embedded one) for `session`. */
  openUpstream(session: ProxySession): Duplex;
  /** The MQTT level spoken upstream for 5.0 devices (absent: 5.0, forwarded as is). */
  upstream?: UpstreamLevel;
}

const enum State {
  AwaitConnect,
  Authorizing,
  Open,
  Closed,
}

/** Most packets held while a CONNECT is being decided; the device socket is paused meanwhile. */
const MAX_PENDING = 256;

// One set of listener functions for every session (`this` is the stream; the session hangs off it), so
// an idle connection carries no per-session closures.
const SESSION = Symbol('sentinel.session');
type Owned = Duplex & { [SESSION]: ProxySession };
function onDeviceData(this: Owned, chunk: Buffer): void {
  this[SESSION].onDeviceData(chunk);
}
function onDeviceDrain(this: Owned): void {
  this[SESSION].onDeviceDrain();
}
function onDeviceClose(this: Owned): void {
  this[SESSION].onDeviceClose();
}
function onUpData(this: Owned, chunk: Buffer): void {
  this[SESSION].onUpstreamData(chunk);
}
function onUpDrain(this: Owned): void {
  this[SESSION].onUpstreamDrain();
}
function onUpClose(this: Owned): void {
  this[SESSION].onUpstreamClose();
}
function ignore(): void {}

export class ProxySession implements LiveSession {
  readonly sessionId = newSessionId();
  version: MqttVersion = 4;
  clientId = '';
  username: string | undefined;
  subject: EventSubject;
  acl: SessionAcl | undefined;
  pubMessages = 0;
  pubBytes = 0;
  pubSince = Date.now();

  private state = State.AwaitConnect;
  private readonly openedAt = Date.now();
  private upOpenedAt = 0;
  private lastRx = this.openedAt;
  /** When the chunk being framed arrived (one clock read per chunk, not per packet). */
  private rxAt = this.openedAt;
  /** Forwarded bytes not yet written, per direction (see forward-run.ts). */
  private readonly upRun = new ForwardRun();
  private readonly deviceRun = new ForwardRun();
  private keepAliveMs = 0;
  private readonly framer: Framer;
  private upFramer: Framer | undefined;
  private up: Duplex | undefined;
  private pending: Frame[] | undefined;
  private upAccepted = false;
  private upPaused = false;
  /** Upstream not read because the device's Receive Maximum is used up (translated sessions). */
  private quotaPaused = false;
  private devicePaused = false;
  /** 5.0 topic aliases, device → broker and broker → device. */
  private aliasIn: Map<number, string> | undefined;
  private aliasOut: Map<number, string> | undefined;
  /** The broker's Topic Alias Maximum from its CONNACK (undefined until then), which bounds aliasIn. */
  private aliasInMax: number | undefined;
  /** The device's Topic Alias Maximum from its CONNECT, which bounds aliasOut. */
  private aliasOutMax = 0;
  /** SUBSCRIBEs forwarded narrowed: packet id → SUBACK codes of the denied filters (undefined = forwarded). */
  private narrowed: Map<number, (number | undefined)[]> | undefined;
  /** QoS 2 flows the node answered itself (3.1.1 ACL-denied PUBLISH; denied deliveries). */
  private localQos2In: Set<number> | undefined;
  private localQos2Out: Set<number> | undefined;
  /** Set when this 5.0 session speaks 3.1.1 upstream: every packet is re-encoded (translator.ts). */
  private tx: Translator | undefined;
  /** `upstream.protocol: auto` before the level is known: the CONNECT, kept for one 3.1.1 retry. */
  private retryConnect: ConnectPacket | undefined;
  /** Device packets wait in `pending` until the broker's CONNACK (auto, level not known yet). */
  private holding = false;

  constructor(
    private readonly device: Duplex,
    readonly peer: PeerInfo,
    private readonly host: ProxyHost,
  ) {
    this.subject = peerSubject(peer, this.sessionId);
    this.framer = new Framer(host.limits.maxPacketSize);
    (device as Owned)[SESSION] = this;
    device.on('data', onDeviceData);
    device.on('drain', onDeviceDrain);
    device.on('error', ignore); // 'close' follows and ends the session
    device.on('close', onDeviceClose);
    host.registry.add(this);
    host.metrics.connectionsTotal.inc({ transport: peer.transport });
    host.metrics.connectionsActive.inc({ transport: peer.transport });
  }

  get closed(): boolean {
    return this.state === State.Closed;
  }

  get established(): boolean {
    return this.state === State.Open;
  }

  // ---- device → node ----------------------------------------------------------------------------

  /** @internal */
  onDeviceData(chunk: Buffer): void {
    if (this.state === State.Closed) return;
    // Everything this chunk forwards leaves in one write (one syscall), not one per packet: the allowed
    // packets as one slice of the chunk, corked together with anything the node made itself.
    this.rxAt = Date.now();
    const up = this.up;
    up?.cork();
    const v = this.framer.push(chunk, this);
    this.flushUpstream();
    up?.uncork();
    if (v) this.violation(v);
  }

  /** @internal Framer callback for device packets. */
  onFrame(frame: Frame): void {
    if (this.state === State.Closed) return;
    if (this.state === State.Authorizing || this.holding) {
      const pending = this.pending as Frame[];
      if (pending.length >= MAX_PENDING)
        return this.violation({
          reason: 'protocol.malformed',
          clause: 'sentinel.pending_limit',
          detail: 'too many packets before CONNACK',
        });
      pending.push(frame);
      return;
    }
    // Forwarded to a 5.0 connection now: a 3.1.1 CONNACK can no longer be retried unseen (auto).
    if (this.retryConnect !== undefined && this.state === State.Open) this.retryConnect = undefined;
    // Keep-alive counts whole Control Packets [MQTT-3.1.2-24]: dribbled bytes do not keep a session alive.
    this.lastRx = this.rxAt;
    this.host.metrics.packet(frame.type, frame.length, 'in');
    // The first packet is CONNECT [MQTT-3.1.0-1]
    if (this.state === State.AwaitConnect && frame.type !== 1) {
      return this.violation({ reason: 'protocol.first_packet_not_connect', clause: 'MQTT-3.1.0-1' });
    }
    const d = decodePacket(frame, this.version, 'in', this.host.limits);
    if (!d.ok) return this.violation(d.violation);
    this.dispatch(d.packet, frame);
  }

  /** One handler per packet type. */
  private dispatch(p: Packet, frame: Frame): void {
    switch (p.cmd) {
      case 'connect':
        // A second CONNECT is a protocol violation [MQTT-3.1.0-2]
        if (this.state !== State.AwaitConnect)
          return this.violation({ reason: 'protocol.second_connect', clause: 'MQTT-3.1.0-2' });
        void this.onConnect(p, frame);
        return;
      case 'publish':
        return this.onPublish(p, frame);
      case 'subscribe':
        return this.onSubscribe(p, frame);
      case 'pubrel':
        return this.onPubrel(p, frame);
      case 'disconnect':
        return this.onDisconnect(p, frame);
      case 'pubrec':
        // QoS 2 redelivery loops are inspection's to judge [threat.qos2_loop]
        if (!this.host.pipeline.qos2(this, 'pubrec', p.messageId, this.lastRx).ok) return;
        return this.forwardOther(p, frame);
      case 'pubcomp':
        this.host.pipeline.qos2Completed(this, p.messageId);
        return this.forwardOther(p, frame);
      case 'unsubscribe':
      case 'puback':
      case 'pingreq':
      case 'auth':
        return this.forwardOther(p, frame);
      default:
        // The decoder admits no other type from a device.
        return this.violation({ reason: 'protocol.invalid_packet_type', clause: 'MQTT-2.2.1' });
    }
  }

  private async onConnect(p: ConnectPacket, frame: Frame): Promise<void> {
    this.state = State.Authorizing;
    this.pending = [];
    this.pauseDevice();
    this.version = p.protocolVersion;
    const verdict = await this.host.pipeline.checkConnect(this, p);
    if (this.closed) return;
    if (!verdict.ok) {
      this.endDevice(encodeConnack(p.protocolVersion, connackCode(verdict.reason, p.protocolVersion)));
      return this.teardown();
    }
    this.keepAliveMs = p.keepalive * 1000 * this.host.limits.keepAliveFactor;
    this.aliasOutMax = (p.properties?.topicAliasMaximum as number | undefined) ?? 0;
    const level = p.protocolVersion === 5 ? this.host.upstream?.level : undefined;
    if (level === 4 && !this.startTranslation(p)) return;
    // `auto`, level unknown: hold the device's packets until the broker has answered, so none reaches
    // a connection that is replaced by a 3.1.1 one. Learned 5: forward at once; the retry stays possible
    // until the device sends something after its CONNECT (onFrame).
    if (p.protocolVersion === 5 && this.host.upstream?.setting === 'auto' && level !== 4) {
      this.retryConnect = p;
      this.holding = level === undefined;
    }
    this.openUpstream(frame);
    this.state = State.Open;
    if (!this.holding) this.releasePending();
  }

  /** Packets that arrived while the CONNECT was decided, in order, then the device is read again. */
  private releasePending(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending) for (const f of pending) this.onFrame(f);
    this.flushUpstream();
    this.resumeDevice();
  }

  /** Speak 3.1.1 upstream for this 5.0 device; false when the CONNECT cannot be carried (refused). */
  private startTranslation(p: ConnectPacket): boolean {
    const refusal = connectRefusal(p);
    if (refusal) {
      this.host.pipeline.emit(this, {
        reason: 'protocol.bad_property',
        mqtt: { packetType: 'connect' },
        rule: { id: 'MQTT-4.12.0-1', values: { clause: 'MQTT-4.12.0-1', detail: refusal.detail } },
      });
      this.endDevice(encodeConnack(5, refusal.code));
      this.teardown();
      return false;
    }
    this.tx = new Translator(
      p,
      this.host.upstream?.maxQoS ?? 2,
      this.host.limits.maxPacketSize,
      () => `sentinel-${this.sessionId}`,
    );
    return true;
  }

  private onPublish(p: PublishPacket, frame: Frame): void {
    const topic = this.resolveAlias(p, 'in');
    if (topic === undefined) return;
    if (this.tx && p.qos === 2 && this.heldQos2(p.messageId as number)) return;
    if (p.dup && p.qos === 2 && !this.host.pipeline.qos2(this, 'dup', p.messageId as number, this.lastRx).ok)
      return;
    const v = this.host.pipeline.checkPublish(this, p, topic, this.lastRx);
    if (this.state === State.Closed) return;
    if (v.ok) return this.tx ? this.publishUpstream(this.tx, p, topic) : this.forwardUpstream(frame);
    if (p.qos === 0) return; // dropped silently
    const rate = v.reason.startsWith('rate.');
    if (this.version === 5) {
      // 5.0: a negative PUBACK / PUBREC ends the flow [MQTT-3.4.2.1]
      const code = pubackCode(v.reason);
      const ack = encodePuback(5, p.messageId as number, code);
      if (p.qos === 2) ack[0] = 0x50;
      return this.toDevice(ack);
    }
    // 3.1.1 has no negative acknowledgement: a rate-limited QoS 1+ PUBLISH gets none (the client
    // retries later); an ACL-denied one is acknowledged and dropped so the client does not retry forever.
    if (rate) return;
    const ack = encodePuback(4, p.messageId as number, 0);
    if (p.qos === 2) {
      ack[0] = 0x50;
      (this.localQos2In ??= new Set()).add(p.messageId as number);
    }
    this.toDevice(ack);
  }

  private onPubrel(p: AckPacket, frame: Frame): void {
    if (this.localQos2In?.delete(p.messageId)) return this.toDevice(encodeAck(7, p.messageId));
    if (!this.host.pipeline.qos2(this, 'pubrel', p.messageId, this.lastRx).ok) return;
    this.forwardOther(p, frame);
  }

  /** Packets without a decision of their own: global and per-IP tiers, then forward. */
  private forwardOther(p: Packet, frame: Frame): void {
    if (this.tx && p.cmd === 'auth') {
      // No Authentication Method was accepted (a CONNECT with one is refused), so AUTH is a
      // Protocol Error (section 4.12).
      return this.violation({ reason: 'protocol.invalid_packet_type', clause: 'MQTT-4.12' });
    }
    if (!this.host.pipeline.checkOther(this, p.cmd, this.lastRx).ok) {
      // Dropped here, but the device did acknowledge: its Receive Maximum place is free again, or a
      // broker that redelivers only on reconnect would never be read again [MQTT-3.3.4-9].
      if (
        this.tx &&
        (p.cmd === 'puback' || p.cmd === 'pubcomp' || (p.cmd === 'pubrec' && (p.reasonCode ?? 0) >= 0x80))
      )
        this.deliveryDone(this.tx, p.messageId);
      return;
    }
    if (this.tx) this.otherUpstream(this.tx, p);
    else this.forwardUpstream(frame);
  }

  private onSubscribe(p: SubscribePacket, frame: Frame): void {
    // The node's CONNACK said Subscription Identifiers Available = 0 (section 3.2.2.3.12): DISCONNECT 0xA1
    if (this.tx && p.properties?.subscriptionIdentifier !== undefined)
      return this.violation({
        reason: 'protocol.bad_property',
        clause: 'MQTT-3.8.2.1.2',
        detail: 'subscription identifiers are not available',
        code: 0xa1,
      });
    const shared = this.tx ? p.subscriptions.map((s) => s.topic.startsWith('$share/')) : undefined;
    const asked = shared ? p.subscriptions.filter((_, i) => !shared[i]) : p.subscriptions;
    const verdicts =
      asked.length > 0 ? this.host.pipeline.checkSubscribe(this, p.messageId, asked, this.lastRx) : [];
    let denied = 0;
    let j = 0;
    const codes: (number | undefined)[] = p.subscriptions.map((_, i) => {
      // Shared Subscription Available = 0 was advertised: 0x9E for such a filter (section 3.9.3)
      if (shared?.[i]) return (denied++, 0x9e);
      const v = verdicts[j++];
      return v === undefined || v.ok ? undefined : (denied++, subackCode(v.reason, this.version));
    });
    if (denied === 0) {
      if (!this.tx) return this.forwardUpstream(frame);
      this.tx.subscribed(p.subscriptions);
      return this.toUpstream(subscribeTo4(p.messageId, p.subscriptions));
    }
    if (denied === codes.length)
      return this.toDevice(encodeSuback(this.version, p.messageId, codes as number[]));
    (this.narrowed ??= new Map()).set(p.messageId, codes);
    const allowed = p.subscriptions.filter((_, i) => codes[i] === undefined);
    this.toUpstream(this.narrowedSubscribe(p, allowed));
  }

  private narrowedSubscribe(p: SubscribePacket, allowed: Subscription[]): Buffer {
    if (this.tx) {
      this.tx.subscribed(allowed);
      return subscribeTo4(p.messageId, allowed);
    }
    return encodeSubscribe(this.version, p.messageId, allowed, p.properties);
  }

  private onDisconnect(p: DisconnectPacket, frame: Frame): void {
    if (!this.tx) this.toUpstream(frame.raw);
    else {
      const bad = this.tx.disconnectViolation(p);
      if (bad) return this.violation(bad);
      // Only reason 0x00 deletes the will; otherwise close upstream without DISCONNECT (translate.ts)
      const out = disconnectTo4(p);
      if (out) this.toUpstream(out);
    }
    this.close('disconnect.client');
  }

  // ---- translated sessions: device → broker -----------------------------------------------------

  /**
   * A broker without QoS 2 has no QoS 2 exchange to continue (nats-server 2.9 closes the connection on
   * PUBREC, PUBREL and PUBCOMP), so they never go upstream. The node's own exchanges were answered before
   * this point; a PUBREL for any other id gets PUBCOMP 0x92 Packet Identifier not found (section 4.3.3),
   * a PUBREC or PUBCOMP for a delivery that never was is dropped. In a resumed session, such a PUBREL is
   * the device completing an exchange of an earlier connection [MQTT-4.4.0-1], whose PUBREC the node sent
   * only after the broker's PUBACK: the message is with the broker, so the answer is Success — 0x92 would
   * reach the application as a failed publish (clients report it as an error) and invite a resend.
   */
  private qos2WithoutBroker(tx: Translator, cmd: 'pubrec' | 'pubrel' | 'pubcomp', id: number): void {
    if (cmd !== 'pubrel') return;
    this.toDevice(tx.resumed ? encodeAck(7, id) : Buffer.from([0x70, 0x03, id >> 8, id & 0xff, 0x92]));
  }

  /**
   * A QoS 2 PUBLISH the node already holds: one forwarded as QoS 1 and not yet acknowledged by the
   * broker is not sent twice; one the node has answered with PUBREC gets PUBREC again (section 4.3.3).
   */
  private heldQos2(id: number): boolean {
    if ((this.tx as Translator).qos2Held.has(id)) return true;
    if (!this.localQos2In?.has(id)) return false;
    this.toDevice(encodeAck(5, id));
    return true;
  }

  private publishUpstream(tx: Translator, p: PublishPacket, topic: string): void {
    // A broker without QoS 2 gets QoS 1; the node completes the QoS 2 exchange with the device when the
    // broker's PUBACK arrives (onUpstreamPuback), so the message reaches the broker once.
    if (p.qos === 2 && tx.maxQoS < 2) {
      tx.qos2Held.add(p.messageId as number);
      return this.toUpstream(publishTo4(p, topic, 1));
    }
    this.toUpstream(publishTo4(p, topic));
  }

  /** Acknowledgements, UNSUBSCRIBE and PINGREQ: reason codes and properties exist on the 5.0 side only. */
  private otherUpstream(tx: Translator, p: Packet): void {
    if (tx.maxQoS < 2 && (p.cmd === 'pubrec' || p.cmd === 'pubrel' || p.cmd === 'pubcomp'))
      return this.qos2WithoutBroker(tx, p.cmd, p.messageId);
    switch (p.cmd) {
      case 'puback':
        this.toUpstream(encodeAck(4, p.messageId));
        return this.deliveryDone(tx, p.messageId);
      case 'pubrec':
        this.toUpstream(encodeAck(5, p.messageId));
        // A 5.0 PUBREC with a failure code ends the exchange (section 4.3.3); the 3.1.1 broker still sends
        // PUBREL, which the node answers itself.
        if ((p.reasonCode ?? 0) < 0x80) return;
        (this.localQos2Out ??= new Set()).add(p.messageId);
        return this.deliveryDone(tx, p.messageId);
      case 'pubrel':
        return this.toUpstream(encodeAck(6, p.messageId));
      case 'pubcomp':
        this.toUpstream(encodeAck(7, p.messageId));
        return this.deliveryDone(tx, p.messageId);
      case 'unsubscribe':
        return this.toUpstream(tx.unsubscribe(p));
      case 'pingreq':
        this.toUpstream(Buffer.from([0xc0, 0x00]));
        // The broker is not read while the device's window is full, so its PINGRESP would wait for the
        // device's acknowledgement: answered here instead [MQTT-3.12.4-1], the broker's one dropped later.
        if (this.quotaPaused) {
          tx.pingsAnswered++;
          this.toDevice(Buffer.from([0xd0, 0x00]));
        }
        return;
      default:
        return undefined;
    }
  }

  /** The topic of a PUBLISH, with 5.0 topic aliases resolved [MQTT-3.3.2-12]. */
  private resolveAlias(p: PublishPacket, dir: 'in' | 'out'): string | undefined {
    const alias = p.properties?.topicAlias as number | undefined;
    if (alias === undefined) return p.topic;
    // The device may not exceed the Topic Alias Maximum of the CONNACK it got: the node's own when it
    // translates, else the broker's (known once the broker answered): DISCONNECT 0x94 [MQTT-3.3.2-9].
    // This also bounds the alias map by construction, not only by what the broker would refuse later.
    const inMax = this.tx ? TOPIC_ALIAS_MAXIMUM : this.aliasInMax;
    if (dir === 'in' && inMax !== undefined && alias > inMax) {
      this.violation({
        reason: 'protocol.invalid_topic',
        clause: 'MQTT-3.3.2-9',
        detail: `topic alias ${alias} above the maximum ${inMax}`,
        code: 0x94,
      });
      return undefined;
    }
    // A broker must not exceed the device's maximum either [MQTT-3.3.2-10].
    if (dir === 'out' && alias > this.aliasOutMax) {
      this.close(
        'disconnect.upstream_closed',
        `topic alias ${alias} from upstream above the device's maximum`,
      );
      return undefined;
    }
    const map = dir === 'in' ? (this.aliasIn ??= new Map()) : (this.aliasOut ??= new Map());
    if (p.topic.length > 0) {
      if (map.size >= 65_535 && !map.has(alias)) map.clear();
      map.set(alias, p.topic);
      return p.topic;
    }
    const t = map.get(alias);
    if (t === undefined) {
      // An alias never set is a protocol error [MQTT-3.3.2-7]
      if (dir === 'in')
        this.violation({
          reason: 'protocol.invalid_topic',
          clause: 'MQTT-3.3.2-7',
          detail: 'unknown topic alias',
        });
      else this.close('disconnect.upstream_closed', 'unknown topic alias from upstream');
    }
    return t;
  }

  // ---- upstream → device ------------------------------------------------------------------------

  /** Connect upstream: the device's CONNECT as it arrived, or its 3.1.1 translation. */
  private openUpstream(connect?: Frame): void {
    const up = this.host.openUpstream(this);
    this.up = up;
    this.upOpenedAt = Date.now();
    this.upFramer = new Framer(this.host.limits.upstreamMaxPacketSize);
    this.upSink = new UpstreamSink(this);
    (up as Owned)[SESSION] = this;
    up.on('data', onUpData);
    up.on('drain', onUpDrain);
    up.on('error', ignore);
    up.on('close', onUpClose);
    this.toUpstream(this.tx ? this.tx.connectBytes() : (connect as Frame).raw);
  }

  /**
   * `auto`: the broker refused 5.0 with a 3.1.1 CONNACK. Learn that for this upstream, drop that
   * connection and connect again as 3.1.1, translating; the device never sees the refusal.
   */
  private retryAs311(connect: ConnectPacket): void {
    (this.host.upstream as UpstreamLevel).learned = 4;
    this.retryConnect = undefined;
    const old = this.up as Duplex;
    (this.upSink as UpstreamSink).dead = true;
    old.removeListener('data', onUpData);
    old.removeListener('drain', onUpDrain);
    old.removeListener('close', onUpClose);
    old.destroy();
    this.up = undefined;
    if (!this.startTranslation(connect)) return;
    this.openUpstream();
  }

  /** @internal */
  onUpstreamData(chunk: Buffer): void {
    if (this.state === State.Closed) return;
    this.device.cork();
    const v = (this.upFramer as Framer).push(chunk, this.upSink as UpstreamSink);
    this.flushDevice();
    this.device.uncork();
    if (v) this.close('disconnect.upstream_closed', `upstream ${v.reason}`);
  }

  /** Framer sink for broker packets (the session itself is the sink for device packets). */
  private upSink: UpstreamSink | undefined;

  /** @internal */
  onUpFrame(frame: Frame): void {
    if (this.state === State.Closed) return;
    this.host.metrics.packet(frame.type, frame.length, 'out');
    if (this.tx) return this.onTranslatedFrame(frame);
    switch (frame.type) {
      case 2:
        return this.onConnack(frame);
      case 3:
        return this.onDelivery(frame);
      case 6:
        return this.onUpstreamPubrel(frame);
      case 9:
        return this.onSuback(frame);
      default:
        this.forwardDevice(frame);
    }
  }

  /** A 3.1.1 broker's packet for a 5.0 device: each one decoded (validated) and re-encoded as 5.0. */
  private onTranslatedFrame(frame: Frame): void {
    switch (frame.type) {
      case 2:
        return this.onConnack(frame);
      case 3:
        return this.onDelivery(frame);
      case 4:
        return this.onUpstreamPuback(frame);
      case 6:
        return this.onUpstreamPubrel(frame);
      case 9:
        return this.onSuback(frame);
      case 11: {
        const p = this.upstreamPacket<AckPacket>(frame);
        if (p) this.toDevice((this.tx as Translator).unsuback(p.messageId));
        return;
      }
      case 5:
      case 7:
      case 13:
        // PUBREC, PUBCOMP and PINGRESP of 3.1.1 are valid 5.0 packets as they are (section 3.5.2.1); a
        // PINGRESP the node already gave the device (otherUpstream) is dropped.
        if (!this.upstreamPacket(frame)) return;
        if (frame.type === 13 && (this.tx as Translator).pingsAnswered > 0) {
          (this.tx as Translator).pingsAnswered--;
          return;
        }
        return this.forwardDevice(frame);
      default:
        return this.close('disconnect.upstream_closed', `packet type ${frame.type} from a 3.1.1 broker`);
    }
  }

  /** The broker's PUBACK; for a QoS 2 PUBLISH the node sent as QoS 1, the device gets its PUBREC. */
  private onUpstreamPuback(frame: Frame): void {
    // A well-formed 3.1.1 PUBACK (4 bytes, flags 0, id non-zero) is read in place: one per QoS 1 message.
    let id = 0;
    if (frame.length === 4 && frame.flags === 0) id = frame.src.readUInt16BE(frame.start + 2);
    if (id === 0) {
      const p = this.upstreamPacket<AckPacket>(frame);
      if (!p) return;
      id = p.messageId;
    }
    if (!(this.tx as Translator).qos2Held.delete(id)) return this.forwardDevice(frame);
    (this.localQos2In ??= new Set()).add(id);
    this.toDevice(encodeAck(5, id));
  }

  private upstreamPacket<T extends Packet>(frame: Frame): T | undefined {
    const d = decodePacket(frame, this.tx ? 4 : this.version, 'out', this.host.limits);
    if (d.ok) return d.packet as T;
    this.close('disconnect.upstream_closed', `malformed packet from upstream: ${d.violation.reason}`);
    return undefined;
  }

  private onConnack(frame: Frame): void {
    // A broker that speaks only 3.1.1 (nats-server 2.9's MQTT) answers a 5.0 CONNECT with a 3.1.1 CONNACK
    // refusing the level: four bytes, where a 5.0 CONNACK has at least five (its properties length). Tell
    // the device in its own version, 0x84 Unsupported Protocol Version, instead of dropping it.
    if (this.version === 5 && !this.upAccepted && frame.length === 4 && !this.tx) {
      // `upstream.protocol: auto`: a 3.1.1 CONNACK to a 5.0 CONNECT (normally 0x01, the level refused) means
      // the broker speaks 3.1.1 — retry as that; whatever it says then reaches the device in 5.0 terms.
      const retry = this.retryConnect;
      if (retry) return this.retryAs311(retry);
      this.host.pipeline.emit(this, {
        reason: 'connect.upstream_unavailable',
        mqtt: { packetType: 'connect' },
        message:
          'the upstream broker does not speak MQTT 5.0: connect with MQTT 3.1.1, or put an MQTT 5 broker upstream',
      });
      this.endDevice(encodeConnack(5, 0x84));
      this.teardown();
      return;
    }
    const p = this.upstreamPacket<ConnackPacket>(frame);
    if (!p) return;
    // `auto`: a 5.0 CONNACK (whatever its code) means a 5.0 broker; later sessions need not wait for it.
    if (this.version === 5 && !this.tx && this.host.upstream?.setting === 'auto')
      this.host.upstream.learned = 5;
    // Absent means the broker takes no aliases [MQTT-3.2.2-18]; the device learns the same from it.
    if (this.version === 5 && !this.tx)
      this.aliasInMax = (p.properties?.topicAliasMaximum as number | undefined) ?? 0;
    const code = p.reasonCode ?? p.returnCode ?? 0;
    if (code !== 0 && !this.upAccepted) {
      // The broker refused the session: the device gets that refusal in its own version, and the session
      // ends here, so the broker's close that follows adds no second CONNACK [MQTT-3.2.2-7].
      this.host.pipeline.emit(this, {
        reason: 'connect.upstream_unavailable',
        mqtt: { packetType: 'connect' },
        message: `the upstream broker refused the CONNECT with code 0x${code.toString(16)}`,
      });
      this.endDevice(this.tx ? this.tx.connack(p) : frame.raw);
      return this.teardown();
    }
    if (code === 0 && !this.upAccepted) {
      this.upAccepted = true;
      const values = { sessionPresent: p.sessionPresent };
      this.host.pipeline.accepted(this, this.tx ? { ...values, upstreamProtocol: 4 } : values);
    }
    if (this.tx) this.toDevice(this.tx.connack(p));
    else this.forwardDevice(frame);
    this.retryConnect = undefined;
    if (this.holding) {
      this.holding = false;
      this.releasePending();
    }
  }

  private onDelivery(frame: Frame): void {
    const p = this.upstreamPacket<PublishPacket>(frame);
    if (!p) return;
    const topic = this.resolveAlias(p, 'out');
    if (topic === undefined) return;
    if (this.host.pipeline.checkDeliver(this, p, topic).ok) {
      if (!this.tx) return this.forwardDevice(frame);
      return this.deliverTranslated(this.tx, p, topic);
    }
    this.dropDelivery(p);
  }

  /** A delivery from a 3.1.1 broker to a 5.0 device, unless the device asked not to get it. */
  private deliverTranslated(tx: Translator, p: PublishPacket, topic: string): void {
    if (!p.retain || tx.wantsRetained(topic)) {
      const out = publishTo5(p);
      // A packet above the device's Maximum Packet Size is discarded as if sent [MQTT-3.1.2-24] [MQTT-3.1.2-25]
      if (out.length <= tx.deviceMaxPacket) return this.sendDelivery(tx, p, out);
    }
    this.dropDelivery(p);
  }

  /**
   * A 3.1.1 broker does not know the device's Receive Maximum: the node keeps to it [MQTT-3.3.4-9]. A QoS 1
   * or 2 delivery beyond it waits, and the broker is not read until the device acknowledges one.
   */
  private sendDelivery(tx: Translator, p: PublishPacket, out: Buffer): void {
    const id = p.messageId;
    if (id === undefined || tx.inflight.has(id)) return this.toDevice(out);
    if (tx.waiting.length === 0 && tx.inflight.size < tx.receiveMaximum) {
      tx.inflight.add(id);
      return this.toDevice(out);
    }
    tx.waiting.push({ id, out });
    if (!this.quotaPaused) {
      this.quotaPaused = true;
      this.up?.pause();
    }
  }

  /** The device acknowledged delivery `id` (PUBACK, PUBCOMP, or PUBREC with a failure): a place is free. */
  private deliveryDone(tx: Translator, id: number): void {
    if (!tx.inflight.delete(id)) return;
    while (tx.waiting.length > 0 && tx.inflight.size < tx.receiveMaximum) {
      const next = tx.waiting.shift() as { id: number; out: Buffer };
      tx.inflight.add(next.id);
      this.toDevice(next.out);
    }
    if (tx.waiting.length > 0 || !this.quotaPaused) return;
    this.quotaPaused = false;
    if (!this.upPaused) this.up?.resume();
  }

  /** A delivery not sent: acknowledged upstream so the broker does not redeliver it forever. */
  private dropDelivery(p: PublishPacket): void {
    const id = p.messageId as number;
    if (p.qos === 1) this.toUpstream(Buffer.from([0x40, 0x02, id >> 8, id & 0xff]));
    else if (p.qos === 2) {
      (this.localQos2Out ??= new Set()).add(id);
      this.toUpstream(Buffer.from([0x50, 0x02, id >> 8, id & 0xff]));
    }
  }

  private onUpstreamPubrel(frame: Frame): void {
    const id = frame.raw.length >= frame.bodyStart + 2 ? frame.raw.readUInt16BE(frame.bodyStart) : 0;
    if (this.localQos2Out?.delete(id)) return this.toUpstream(Buffer.from([0x70, 0x02, id >> 8, id & 0xff]));
    this.forwardDevice(frame);
  }

  private onSuback(frame: Frame): void {
    const p = this.upstreamPacket<SubackPacket>(frame);
    if (!p) return;
    const codes = this.narrowed?.get(p.messageId);
    if (codes === undefined)
      return this.tx ? this.toDevice(encodeSuback(5, p.messageId, p.granted)) : this.forwardDevice(frame);
    this.narrowed?.delete(p.messageId);
    let j = 0;
    const merged = codes.map((c) => (c === undefined ? (p.granted[j++] ?? 0x80) : c));
    this.toDevice(encodeSuback(this.version, p.messageId, merged));
  }

  // ---- flow control -----------------------------------------------------------------------------

  /** A packet forwarded as it arrived: joins the run written at the end of the chunk. */
  private forwardUpstream(f: Frame): void {
    const done = this.upRun.push(f.src, f.start, f.end);
    if (done) this.writeUpstream(done);
  }

  /** A packet the node made (or changed): after what was forwarded before it. */
  private toUpstream(buf: Buffer): void {
    this.flushUpstream();
    this.writeUpstream(buf);
  }

  private flushUpstream(): void {
    const run = this.upRun.take();
    if (run) this.writeUpstream(run);
  }

  private writeUpstream(buf: Buffer): void {
    const up = this.up;
    if (!up || up.destroyed) return;
    if (!up.write(buf) && !this.devicePaused) this.pauseDevice();
  }

  private forwardDevice(f: Frame): void {
    const done = this.deviceRun.push(f.src, f.start, f.end);
    if (done) this.writeDevice(done);
  }

  private toDevice(buf: Buffer): void {
    this.flushDevice();
    this.writeDevice(buf);
  }

  private flushDevice(): void {
    const run = this.deviceRun.take();
    if (run) this.writeDevice(run);
  }

  private writeDevice(buf: Buffer): void {
    if (this.device.destroyed) return;
    if (!this.device.write(buf) && this.up && !this.upPaused) {
      this.upPaused = true;
      this.up.pause();
    }
  }

  /** End the device side: what was forwarded to it so far goes first. */
  private endDevice(last?: Buffer): void {
    this.flushDevice();
    if (last) this.device.end(last);
    else this.device.end();
  }

  private pauseDevice(): void {
    this.devicePaused = true;
    this.device.pause();
  }

  private resumeDevice(): void {
    if (this.state === State.Closed) return;
    if (this.up?.writableNeedDrain) return; // upstream still full: 'drain' resumes
    this.devicePaused = false;
    this.device.resume();
  }

  /** @internal */
  onUpstreamDrain(): void {
    if (this.devicePaused && this.state === State.Open) this.resumeDevice();
  }

  /** @internal */
  onDeviceDrain(): void {
    if (this.upPaused && this.up) {
      this.upPaused = false;
      if (!this.quotaPaused) this.up.resume();
    }
  }

  // ---- ending -------------------------------------------------------------------------------------

  /** The sweeper: connect timeout and keep-alive [MQTT-3.1.2-24]. */
  tick(now: number): void {
    if (this.state === State.AwaitConnect && now - this.openedAt > this.host.limits.connectTimeoutMs) {
      this.violation({
        reason: 'protocol.connect_timeout',
        clause: 'sentinel.connect_timeout',
        detail: `no CONNECT within ${this.host.limits.connectTimeoutMs} ms`,
      });
    } else if (
      this.state === State.Open &&
      !this.upAccepted &&
      now - this.upOpenedAt > this.host.limits.connectTimeoutMs
    ) {
      // A broker that takes the connection but never answers the CONNECT: refuse rather than hang.
      this.upstreamUnavailable();
    } else if (this.state === State.Open && this.keepAliveMs > 0 && now - this.lastRx > this.keepAliveMs) {
      this.violation({
        reason: 'protocol.keepalive_timeout',
        clause: 'MQTT-3.1.2-24',
        detail: `silent for ${now - this.lastRx} ms`,
      });
    }
  }

  private violation(v: Violation): void {
    if (this.state === State.Closed) return;
    const values: Record<string, string> = { clause: v.clause };
    if (v.detail !== undefined) values.detail = v.detail;
    this.host.pipeline.emit(this, { reason: v.reason, rule: { id: v.clause, values } });
    if (v.reason === 'protocol.unsupported_version' && this.state === State.AwaitConnect) {
      // Unsupported level: CONNACK 0x01 then close [MQTT-3.1.2-2]. A CONNECT inside an open session is a
      // second CONNECT whatever its level: a 5.0 device gets DISCONNECT, never a 3.1.1 CONNACK.
      this.endDevice(encodeConnack(4, 0x01));
      return this.teardown();
    }
    this.finish(v.reason, v.code);
  }

  /** @internal */
  onDeviceClose(): void {
    if (this.state === State.Closed) return;
    this.close('disconnect.socket_closed');
  }

  /** @internal */
  onUpstreamClose(): void {
    if (this.state === State.Closed) return;
    if (!this.upAccepted) return this.upstreamUnavailable();
    this.close('disconnect.upstream_closed');
  }

  /** The broker refused, dropped or ignored the CONNECT: CONNACK 0x03 / 0x88 to the device. */
  private upstreamUnavailable(): void {
    this.host.pipeline.emit(this, {
      reason: 'connect.upstream_unavailable',
      mqtt: { packetType: 'connect' },
    });
    this.endDevice(encodeConnack(this.version, connackCode('connect.upstream_unavailable', this.version)));
    this.teardown();
  }

  /** End the session for `reason`, emitting it as the session's closing event. */
  close(reason: ReasonCode, detail?: string): void {
    if (this.state === State.Closed) return;
    if (this.established) this.host.pipeline.summarize(this, Date.now());
    if (reason !== 'penalty.session_closed') {
      this.host.pipeline.emit(this, detail === undefined ? { reason } : { reason, message: detail });
    }
    this.finish(reason);
  }

  /** Tell a 5.0 client why (DISCONNECT with a reason code [MQTT-3.14.2.1]), then close both sides. */
  private finish(reason: ReasonCode, code?: number): void {
    const tell =
      this.version === 5 &&
      this.state === State.Open &&
      reason !== 'disconnect.client' &&
      reason !== 'disconnect.socket_closed';
    if (tell && !this.device.destroyed) this.endDevice(encodeDisconnect(code ?? disconnectCode(reason)));
    else this.endDevice();
    this.teardown();
  }

  private teardown(): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    this.pending = undefined;
    this.host.registry.delete(this);
    this.host.pipeline.sessionEnded(this);
    this.host.metrics.connectionsActive.dec({ transport: this.peer.transport });
    if (this.up) {
      this.flushUpstream();
      this.up.end();
      const up = this.up;
      setTimeout(() => up.destroy(), 1000).unref();
    }
    // A device that does not read its last bytes must not hold the socket open.
    const device = this.device;
    setTimeout(() => device.destroy(), 1000).unref();
  }
}

/** Framer sink for one upstream connection; `dead` once that connection was replaced (auto retry). */
class UpstreamSink {
  dead = false;
  constructor(private readonly s: ProxySession) {}
  onFrame(f: Frame): void {
    if (!this.dead) this.s.onUpFrame(f);
  }
}
