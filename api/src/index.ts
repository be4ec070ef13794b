// @sentinel/api — REST API, OpenAPI document, RBAC tokens, live stream, metrics, compliance reports.

// config and errors
export { apiConfigSchema } from './config.ts';
export type { ApiConfig } from './config.ts';
export {
  ApiError,
  ApiErrorCode,
  ValidationError,
  UnauthenticatedError,
  ForbiddenError,
  NotFoundError,
  ConflictError,
  RateLimitedError,
  UnavailableError,
  ReportError,
} from './errors.ts';
export type { FieldIssue } from './errors.ts';

// the server
export { startApi } from './server.ts';
export type { ApiOptions, ApiServer } from './server.ts';
export { createApp, bearer } from './http/app.ts';
export type { AppHooks } from './http/app.ts';
export type { ApiDeps } from './deps.ts';
export { ROUTES } from './routes/table.ts';
export { openApiDocument } from './http/openapi.ts';
export { openApiPath } from './http/route.ts';
export type { RouteDef, Method } from './http/route.ts';
export { RateLimiter } from './http/ratelimit.ts';
export { apiMetrics } from './metrics.ts';
export type { ApiMetrics } from './metrics.ts';

// access
export { ROLES, READERS, TRIAGE, RESPONDERS, AUDITORS, ADMINS } from './auth/roles.ts';
export type { Role } from './auth/roles.ts';
export { TokenStore, TOKEN_PREFIX, newToken, hashToken, looksLikeToken } from './auth/tokens.ts';
export type { TokenRecord } from './auth/tokens.ts';
export { ActionRecorder } from './actions.ts';

// live stream, quarantine
export { LiveStream, BoundedQueue, STREAM_PATH, filterSchema, matches } from './stream/live.ts';
export type { StreamFilter } from './stream/live.ts';
export { Quarantine, quarantineRecordSchema } from './quarantine.ts';
export type { QuarantineRecord, QuarantinedMessage } from './quarantine.ts';
export { encodeCursor, decodeCursor } from './store/cursor.ts';
export { queryIncidents, getIncident, incidentTimeline, INCIDENT_SORTS } from './store/incidents.ts';
export type { Incident, IncidentQuery, IncidentSort, TimelineEntry } from './store/incidents.ts';
export { searchEvents } from './store/events.ts';
export type { EventQuery, StoredEvent } from './store/events.ts';

// compliance reports
export { STANDARDS, STANDARD_IDS, buildReport } from './reports/build.ts';
export type { StandardId, BuildOptions } from './reports/build.ts';
export {
  toJson,
  toCsv,
  toPdf,
  csvField,
  csvRecord,
  contentDigest,
  REPORT_FORMATS,
  CONTENT_TYPES,
} from './reports/export.ts';
export type { ReportFormat, Integrity } from './reports/export.ts';
export { verifyReport } from './reports/verify.ts';
export type { VerifyResult } from './reports/verify.ts';
export { ReportSigner, verifySignature } from './reports/sign.ts';
export { canonicalJson, sha256Hex } from './reports/canonical.ts';
export { evaluate } from './reports/evaluate.ts';
export { factsFromConfig } from './reports/facts.ts';
export { REQUIREMENT_STATUSES, STATUS_LABEL } from './reports/types.ts';
export type {
  ConfigFacts,
  Evidence,
  Report,
  RequirementResult,
  RequirementSpec,
  RequirementStatus,
  Standard,
} from './reports/types.ts';

// Wire types of the published schemas, for the console: import them with `import type` only, so that a
// renamed or retyped field breaks the console's typecheck while no api code reaches the browser. Every
// schema here has no transform or coercion, so its zod output is exactly the JSON on the wire.
import type { z } from 'zod';
import type { actionSchema, banDecisionSchema, errorSchema } from './routes/schemas.ts';
import type { incidentSchema } from './routes/incidents.ts';
import type { eventSchema } from './routes/events.ts';
import type { filterSchema as streamFilterSchema } from './stream/live.ts';
export type WireIncident = z.output<typeof incidentSchema>;
export type WireEvent = z.output<typeof eventSchema>;
export type WireAnalystAction = z.output<typeof actionSchema>;
export type WireBanDecision = z.output<typeof banDecisionSchema>;
export type WireError = z.output<typeof errorSchema>;
/** What a stream client sends in {type:"subscribe"}: the input side (fields with defaults may be left out). */
export type WireStreamFilter = z.input<typeof streamFilterSchema>;
