// The quarantine store: messages held back by inspection go to the JetStream stream SENTINEL_QUARANTINE
// (created by ensureStreams in @sentinel/ingest) instead of the broker, with the metadata an analyst needs
// to review and release them. Subject: sentinel.quarantine.<node>.<base64url client id>, so a reviewer can
// filter by node and client; the record id is the JetStream message id (a retried store is not doubled).
import { SUBJECTS, ulid } from '@sentinel/ingest';
import type { ProtocolVersion } from '@sentinel/ingest';
import { QuarantineError, InspectionErrorCode } from './errors.ts';
import type { InspectionMetrics } from './metrics.ts';
import type { Finding, PublishFacts, SessionFacts } from './types.ts';

export interface QuarantineRecordV1 {
  v: 1;
  /** ULID; also the JetStream Nats-Msg-Id. */
  id: string;
  /** ms since epoch. */
  ts: number;
  node: string;
  sessionId: string;
  clientId: string;
  username?: string;
  ip: string;
  protocolVersion: ProtocolVersion;
  topic: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Reason code of the finding that quarantined it (e.g. anomaly.payload_size, inspect.signature). */
  reason: string;
  /** Rule id that decided. */
  rule: string;
  ruleName?: string;
  /** What matched, safe to display. */
  matched?: string;
  severity: number;
  size: number;
  /** The payload, base64: released as it arrived. */
  payload: string;
  /** MQTT 5 user properties, kept for release. */
  userProperties?: Record<string, string | string[]>;
}

/** The part of a JetStream client the store needs (JetStreamClient from @nats-io/jetstream fits). */
export interface QuarantinePublisher {
  publish(
    subject: string,
    payload: Uint8Array,
    opts?: { msgID?: string; timeout?: number },
  ): Promise<{ seq: number; duplicate: boolean; stream: string }>;
}

const tokenSafe = (s: string): string =>
  /^[A-Za-z0-9_-]+$/.test(s) ? s : Buffer.from(s, 'utf8').toString('base64url');

export function quarantineSubject(node: string, clientId: string): string {
  return `${SUBJECTS.quarantine}.${tokenSafe(node)}.${Buffer.from(clientId, 'utf8').toString('base64url') || '_'}`;
}

export function quarantineRecord(
  node: string,
  s: SessionFacts,
  msg: PublishFacts,
  f: Finding,
  now: number,
): QuarantineRecordV1 {
  const payload = Buffer.from(msg.payload.buffer, msg.payload.byteOffset, msg.payload.length);
  return {
    v: 1,
    id: ulid(now),
    ts: now,
    node,
    sessionId: s.sessionId,
    clientId: s.clientId,
    ...(s.username !== undefined ? { username: s.username } : {}),
    ip: s.ip,
    protocolVersion: s.protocolVersion,
    topic: msg.topic,
    qos: msg.qos,
    retain: msg.retain,
    reason: f.reason,
    rule: f.rule.id,
    ...(f.rule.name !== undefined ? { ruleName: f.rule.name } : {}),
    ...(f.rule.matched !== undefined ? { matched: f.rule.matched } : {}),
    severity: f.severity,
    size: msg.payload.length,
    payload: payload.toString('base64'),
    ...(msg.userProperties !== undefined ? { userProperties: msg.userProperties } : {}),
  };
}

export interface QuarantineStoreOptions {
  js: QuarantinePublisher;
  node: string;
  /** Time to wait for the JetStream ack, ms. */
  timeoutMs?: number;
  metrics?: InspectionMetrics;
}

export interface StoredQuarantine {
  id: string;
  subject: string;
  seq: number;
  duplicate: boolean;
}

export class QuarantineStore {
  constructor(private readonly opts: QuarantineStoreOptions) {}

  /** Keep a quarantined message. Throws QuarantineError when JetStream does not acknowledge it. */
  async store(s: SessionFacts, msg: PublishFacts, f: Finding, now = Date.now()): Promise<StoredQuarantine> {
    return this.storeRecord(quarantineRecord(this.opts.node, s, msg, f, now));
  }

  async storeRecord(rec: QuarantineRecordV1): Promise<StoredQuarantine> {
    const subject = quarantineSubject(rec.node, rec.clientId);
    try {
      const ack = await this.opts.js.publish(subject, Buffer.from(JSON.stringify(rec), 'utf8'), {
        msgID: rec.id,
        timeout: this.opts.timeoutMs ?? 5000,
      });
      this.opts.metrics?.quarantined.inc({ result: 'stored' });
      return { id: rec.id, subject, seq: ack.seq, duplicate: ack.duplicate };
    } catch (err) {
      this.opts.metrics?.quarantined.inc({ result: 'failed' });
      throw new QuarantineError(
        InspectionErrorCode.Quarantine,
        `could not store quarantined message ${rec.id} from ${rec.clientId}: ${(err as Error).message}`,
        {
          cause: err,
          context: { id: rec.id, subject, reason: rec.reason },
        },
      );
    }
  }
}
