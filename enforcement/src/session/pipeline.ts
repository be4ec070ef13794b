// The decision pipeline shared by proxy mode and embedded mode. Each decision is a short step that takes
// parsed facts and returns a Verdict; the pipeline runs the steps in order, turns every decision into an
// event, and counts it. No sockets here: the session layer owns the wire.
import { makeEvent, REASONS } from '@sentinel/ingest';
import type {
  DecisionEventV1,
  EventInit,
  EventMqtt,
  EventSubject,
  ReasonCode,
  RuleValue,
} from '@sentinel/ingest';
import type { InspectionResult, PublishFacts, SessionFacts } from '../inspection/types.ts';
import type { NodeMetrics } from '../metrics.ts';
import { ALLOW } from '../policy/types.ts';
import type {
  AclEngine,
  AuthResult,
  Authenticator,
  ConnectIdentity,
  Denial,
  PenaltyBox,
  RateLimiter,
  Verdict,
} from '../policy/types.ts';
import type { ConnectPacket, PublishPacket, Subscription } from '../protocol/packets.ts';
import type { SessionContext } from './context.ts';
import { peerSubject } from './context.ts';

/** Payload inspection and threat tracking, plugged in when configured (see src/inspection). Only
 *  `inspect` is required; each other hook is called where its README says when present. */
export interface PublishInspector {
  inspect(session: SessionFacts, publish: PublishFacts, now: number): InspectionResult;
  publishDenied?(session: SessionFacts, publish: PublishFacts, acl: Verdict, now: number): InspectionResult;
  connectAttempt?(ip: string, now: number): InspectionResult;
  sessionOpened?(session: SessionFacts, now: number): InspectionResult;
  sessionClosed?(session: SessionFacts): void;
  subscribe?(session: SessionFacts, filters: readonly string[], now: number): InspectionResult;
  qos2?(
    session: SessionFacts,
    step: 'pubrec' | 'pubrel' | 'dup',
    packetId: number,
    now: number,
  ): InspectionResult;
  qos2Completed?(session: SessionFacts, packetId: number): void;
}

export interface PipelineConfig {
  /** This node's name in events. */
  node: string;
  /** Device-bound certificates: `required` needs an mTLS certificate whose CN is the client id;
   *  `when-present` checks the CN only when a certificate was presented. */
  certBinding: 'off' | 'when-present' | 'required';
  /** Allowed PUBLISH traffic as one `publish.summary` per client per interval, or one event per message. */
  publishEvents: 'summary' | 'each';
  /** Accept an empty client id (the broker assigns one); refused by default, identities need an id. */
  allowEmptyClientId: boolean;
}

export interface PipelineDeps {
  limiter: RateLimiter;
  acl: AclEngine;
  /** Absent when no auth endpoint is configured: every identity passes the auth step. */
  auth?: Authenticator;
  penalty?: PenaltyBox;
  inspector?: PublishInspector;
  emit(event: DecisionEventV1): void;
  metrics: NodeMetrics;
}

export interface ConnectAttempt {
  ctx: SessionContext;
  packet: ConnectPacket;
  id: ConnectIdentity;
  now: number;
  auth?: AuthResult;
}

type ConnectStep = (a: ConnectAttempt, p: Pipeline) => Verdict | Promise<Verdict>;

const deny = (
  reason: ReasonCode,
  ruleId: string,
  values?: Record<string, RuleValue>,
  message?: string,
): Denial => {
  const d: Denial = { ok: false, reason, rule: values ? { id: ruleId, values } : { id: ruleId } };
  if (message !== undefined) d.message = message;
  return d;
};

// ---- CONNECT steps, in order ----------------------------------------------------------------------

/** Semantic CONNECT rules the decoder cannot know: an empty client id [MQTT-3.1.3-8]. */
const protocolStep: ConnectStep = (a, p) => {
  if (a.packet.clientId === '' && (!p.config.allowEmptyClientId || !a.packet.clean)) {
    return deny('protocol.missing_field', 'MQTT-3.1.3-8', { field: 'clientId' }, 'empty client identifier');
  }
  return ALLOW;
};

