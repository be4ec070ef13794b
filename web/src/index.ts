// @sentinel/web — the analyst console. The package door exports the typed api client (usable by scripts
// and tests); the console itself is built by Vite from index.html into dist/.
export { ApiClient, ENDPOINTS, fillPath, queryString } from './api/client.ts';
export type { Download, OperationId, Query } from './api/client.ts';
export { ApiCallError, WebErrorCode, describeError } from './api/errors.ts';
export { LiveStreamClient, flattenEvent, flattenIncident, streamUrl } from './api/stream.ts';
export type { StreamHandlers, StreamState, LiveStreamOptions } from './api/stream.ts';
export {
  ROLES,
  IDENTITY_SCOPES,
  INCIDENT_STATUSES,
  EVENT_KINDS,
  DECISIONS,
  INCIDENT_SORTS,
  REPORT_FORMATS,
  REQUIREMENT_STATUSES,
} from './api/types.ts';
export type {
  Role,
  IdentityScope,
  IncidentStatus,
  IncidentSort,
  Me,
  Incident,
  Page,
  IncidentFilter,
  TimelineEntry,
  IncidentDetail,
  IncidentPatch,
  AnalystAction,
  SentinelEvent,
  EventFilter,
  BanDecision,
  BanRequest,
  IdentityScore,
  IdentityDetail,
  QuarantineRecord,
  QuarantinedMessage,
  MitreTechnique,
  MitreCoverage,
  Overview,
  StandardInfo,
  ReportFormat,
  RequirementStatus,
  RequirementResult,
  ComplianceReport,
  ReportRequest,
  ApiErrorBody,
  LiveDecisionEvent,
  LiveIncident,
  StreamFilter,
} from './api/types.ts';
