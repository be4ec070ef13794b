// The api's resources as the console sees them. Where the api publishes a schema or a type, the console's
// type IS that type, imported with `import type` (erased at build time: no api, ingest or zod code enters
// the browser bundle), so a renamed or retyped field fails `tsc` in the pages that read it. The rest
// (answers whose schemas the api declares inline in its route table, request bodies and queries) is
// written here, and test/unit/contract.test.ts checks every field of it against the OpenAPI document the
// api builds from its zod schemas. Every wire type below is the JSON as it travels: the api's times are
// numbers (ms since the Unix epoch), never Date objects, so no type here differs from its JSON form.
import type {
  Integrity,
  Report,
  QuarantineRecord as ApiQuarantineRecord,
  QuarantinedMessage as ApiQuarantinedMessage,
  IncidentSort as ApiIncidentSort,
  ReportFormat as ApiReportFormat,
  RequirementResult as ApiRequirementResult,
  RequirementStatus as ApiRequirementStatus,
  Role as ApiRole,
  TimelineEntry as ApiTimelineEntry,
  WireAnalystAction,
  WireBanDecision,
  WireError,
  WireEvent,
  WireIncident,
  WireStreamFilter,
} from '@sentinel/api';
import type {
  Decision as ContractDecision,
  DecisionEventV1,
  EventKind as ContractEventKind,
  IdentityScope as ContractIdentityScope,
  IncidentStatus as ContractIncidentStatus,
  IncidentV1,
} from '@sentinel/ingest';

/**
 * The console lists these values in its menus, so it needs them at run time, without importing the api.
 * `allOf<T>()` takes every member of T exactly: a value the api dropped, or a value the api added and the
 * list lacks, fails `tsc` (the contract test also compares the lists, order included, with the api's).
 */
function allOf<T extends string>() {
  return <const A extends readonly T[]>(
    ...values: A & ([Exclude<T, A[number]>] extends [never] ? unknown : { missing: Exclude<T, A[number]> })
  ): A => values;
}

export type Role = ApiRole;
export const ROLES = allOf<Role>()('analyst', 'responder', 'auditor', 'admin');

export type IdentityScope = ContractIdentityScope;
export const IDENTITY_SCOPES = allOf<IdentityScope>()(
  'ip',
  'ip_range',
  'client_id',
  'username',
  'cert_fingerprint',
);

export type IncidentStatus = ContractIncidentStatus;
export const INCIDENT_STATUSES = allOf<IncidentStatus>()('new', 'acknowledged', 'resolved');

export type EventKind = ContractEventKind;
export const EVENT_KINDS = allOf<EventKind>()(
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
);
export type Decision = ContractDecision;
export const DECISIONS = allOf<Decision>()('allow', 'deny', 'drop', 'flag', 'quarantine', 'disconnect');

export type IncidentSort = ApiIncidentSort;
export const INCIDENT_SORTS = allOf<IncidentSort>()('lastSeen', 'firstSeen', 'severity', 'eventCount');

/** In the order the console offers the downloads (the api's list starts with json). */
export type ReportFormat = ApiReportFormat;
export const REPORT_FORMATS = allOf<ReportFormat>()('pdf', 'csv', 'json');

export type RequirementStatus = ApiRequirementStatus;
export const REQUIREMENT_STATUSES = allOf<RequirementStatus>()(
  'met',
  'partly_met',
  'not_met',
  'not_applicable',
);

// ---- answers typed by the api's own schemas and types ------------------------------------------------

/** An incident's current state (GET /incidents, /incidents/{id}, identity views). */
export type Incident = WireIncident;
/** A flat decision-event row as the event search returns it. */
export type SentinelEvent = WireEvent;
export type AnalystAction = WireAnalystAction;
/** A whole ban or unban decision, as createBan and liftBan answer. */
export type BanDecisionRecord = WireBanDecision;
/** A ban as the lists answer it (listBans, an identity's bans): the api's schema makes every field optional. */
export type BanDecision = Partial<WireBanDecision>;
export type TimelineEntry = ApiTimelineEntry;
/** Enforcement's record as stored (unknown fields pass through); `payload` is base64 of the original payload. */
export type QuarantineRecord = ApiQuarantineRecord;
export type QuarantinedMessage = ApiQuarantinedMessage;
export type RequirementResult = ApiRequirementResult;
/** The report inside exportReport's JSON answer. */
export type ComplianceReport = Report;
/** exportReport with format json: the report and the digests (and signature) over it. */
export interface ReportExport {
  integrity: Integrity;
  report: ComplianceReport;
}
export type ApiErrorBody = WireError;

/** Records as the live stream sends them: the event contract v1, not the store's flat rows. */
export type LiveDecisionEvent = DecisionEventV1;
export type LiveIncident = IncidentV1;
/** What the console sends in {type:"subscribe"}; the server fills in the defaults. */
export type StreamFilter = WireStreamFilter;

// ---- answers the api declares inline: checked field by field by the contract test -------------------

export interface Me {
  name: string;
  role: Role;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface IncidentDetail {
  incident: Incident;
  timeline: TimelineEntry[];
}

export interface IncidentUpdate {
  incidentId: string;
  status: IncidentStatus;
  assignee: string;
  actions: AnalystAction[];
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

export interface BanChange {
  decision: BanDecisionRecord;
  action: AnalystAction;
}

export interface QuarantinePage {
  items: QuarantinedMessage[];
  next: number | null;
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

// ---- requests: checked against the api's query, path and body schemas by the contract test ----------

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

export interface IncidentPatch {
  status?: IncidentStatus;
  assignee?: string;
  notes?: string;
}

export interface EventFilter {
  from?: number;
  to?: number;
  kind?: EventKind;
  decision?: Decision;
  reason?: string;
  identity?: string;
  scope?: IdentityScope;
  topic?: string;
  minSeverity?: number;
  limit?: number;
  cursor?: string;
}

export interface IdentityQuery {
  from?: number;
  to?: number;
  points?: number;
}

export interface BanQuery {
  state?: 'active' | 'past';
  scope?: IdentityScope;
  value?: string;
  limit?: number;
}

export interface BanRequest {
  scope: IdentityScope;
  value: string;
  durationS?: number;
  reason?: string;
}

export interface ReportRequest {
  standard: string;
  from: number;
  to: number;
  scope?: { scope: IdentityScope; value: string };
}