const penaltyBoxStep: ConnectStep = (a, p) => {
  const ban = p.deps.penalty?.check(a.id, a.now);
  if (!ban) return ALLOW;
  return deny('penalty.banned', ban.decisionId, {
    scope: ban.scope,
    value: ban.value,
    until: ban.until,
    ban: ban.reason,
  });
};

const rateLimitStep: ConnectStep = (a, p) => p.deps.limiter.connect(a.id.ip, a.now);

/** Connection rate and CONNECT flood per source, before any auth work is spent on it. */
const connectRateStep: ConnectStep = (a, p) => {
  const res = p.deps.inspector?.connectAttempt?.(a.id.ip, a.now);
  return res ? p.applyInspection(a.ctx, res, { packetType: 'connect' }, true) : ALLOW;
};

const authenticateStep: ConnectStep = async (a, p) => {
  const auth = p.deps.auth;
  if (!auth) return ALLOW;
  let res: AuthResult;
  const started = performance.now();
  try {
    res = await auth.authenticate(a.id);
  } catch {
    // Fail-closed: an authenticator that throws is an unavailable one.
    res = { allow: false, reason: 'auth.unavailable', cache: 'miss', latencyMs: performance.now() - started };
  }
  a.auth = res;
  p.recordAuth(a.ctx, res);
  if (res.allow) return ALLOW;
  return deny(res.reason, `auth.${res.cache}`, { cache: res.cache, latencyMs: round(res.latencyMs) });
};

/** A device-bound certificate must name the client id in its CN. */
const certBindingStep: ConnectStep = (a, p) => {
  const mode = p.config.certBinding;
  if (mode === 'off') return ALLOW;
  const cn = a.id.certCommonName;
  if (cn === undefined) {
    if (mode === 'when-present') return ALLOW;
    return deny(
      'auth.cert_mismatch',
      'cert_binding.required',
      { certificate: false },
      'no client certificate',
    );
  }
  if (cn === a.id.clientId) return ALLOW;
  return deny(
    'auth.cert_mismatch',
    'cert_binding.cn',
    { certCommonName: cn.slice(0, 128) },
    'certificate CN is not the client id',
  );
};

/** Compile the session's ACL (the auth answer's, else config); it cannot deny by itself. */
const aclStep: ConnectStep = (a, p) => {
  a.ctx.acl = p.deps.acl.forSession(
    {
      clientId: a.id.clientId,
      ip: a.id.ip,
      ...optional('username', a.id.username),
      ...optional('certFingerprint', a.id.certFingerprint),
    },
    a.auth?.acl,
  );
  return ALLOW;
};

/** A will is a PUBLISH the broker sends later on the device's behalf: it must pass the publish ACL now. */
const willStep: ConnectStep = (a) => {
  const will = a.packet.will;
  if (!will) return ALLOW;
  return (a.ctx.acl as NonNullable<SessionContext['acl']>).canPublish(will.topic, will.retain);
};

/** Stolen client id, cloned certificate: the last step, so only a session about to open is registered. */
const sessionOpenedStep: ConnectStep = (a, p) => {
  const insp = p.deps.inspector;
  if (!insp?.sessionOpened) return ALLOW;
  const v = p.applyInspection(
    a.ctx,
    insp.sessionOpened(p.sessionFacts(a.ctx), a.now),
    { packetType: 'connect' },
    true,
  );
  if (v.ok) a.ctx.opened = true;
  return v;
};

export const connectChecks: readonly ConnectStep[] = [
  protocolStep,
  penaltyBoxStep,
  // Before the limiter: the flood detector must count the CONNECTs the limiter refuses too.
  connectRateStep,
  rateLimitStep,
  authenticateStep,
  certBindingStep,
  aclStep,
  willStep,
  sessionOpenedStep,
];

/** Denials that came from inspection (their findings are already emitted as events). */
const inspected = new WeakSet<Denial>();

function optional<K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, V>);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

// ---- the pipeline --------------------------------------------------------------------------------

export class Pipeline {
  constructor(
    readonly config: PipelineConfig,
    readonly deps: PipelineDeps,
  ) {}

