// @sentinel/analytics — the ClickHouse store, detections, incidents and ban decisions. The one public door.

// config and errors
export { analyticsConfigSchema, banPolicySchema } from './config.ts';
export type { AnalyticsConfig, BanPolicy } from './config.ts';
export { AnalyticsError, AnalyticsErrorCode, StoreError, RuleFileError, AllowlistedError } from './errors.ts';

// store and schema
export { ChdbStore } from './store/chdb.ts';
export { ClickHouseStore } from './store/clickhouse.ts';
export type { ClickHouseStoreOptions } from './store/clickhouse.ts';
export { openStore, clickhouseUrl } from './store/open.ts';
export type { Store, Params } from './store/store.ts';
export { TABLES } from './store/tables.ts';
export type { TableName } from './store/tables.ts';
export { MIGRATIONS, migrate, applyRetention } from './schema/migrations.ts';
export type { Migration, MigrateResult } from './schema/migrations.ts';

// ingestion, rules, incidents
export { EventWriter } from './ingest/writer.ts';
export { EVENT_COLUMNS, eventRow, eventTsv, eventTsvHead, ingestedEvent, tsvEscape } from './ingest/rows.ts';
export type { EventRow, IngestedEvent } from './ingest/rows.ts';
export { ingestValidator } from './ingest/validate.ts';
export { DetectionEngine, escalatedSeverity } from './rules/engine.ts';
export type { IncidentState, EngineOutput } from './rules/engine.ts';
export { loadRules, parseRules, DEFAULT_RULES_FILE } from './rules/load.ts';
export { RULE_TYPES, RULE_FIELDS, GROUP_SCOPES } from './rules/types.ts';
export type { DetectionRule, RuleType, RuleField, GroupScope } from './rules/types.ts';
export { incidentRecord } from './incidents/records.ts';

// decisions
export { DecisionEngine } from './decisions/engine.ts';
export type { BanRequest, UnbanRequest, DecisionEngineOptions } from './decisions/engine.ts';
export { openDecisions, manualBan, manualUnban } from './decisions/manual.ts';
export type { ManualBan, ManualUnban, OpenDecisionsOptions } from './decisions/manual.ts';
export { Allowlist } from './decisions/allowlist.ts';
export { banDurationS } from './decisions/escalation.ts';

// queries
export {
  threatScores,
  strikeCounts,
  minuteCounts,
  countEvents,
  listIncidents,
  incidentHistory,
} from './queries/queries.ts';
export type {
  ThreatScore,
  ScoreOptions,
  StrikeCount,
  MinuteCount,
  IncidentSummary,
  IncidentFilter,
} from './queries/queries.ts';

// the process
export { startAnalytics } from './service.ts';
export type { AnalyticsOptions, AnalyticsService } from './service.ts';
export { rebuild, resetStore } from './rebuild.ts';
export type { RebuildOptions, RebuildResult } from './rebuild.ts';
export { analyticsMetrics } from './metrics.ts';
export type { AnalyticsMetrics } from './metrics.ts';
export { stableUlid } from './util/ids.ts';
