// The only identifiers the store ever puts into SQL text: every table name is a constant from here.
import { AnalyticsError, AnalyticsErrorCode } from '../errors.ts';

export const TABLES = {
  migrations: 'schema_migrations',
  events: 'events_v1',
  identityMinute: 'identity_minute_v1',
  strikesMinute: 'strikes_minute_v1',
  incidents: 'incidents_v1',
  incidentCurrent: 'incident_current_v1',
  incidentStatus: 'incident_status_v1',
  decisions: 'decisions_v1',
} as const;
export type TableName = (typeof TABLES)[keyof typeof TABLES];

const ALLOWED = new Set<string>(Object.values(TABLES));

/** Guard for the few places a table name is chosen at run time (truncate on rebuild). */
export function assertTable(name: string): TableName {
  if (!ALLOWED.has(name)) {
    throw new AnalyticsError(
      AnalyticsErrorCode.Identifier,
      `table ${JSON.stringify(name)} is not allow-listed`,
    );
  }
  return name as TableName;
}
