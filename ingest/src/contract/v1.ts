// Version 1 of Sentinel's records. Every fact in the system is one of these, carried on NATS JetStream
// as JSON. The version is in the record (`v`) and in the ClickHouse table name (`events_v1`); a breaking
// change makes a v2 beside this file, never an edit of it.

export const SCHEMA_VERSION = 1 as const;

/** What part of the enforcement pipeline decided. */
export const EVENT_KINDS = [
  'connect',
  'auth',
  'rate_limit',
  'protocol',
  'acl',
  'inspection',
  'anomaly',
  'threat',
  'penalty',
  'subscribe',
  'publish',
  'publish_summary',
  'quarantine',
  'disconnect',
  'tls',
  'intake',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** What the node did. */
export const DECISIONS = ['allow', 'deny', 'drop', 'flag', 'quarantine', 'disconnect'] as const;
export type Decision = (typeof DECISIONS)[number];

export const PROTOCOL_VERSIONS = [3, 4, 5] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];

export const PACKET_TYPES = [
  'connect',
  'connack',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'pingreq',
  'pingresp',
  'disconnect',
  'auth',
] as const;
export type PacketType = (typeof PACKET_TYPES)[number];

/** Who the decision is about. Every field is optional: a malformed first packet has only an address. */
export interface EventSubject {
  clientId?: string;
  username?: string;
  ip?: string;
  port?: number;
  certFingerprint?: string;
  certSubject?: string;
  protocolVersion?: ProtocolVersion;
  /** The enforcement node's id for this connection, unique per node. */
  sessionId?: string;
  /** Listener the connection came in on: tcp, tls, ws, wss. */
  transport?: string;
}

export interface EventMqtt {
  packetType?: PacketType;
  topic?: string;
  qos?: 0 | 1 | 2;
  retain?: boolean;
  dup?: boolean;
  packetId?: number;
  payloadSize?: number;
  /** For publish_summary: messages and bytes in the interval. */
  messages?: number;
  bytes?: number;
  intervalMs?: number;
}

export type RuleValue = string | number | boolean;

/** The rule that decided, and the values that tripped it. */
export interface EventRule {
  /** Stable id: a tier (`tier.per_ip`), a signature (`sig.sqli.or_true`), an ACL rule, a spec clause. */
  id: string;
  name?: string;
  /** MITRE ATT&CK technique id, e.g. T1110 or T0855. */
  technique?: string;
  /** Measured values and limits, e.g. { rate: 100, burst: 1000, observed: 1412 }. */
  values?: Record<string, RuleValue>;
  /** What matched, truncated and made safe to display (no control characters). */
  matched?: string;
}

/** The decision event: one per decision an enforcement node takes. */
export interface DecisionEventV1 {
  v: 1;
  /** Time-ordered unique id (ULID, 26 characters, Crockford base32). Also the JetStream Nats-Msg-Id. */
  id: string;
  /** Milliseconds since the Unix epoch, UTC. */
  ts: number;
  /** The emitting node's name. */
  node: string;
  kind: EventKind;
  decision: Decision;
  /** Stable reason code, `family.name`, see REASONS. */
  reason: string;
  /** 0 (informational) to 10 (critical). */
  severity: number;
  subject: EventSubject;
  mqtt?: EventMqtt;
  rule?: EventRule;
  /** Human-readable, one line, no secrets. */
  message?: string;
}

// ---------------------------------------------------------------------------------------------------
// Records written by later stages. They share the id/ts/v envelope.

export const INCIDENT_STATUSES = ['new', 'acknowledged', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const IDENTITY_SCOPES = ['ip', 'ip_range', 'client_id', 'username', 'cert_fingerprint'] as const;
export type IdentityScope = (typeof IDENTITY_SCOPES)[number];

export interface IdentityRef {
  scope: IdentityScope;
  value: string;
}

/** An incident as analytics raises and updates it. Each update is a new record with the same incidentId. */
export interface IncidentV1 {
  v: 1;
  /** Record id (ULID); unique per update. */
  id: string;
  ts: number;
  incidentId: string;
  rule: string;
  title: string;
  severity: number;
  status: IncidentStatus;
  technique: string;
  tactic: string;
  identity: IdentityRef;
  firstSeen: number;
  lastSeen: number;
  eventCount: number;
  /** A bounded sample of the event ids that make up the incident. */
  eventIds: string[];
  remediation?: string;
  assignee?: string;
}

export const BAN_ACTIONS = ['ban', 'unban'] as const;
export type BanAction = (typeof BAN_ACTIONS)[number];

export const DECISION_ORIGINS = ['analytics', 'manual', 'config'] as const;
export type DecisionOrigin = (typeof DECISION_ORIGINS)[number];

/** A ban or unban, shaped like a CrowdSec decision. */
export interface BanDecisionV1 {
  v: 1;
  id: string;
  ts: number;
  action: BanAction;
  scope: IdentityScope;
  value: string;
  /** Ban length in seconds (0 for unban). */
  durationS: number;
  /** Expiry, ms since epoch (0 for unban). */
  until: number;
  origin: DecisionOrigin;
  /** Scenario or rule that caused it, e.g. `auth.brute_force`. */
  reason: string;
  /** How many bans this identity has had, this one included (escalation step). */
  offense?: number;
  incidentId?: string;
  /** Token name of the analyst for manual decisions. */
  actor?: string;
}

export const ACTION_TYPES = [
  'incident.acknowledge',
  'incident.assign',
  'incident.resolve',
  'incident.comment',
  'incident.reopen',
  'ban.create',
  'ban.lift',
  'token.create',
  'token.revoke',
  'quarantine.release',
  'quarantine.discard',
  'report.export',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** An analyst's action: the audit trail is part of the log. */
export interface AnalystActionV1 {
  v: 1;
  id: string;
  ts: number;
  action: ActionType;
  /** Token name (never the token itself). */
  actor: string;
  role: string;
  target: string;
  details?: Record<string, RuleValue>;
}
