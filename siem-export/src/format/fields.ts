// The one mapping from Sentinel's records to SIEM concepts. Every formatter reads this view, so CEF,
// LEEF, syslog and OCSF agree on what the source, the user, the category and the MITRE technique are.
import { reasonInfo, technique } from '@sentinel/ingest';
import type { DecisionEventV1, IncidentV1 } from '@sentinel/ingest';
import type { ExportRecord } from './types.ts';

export interface CommonFields {
  type: ExportRecord['type'];
  /** Record id (ULID). */
  id: string;
  ts: number;
  /** Stable class: the reason code of an event, the detection rule of an incident. */
  classId: string;
  /** Human-readable name of the class. */
  name: string;
  severity: number;
  /** The emitting enforcement node (events only). */
  node?: string;
  srcIp?: string;
  srcPort?: number;
  user?: string;
  clientId?: string;
  topic?: string;
  /** What was done: the decision of an event, the status of an incident. */
  action: string;
  outcome?: 'success' | 'failure';
  /** Event kind, or 'incident'. */
  category: string;
  message: string;
  technique?: string;
  techniqueName?: string;
  tactic?: string;
  incidentId?: string;
  ruleId?: string;
  /** A numeric threat score when the rule measured one (rule.values.score / threatScore). */
  score?: number;
  count?: number;
  firstSeen?: number;
  lastSeen?: number;
}

/** Severity as an integer 0–10 whatever the record carries. */
export function severity010(n: number): number {
  if (!Number.isFinite(n)) return 0;
  return Math.min(10, Math.max(0, Math.round(n)));
}

function scoreOf(ev: DecisionEventV1): number | undefined {
  const v = ev.rule?.values;
  const s = v?.threatScore ?? v?.score;
  return typeof s === 'number' && Number.isFinite(s) ? s : undefined;
}

function withTechnique(f: CommonFields, id: string | undefined): CommonFields {
  if (!id) return f;
  f.technique = id;
  const t = technique(id);
  if (t) {
    f.techniqueName = t.name;
    f.tactic = t.tactic;
  }
  return f;
}

function eventFields(ev: DecisionEventV1): CommonFields {
  const info = reasonInfo(ev.reason);
  const f: CommonFields = {
    type: 'event',
    id: ev.id,
    ts: ev.ts,
    classId: ev.reason,
    name: info?.description ?? ev.reason,
    severity: severity010(ev.severity),
    node: ev.node,
    action: ev.decision,
    outcome: ev.decision === 'allow' ? 'success' : 'failure',
    category: ev.kind,
    message: ev.message ?? info?.description ?? ev.reason,
  };
  const s = ev.subject;
  if (s.ip !== undefined) f.srcIp = s.ip;
  if (s.port !== undefined) f.srcPort = s.port;
  if (s.username !== undefined) f.user = s.username;
  if (s.clientId !== undefined) f.clientId = s.clientId;
  if (ev.mqtt?.topic !== undefined) f.topic = ev.mqtt.topic;
  if (ev.rule?.id !== undefined) f.ruleId = ev.rule.id;
  const score = scoreOf(ev);
  if (score !== undefined) f.score = score;
  return withTechnique(f, ev.rule?.technique ?? info?.technique);
}

function incidentFields(inc: IncidentV1): CommonFields {
  const f: CommonFields = {
    type: 'incident',
    id: inc.id,
    ts: inc.ts,
    classId: inc.rule,
    name: inc.title,
    severity: severity010(inc.severity),
    action: inc.status,
    category: 'incident',
    message: inc.title,
    incidentId: inc.incidentId,
    ruleId: inc.rule,
    count: inc.eventCount,
    firstSeen: inc.firstSeen,
    lastSeen: inc.lastSeen,
  };
  const { scope, value } = inc.identity;
  if (scope === 'ip' || scope === 'ip_range') f.srcIp = value;
  else if (scope === 'username') f.user = value;
  else if (scope === 'client_id') f.clientId = value;
  withTechnique(f, inc.technique);
  // The incident names its tactic itself; it wins over the catalog's.
  if (inc.tactic) f.tactic = inc.tactic;
  return f;
}

export function commonFields(rec: ExportRecord): CommonFields {
  return rec.type === 'event' ? eventFields(rec.value) : incidentFields(rec.value);
}

/** Syslog severity (RFC 5424 table 2) for a Sentinel severity 0–10: higher Sentinel, lower syslog. */
export function syslogSeverity(sev: number): number {
  const s = severity010(sev);
  if (s >= 10) return 1; // alert
  if (s >= 8) return 2; // critical
  if (s >= 6) return 3; // error
  if (s >= 4) return 4; // warning
  if (s >= 2) return 5; // notice
  return 6; // informational
}

/** The record's own host: its node, or the configured host name. */
export function hostOf(f: CommonFields, fallback: string): string {
  return f.node ?? fallback;
}
