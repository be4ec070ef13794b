// DecisionEventV1 -> a row of events_v1. Absent fields become empty strings / zeros, so that the identity
// columns can be filtered without Nullable.
import type { DecisionEventV1 } from '@sentinel/ingest';

export interface EventRow {
  id: string;
  ts: number;
  node: string;
  kind: string;
  decision: string;
  reason: string;
  severity: number;
  client_id: string;
  username: string;
  ip: string;
  cert_fingerprint: string;
  session_id: string;
  transport: string;
  packet_type: string;
  topic: string;
  payload_size: number;
  rule_id: string;
  technique: string;
  rule_values: string;
  matched: string;
  message: string;
  stream_seq: number;
}

export function eventRow(e: DecisionEventV1, seq: number): EventRow {
  const s = e.subject;
  return {
    id: e.id,
    ts: e.ts,
    node: e.node,
    kind: e.kind,
    decision: e.decision,
    reason: e.reason,
    severity: e.severity,
    client_id: s.clientId ?? '',
    username: s.username ?? '',
    ip: s.ip ?? '',
    cert_fingerprint: s.certFingerprint ?? '',
    session_id: s.sessionId ?? '',
    transport: s.transport ?? '',
    packet_type: e.mqtt?.packetType ?? '',
    topic: e.mqtt?.topic ?? '',
    payload_size: e.mqtt?.payloadSize ?? 0,
    rule_id: e.rule?.id ?? '',
    technique: e.rule?.technique ?? '',
    rule_values: e.rule?.values ? JSON.stringify(e.rule.values) : '',
    matched: e.rule?.matched ?? '',
    message: e.message ?? '',
    stream_seq: seq,
  };
}

/** The inverse, for rebuilding rule state from the store: the fields the rules look at. */
export function rowEvent(r: EventRow): DecisionEventV1 {
  const subject: DecisionEventV1['subject'] = {};
  if (r.client_id) subject.clientId = r.client_id;
  if (r.username) subject.username = r.username;
  if (r.ip) subject.ip = r.ip;
  if (r.cert_fingerprint) subject.certFingerprint = r.cert_fingerprint;
  const ev: DecisionEventV1 = {
    v: 1,
    id: r.id,
    ts: Number(r.ts),
    node: r.node,
    kind: r.kind as DecisionEventV1['kind'],
    decision: r.decision as DecisionEventV1['decision'],
    reason: r.reason,
    severity: Number(r.severity),
    subject,
  };
  if (r.topic) ev.mqtt = { topic: r.topic };
  return ev;
}
