// The inspection engine as the session pipeline plugs it in: `inspect` for every PUBLISH that passed the
// earlier checks, plus quarantine storage. A quarantined message is never forwarded (the verdict denies);
// here it is also kept in SENTINEL_QUARANTINE, off the hot path, and `quarantine.stored` is emitted once
// JetStream has acknowledged it (`quarantine.store_failed` when it could not be kept).
import { makeEvent, silentLogger } from '@sentinel/ingest';
import type { DecisionEventV1, EventSubject, Logger } from '@sentinel/ingest';
import type { Verdict } from '../policy/types.ts';
import type { InspectionEngine } from './engine.ts';
import type { QuarantineStore } from './quarantine.ts';
import type { Qos2Step } from './threats/qos.ts';
import type { Finding, InspectionResult, PublishFacts, SessionFacts } from './types.ts';

export interface SentinelInspectorOptions {
  engine: InspectionEngine;
  /** Where quarantined messages go; without one they are dropped (still not forwarded) and logged. */
  quarantine?: QuarantineStore;
  /** This node's name in events. */
  node: string;
  /** Decision event sink (the node's). */
  emit?: (event: DecisionEventV1) => void;
  log?: Logger;
}

export class SentinelInspector {
  readonly engine: InspectionEngine;
  private readonly pending = new Set<Promise<void>>();
  private readonly log: Logger;

  constructor(private readonly opts: SentinelInspectorOptions) {
    this.engine = opts.engine;
    this.log = (opts.log ?? silentLogger).child({ component: 'inspection' });
  }

  /** The pipeline's PublishInspector: inspect, and keep what is quarantined. */
  inspect(s: SessionFacts, msg: PublishFacts, now: number): InspectionResult {
    const r = this.engine.publish(s, msg, now);
    if (r.action === 'quarantine') this.keep(s, msg, r, now);
    return r;
  }

  // ---- the other hooks of the session pipeline (each returns findings to emit and a verdict) ----------

  /** Before authentication, for every CONNECT: connection rate and CONNECT flood per source IP. */
  connectAttempt(ip: string, now: number): InspectionResult {
    return this.engine.connectAttempt(ip, now);
  }

  /** After the CONNECT checks passed: stolen client id / cloned certificate; registers the live session. */
  sessionOpened(s: SessionFacts, now: number): InspectionResult {
    return this.engine.sessionOpened(s, now);
  }

  /** Whenever an opened session ends. */
  sessionClosed(s: SessionFacts): void {
    this.engine.sessionClosed(s);
  }

  /** The filters of a SUBSCRIBE (the ones the ACL granted): topic enumeration. */
  subscribe(s: SessionFacts, filters: readonly string[], now: number): InspectionResult {
    return this.engine.subscribe(s, filters, now);
  }

  /** A PUBLISH the ACL refused: retain abuse when it was a retain refusal. */
  publishDenied(s: SessionFacts, msg: PublishFacts, acl: Verdict, now: number): InspectionResult {
    return this.engine.publishDenied(s, msg, acl, now);
  }

  /** PUBREC / PUBREL from the device, or a PUBLISH with DUP set: QoS 2 redelivery loops. */
  qos2(s: SessionFacts, step: Qos2Step, packetId: number, now: number): InspectionResult {
    return this.engine.qos2(s, step, packetId, now);
  }

  /** PUBCOMP: the QoS 2 flow of `packetId` ended. */
  qos2Completed(s: SessionFacts, packetId: number): void {
    this.engine.qos2Completed(s, packetId);
  }

  /** Stop watching the rule file and wait for quarantine stores in flight. */
  async close(): Promise<void> {
    this.engine.close();
    await this.flush();
  }

  /** Quarantine stores still awaiting JetStream (tests and shutdown wait for them). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private keep(s: SessionFacts, msg: PublishFacts, r: InspectionResult, now: number): void {
    const f = r.findings.find((x) => x.action === 'quarantine') as Finding;
    const store = this.opts.quarantine;
    if (!store) {
      this.log.warn('quarantined message dropped: no quarantine store configured', {
        reason: f.reason,
        rule: f.rule.id,
      });
      return;
    }
    // The packet's buffer may belong to a reused frame: the store keeps its own copy.
    const copy: PublishFacts = { ...msg, payload: Buffer.from(msg.payload) };
    const p = store.store(s, copy, f, now).then(
      (stored) =>
        this.emit(s, copy, {
          reason: 'quarantine.stored',
          rule: {
            id: f.rule.id,
            ...(f.rule.name ? { name: f.rule.name } : {}),
            values: { recordId: stored.id, seq: stored.seq, subject: stored.subject, because: f.reason },
          },
          message: `held in SENTINEL_QUARANTINE as ${stored.id} (${f.reason})`,
        }),
      (err: unknown) => {
        this.log.error('quarantined message could not be stored', { err, reason: f.reason, rule: f.rule.id });
        this.emit(s, copy, {
          reason: 'quarantine.store_failed',
          rule: { id: f.rule.id, values: { because: f.reason } },
          message: `could not store the quarantined message: ${(err as Error).message}`,
        });
      },
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private emit(
    s: SessionFacts,
    msg: PublishFacts,
    init: Pick<Parameters<typeof makeEvent>[0], 'reason' | 'rule' | 'message'>,
  ): void {
    if (!this.opts.emit) return;
    const subject: EventSubject = {
      clientId: s.clientId,
      ip: s.ip,
      sessionId: s.sessionId,
      protocolVersion: s.protocolVersion,
    };
    if (s.username !== undefined) subject.username = s.username;
    if (s.certFingerprint !== undefined) subject.certFingerprint = s.certFingerprint;
    this.opts.emit(
      makeEvent({
        ...init,
        node: this.opts.node,
        subject,
        mqtt: {
          packetType: 'publish',
          topic: msg.topic,
          qos: msg.qos,
          retain: msg.retain,
          payloadSize: msg.payload.length,
        },
      }),
    );
  }
}