  /** The identity a CONNECT claims, with the transport's facts. */
  identity(ctx: SessionContext, packet: ConnectPacket): ConnectIdentity {
    const peer = ctx.peer;
    const id: ConnectIdentity = {
      clientId: packet.clientId,
      ip: peer.ip,
      port: peer.port,
      protocolVersion: packet.protocolVersion,
      transport: peer.transport,
    };
    if (packet.username !== undefined) id.username = packet.username;
    if (packet.password !== undefined) id.password = packet.password;
    if (peer.certFingerprint !== undefined) id.certFingerprint = peer.certFingerprint;
    if (peer.certSubject !== undefined) id.certSubject = peer.certSubject;
    if (peer.certCommonName !== undefined) id.certCommonName = peer.certCommonName;
    return id;
  }

  /** Bind the CONNECT's identity to the context (for events and ACLs). */
  bind(ctx: SessionContext, packet: ConnectPacket): void {
    ctx.version = packet.protocolVersion;
    ctx.clientId = packet.clientId;
    ctx.username = packet.username;
    const s = peerSubject(ctx.peer, ctx.sessionId);
    s.clientId = packet.clientId;
    if (packet.username !== undefined) s.username = packet.username;
    s.protocolVersion = packet.protocolVersion;
    ctx.subject = s;
  }

  /** Run connectChecks in order; the first denial ends it and is emitted (auth emits its own). */
  async checkConnect(ctx: SessionContext, packet: ConnectPacket, now = Date.now()): Promise<Verdict> {
    this.bind(ctx, packet);
    const a: ConnectAttempt = { ctx, packet, id: this.identity(ctx, packet), now };
    try {
      for (const step of connectChecks) {
        let v = step(a, this);
        if (v instanceof Promise) v = await v;
        if (!v.ok) {
          if (v.reason.startsWith('rate.'))
            this.deps.metrics.rateLimitRejected.inc({ tier: v.reason.slice(5) });
          if (!(a.auth && v.reason === a.auth.reason) && !inspected.has(v))
            this.denied(ctx, v, { packetType: 'connect' });
          return v;
        }
      }
      return ALLOW;
    } finally {
      // The password is needed by the auth step only [identity contract]: drop it now.
      a.id.password = undefined;
    }
  }

  recordAuth(ctx: SessionContext, res: AuthResult): void {
    const result = res.allow ? 'allow' : res.reason === 'auth.unavailable' ? 'unavailable' : 'deny';
    this.deps.metrics.authRequests.inc({ result, cache: res.cache });
    this.deps.metrics.authLatency.observe({ cache: res.cache }, res.latencyMs / 1000);
    this.emit(ctx, {
      reason: res.allow ? 'auth.ok' : res.reason,
      rule: {
        id: `auth.${res.cache}`,
        values: { cache: res.cache, latencyMs: round(res.latencyMs), result },
      },
      mqtt: { packetType: 'connect' },
    });
  }

  accepted(ctx: SessionContext, values: Record<string, RuleValue> = {}): void {
    this.emit(ctx, {
      reason: 'connect.accepted',
      rule: { id: 'connect.accepted', values },
      mqtt: { packetType: 'connect' },
    });
  }

  /** PUBLISH from a device: rate limits, ACL, then inspection. Allowed traffic is counted for the summary. */
  checkPublish(ctx: SessionContext, p: PublishPacket, topic: string, now: number): Verdict {
    const lim = this.deps.limiter.publish(ctx.peer.ip, ctx.clientId, now);
    if (!lim.ok) return this.rateDenied(ctx, lim, publishMqtt(p, topic));
    const acl = (ctx.acl as NonNullable<SessionContext['acl']>).canPublish(topic, p.retain);
    if (!acl.ok) {
      this.denied(ctx, acl, publishMqtt(p, topic));
      const insp = this.deps.inspector;
      if (insp?.publishDenied) {
        this.applyInspection(
          ctx,
          insp.publishDenied(this.sessionFacts(ctx), this.publishFacts(p, topic, acl), acl, now),
          publishMqtt(p, topic),
        );
      }
      return acl;
    }
    const insp = this.deps.inspector;
    if (insp) {
      const v = this.inspect(ctx, insp, p, topic, acl, now);
      if (!v.ok) return v;
    }
    ctx.pubMessages++;
    ctx.pubBytes += p.payload.length;
    if (this.config.publishEvents === 'each')
      this.emit(ctx, { reason: 'publish.allowed', mqtt: publishMqtt(p, topic) });
    return ALLOW;
  }

