// The api's resources as the console sees them, written by hand from the api's route table
// (GET /api/v1/openapi.json). Keep in step with it: a renamed field shows up as a typecheck error in the
// pages that read it.

export const ROLES = ['analyst', 'responder', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const IDENTITY_SCOPES = ['ip', 'ip_range', 'client_id', 'username', 'cert_fingerprint'] as const;
export type IdentityScope = (typeof IDENTITY_SCOPES)[number];

export const INCIDENT_STATUSES = ['new', 'acknowledged', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

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
export const DECISIONS = ['allow', 'deny', 'drop', 'flag', 'quarantine', 'disconnect'] as const;

export const INCIDENT_SORTS = ['lastSeen', 'firstSeen', 'severity', 'eventCount'] as const;
export type IncidentSort = (typeof INCIDENT_SORTS)[number];

export interface Me {
  name: string;
  role: Role;
}

export interface Incident {
  incidentId: string;
  rule: string;
  title: string;
  severity: number;
  status: IncidentStatus;
  assignee: string;
  technique: string;
  tactic: string;
  scope: IdentityScope;
  identity: string;
  firstSeen: number;
  lastSeen: number;
  eventCount: number;
  eventIds: string[];
  remediation: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface IncidentFilter {
  from?: number;
  to?: number;
  minSeverity?: number;
  maxSeverity?: number;
  status?: IncidentStatus;
  technique?: string;
  tactic?: string;
  scope?: IdentityScope;
  identity?: string;
  rule?: string;
  sort?: IncidentSort;
  order?: 'asc' | 'desc';
  limit?: number;
  cursor?: string;
}

export interface TimelineEntry {
  ts: number;
  type: 'event' | 'update' | 'action';
  id: string;
  summary: string;
  actor?: string;
  status?: string;
  severity?: number;
  reason?: string;
}

export interface IncidentDetail {
  incident: Incident;
  timeline: TimelineEntry[];
}

export interface IncidentPatch {
  status?: IncidentStatus;
  assignee?: string;
  notes?: string;
}

export interface AnalystAction {
  v: 1;
  id: string;
  ts: number;
  action: string;
  actor: string;
  role: string;
  target: string;
  details?: Record<string, string | number | boolean>;
}

export interface SentinelEvent {
  id: string;
  ts: number;
  node: string;
  kind: string;
  decision: string;
  reason: string;
  severity: number;
  clientId: string;
  username: string;
  ip: string;
  certFingerprint: string;
  transport: string;
  packetType: string;
  topic: string;
  ruleId: string;
  technique: string;
  matched: string;
  message: string;
}

export interface EventFilter {
  from?: number;
  to?: number;
  kind?: string;
  decision?: string;
  reason?: string;
  identity?: string;
  scope?: IdentityScope;
  topic?: string;
  minSeverity?: number;
  limit?: number;
  cursor?: string;
}

export interface BanDecision {
  v?: 1;
  id?: string;
  ts?: number;
  action?: 'ban' | 'unban';
  scope?: IdentityScope;
  value?: string;
  durationS?: number;
  until?: number;
  origin?: string;
  reason?: string;
  offense?: number;
  incidentId?: string;
  actor?: string;
}

export interface BanRequest {
  scope: IdentityScope;
  value: string;
  durationS?: number;
  reason?: string;
}

export interface IdentityScore {
  scope: IdentityScope;
  identity: string;
  score: number;
  weight: number;
}

export interface IdentityDetail {
  scope: IdentityScope;
  value: string;
  score: number;
  scoreOverTime: { ts: number; score: number }[];
  strikes: number;
  banned: boolean;
  bans: BanDecision[];
  recentEvents: SentinelEvent[];
  incidents: Incident[];
}

export interface QuarantineRecord {
  id: string;
  ts: number;
  node: string;
  clientId: string;
  username?: string;
  ip: string;
  topic: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  reason: string;
  rule: string;
  ruleName?: string;
  matched?: string;
  severity: number;
  size: number;
  /** As stored by enforcement (base64 of the original payload). */
  payload: string;
}

export interface QuarantinedMessage {
  seq: number;
  subject: string;
  record: QuarantineRecord;
}

export interface MitreTechnique {
  id: string;
  name: string;
  tactic: string;
  matrix: string;
  covered: boolean;
  rules: string[];
  incidents: number;
}

export interface MitreCoverage {
  from: number;
  to: number;
  techniques: MitreTechnique[];
}

export interface Overview {
  windowS: number;
  connections: number;
  connectionsRefused: number;
  events: number;
  eventsPerSecond: number;
  openIncidentsBySeverity: { severity: number; count: number }[];
  topAttackedTopics: { topic: string; events: number }[];
  topOffenders: { scope: string; identity: string; strikes: number }[];
}

export interface StandardInfo {
  id: string;
  name: string;
  version: string;
  requirements: { id: string; title: string }[];
}

export const REPORT_FORMATS = ['pdf', 'csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const REQUIREMENT_STATUSES = ['met', 'partly_met', 'not_met', 'not_applicable'] as const;
export type RequirementStatus = (typeof REQUIREMENT_STATUSES)[number];

export interface RequirementResult {
  id: string;
  title: string;
  status: RequirementStatus;
  rationale: string;
  evidenceEvents: number;
  sampleEventIds: string[];
}

export interface ComplianceReport {
  standard: { id: string; name: string; version: string };
  generatedAt: number;
  range: { from: number; to: number };
  summary: Record<RequirementStatus, number>;
  requirements: RequirementResult[];
  evidenceDigest: string;
}

export interface ReportRequest {
  standard: string;
  from: number;
  to: number;
  scope?: { scope: IdentityScope; value: string };
}

export interface ApiErrorBody {
  error: { code: string; message: string; fields?: { field: string; reason: string }[] };
}

/** Records as the live stream sends them (the event contract v1, not the store's flat rows). */
export interface LiveDecisionEvent {
  v: 1;
  id: string;
  ts: number;
  node: string;
  kind: string;
  decision: string;
  reason: string;
  severity: number;
  subject: {
    clientId?: string;
    username?: string;
    ip?: string;
    certFingerprint?: string;
    transport?: string;
  };
  mqtt?: { packetType?: string; topic?: string };
  rule?: { id: string; technique?: string; matched?: string };
  message?: string;
}

export interface LiveIncident {
  v: 1;
  id: string;
  ts: number;
  incidentId: string;
  rule: string;
  title: string;
  severity: number;
  status: IncidentStatus;
  technique: string;
  tactic: string;
  identity: { scope: IdentityScope; value: string };
  firstSeen: number;
  lastSeen: number;
  eventCount: number;
  eventIds: string[];
  remediation?: string;
  assignee?: string;
}

export interface StreamFilter {
  types?: ('event' | 'incident')[];
  kinds?: string[];
  minSeverity?: number;
  identity?: string;
}