  private inspect(
    ctx: SessionContext,
    insp: PublishInspector,
    p: PublishPacket,
    topic: string,
    acl: Verdict,
    now: number,
  ): Verdict {
    const res = insp.inspect(this.sessionFacts(ctx), this.publishFacts(p, topic, acl), now);
    if (res.findings.length === 0 && res.verdict.ok) return ALLOW; // the clean path allocates nothing more
    return this.applyInspection(ctx, res, publishMqtt(p, topic));
  }

  private publishFacts(p: PublishPacket, topic: string, acl: Verdict): PublishFacts {
    const facts: PublishFacts = { topic, payload: p.payload, qos: p.qos, retain: p.retain, dup: p.dup, acl };
    if (p.messageId !== undefined) facts.packetId = p.messageId;
    const up = p.properties?.userProperties;
    if (up !== undefined) facts.userProperties = up as Record<string, string | string[]>;
    return facts;
  }

  /**
   * Emit an inspection result's findings and apply its verdict: `disconnect` closes the session (unless
   * `deciding`: a CONNECT still being decided is refused by its CONNACK instead).
   */
  applyInspection(ctx: SessionContext, res: InspectionResult, mqtt: EventMqtt, deciding = false): Verdict {
    for (const f of res.findings) {
      this.emit(ctx, {
        reason: f.reason,
        decision: f.decision,
        severity: f.severity,
        rule: f.rule,
        message: f.message,
        mqtt,
      });
    }
    if (!res.verdict.ok) {
      inspected.add(res.verdict);
      if (res.action === 'disconnect' && !deciding) ctx.close(res.verdict.reason, res.verdict.message);
    }
    return res.verdict;
  }

  /** QoS 2 steps from the device (PUBREC, PUBREL, PUBLISH with DUP): redelivery loops. */
  qos2(ctx: SessionContext, step: 'pubrec' | 'pubrel' | 'dup', packetId: number, now: number): Verdict {
    const insp = this.deps.inspector;
    if (!insp?.qos2) return ALLOW;
    const res = insp.qos2(this.sessionFacts(ctx), step, packetId, now);
    if (res.findings.length === 0 && res.verdict.ok) return ALLOW;
    return this.applyInspection(ctx, res, { packetType: step === 'dup' ? 'publish' : step, packetId });
  }

  qos2Completed(ctx: SessionContext, packetId: number): void {
    this.deps.inspector?.qos2Completed?.(this.sessionFacts(ctx), packetId);
  }

  /** The session ended: release what inspection tracks for it. */
  sessionEnded(ctx: SessionContext): void {
    if (!ctx.opened) return;
    ctx.opened = false;
    this.deps.inspector?.sessionClosed?.(this.sessionFacts(ctx));
  }

  sessionFacts(ctx: SessionContext): SessionFacts {
    const f: SessionFacts = {
      sessionId: ctx.sessionId,
      clientId: ctx.clientId,
      ip: ctx.peer.ip,
      protocolVersion: ctx.version,
    };
    if (ctx.username !== undefined) f.username = ctx.username;
    if (ctx.peer.certFingerprint !== undefined) f.certFingerprint = ctx.peer.certFingerprint;
    return f;
  }

  /** SUBSCRIBE: one rate-limit decision for the packet, then the ACL per filter. */
  checkSubscribe(ctx: SessionContext, messageId: number, subs: Subscription[], now: number): Verdict[] {
    const lim = this.deps.limiter.subscribe(ctx.peer.ip, ctx.clientId, now);
    if (!lim.ok) {
      this.rateDenied(ctx, lim, {
        packetType: 'subscribe',
        packetId: messageId,
        topic: subs[0]?.topic ?? '',
      });
      return subs.map(() => lim);
    }
    const acl = ctx.acl as NonNullable<SessionContext['acl']>;
    const verdicts: Verdict[] = subs.map((s) => {
      const v = acl.canSubscribe(s.topic);
      return v.ok
        ? v
        : this.denied(ctx, v, { packetType: 'subscribe', topic: s.topic, qos: s.qos, packetId: messageId });
    });
    // Topic enumeration looks at the granted filters together; a refusal refuses all of them.
    const insp = this.deps.inspector;
    const granted = subs.filter((_, i) => verdicts[i]?.ok).map((s) => s.topic);
    if (insp?.subscribe && granted.length > 0) {
      const res = insp.subscribe(this.sessionFacts(ctx), granted, now);
      const v = this.applyInspection(ctx, res, { packetType: 'subscribe', packetId: messageId });
      if (!v.ok) return verdicts.map((x) => (x.ok ? v : x));
    }
    subs.forEach((s, i) => {
      if (!verdicts[i]?.ok) return;
      const mqtt: EventMqtt = { packetType: 'subscribe', topic: s.topic, qos: s.qos, packetId: messageId };
      this.emit(ctx, {
        reason: 'subscribe.granted',
        rule: { id: 'subscribe.granted', values: { qos: s.qos } },
        mqtt,
      });
    });
    return verdicts;
  }

  /** A message the broker delivers must fall inside the device's subscribe ACL (retained, replayed …). */
  checkDeliver(ctx: SessionContext, p: PublishPacket, topic: string): Verdict {
    const v = (ctx.acl as NonNullable<SessionContext['acl']>).canReceive(topic);
    if (!v.ok) this.denied(ctx, v, publishMqtt(p, topic));
    return v;
  }

  /** Any other device packet: the global and per-IP tiers. */
  checkOther(ctx: SessionContext, packetType: EventMqtt['packetType'], now: number): Verdict {
    const v = this.deps.limiter.other(ctx.peer.ip, now);
    if (!v.ok) this.rateDenied(ctx, v, packetType ? { packetType } : undefined);
    return v;
  }

  rateDenied(ctx: SessionContext, d: Denial, mqtt?: EventMqtt): Denial {
    this.deps.metrics.rateLimitRejected.inc({ tier: d.reason.slice(5) });
    return this.denied(ctx, d, mqtt);
  }

  denied(ctx: SessionContext, d: Denial, mqtt?: EventMqtt): Denial {
    const init: Omit<EventInit, 'node' | 'subject'> = { reason: d.reason };
    if (d.rule) init.rule = d.rule;
    if (d.severity !== undefined) init.severity = d.severity;
    if (d.message !== undefined) init.message = d.message;
    if (mqtt) init.mqtt = mqtt;
    this.emit(ctx, init);
    return d;
  }

  /** Emit the publish summary of one session, if it published since the last one. */
  summarize(ctx: SessionContext, now: number): void {
    if (ctx.pubMessages === 0) {
      ctx.pubSince = now;
      return;
    }
    this.emit(ctx, {
      reason: 'publish.summary',
      mqtt: {
        packetType: 'publish',
        messages: ctx.pubMessages,
        bytes: ctx.pubBytes,
        intervalMs: now - ctx.pubSince,
      },
    });
    ctx.pubMessages = 0;
    ctx.pubBytes = 0;
    ctx.pubSince = now;
  }

  emit(ctx: SessionContext, init: Omit<EventInit, 'node' | 'subject'>): void {
    this.emitFor(ctx.subject, init);
  }

  /** Emit a decision about a peer that has no session (a failed TLS handshake). */
  emitFor(subject: EventSubject, init: Omit<EventInit, 'node' | 'subject'>): void {
    const ev = makeEvent({ ...init, node: this.config.node, subject });
    this.deps.metrics.decisions.inc({ kind: REASONS[init.reason].kind, decision: ev.decision });
    this.deps.emit(ev);
  }
}

function publishMqtt(p: PublishPacket, topic: string): EventMqtt {
  const m: EventMqtt = {
    packetType: 'publish',
    topic,
    qos: p.qos,
    retain: p.retain,
    payloadSize: p.payload.length,
  };
  if (p.messageId !== undefined) m.packetId = p.messageId;
  return m;
}
