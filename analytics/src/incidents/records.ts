// IncidentV1 records and incidents_v1 rows from the engine's incident state. An update's id derives from
// the incident id and its event count, so the same update replayed is the same record.
import type { IncidentStatus, IncidentV1 } from '@sentinel/ingest';
import type { IncidentState } from '../rules/engine.ts';
import { stableUlid } from '../util/ids.ts';

/** Published records carry a short sample of event ids; the table keeps the engine's full sample. */
const PUBLISHED_SAMPLE = 20;

export function incidentRecord(inc: IncidentState, status: IncidentStatus): IncidentV1 {
  return {
    v: 1,
    id: stableUlid(inc.lastSeen, `${inc.incidentId}|${inc.count}`),
    ts: inc.lastSeen,
    incidentId: inc.incidentId,
    rule: inc.rule.id,
    title: inc.rule.title,
    severity: inc.severity,
    status,
    technique: inc.rule.technique,
    tactic: inc.rule.tactic,
    identity: { scope: inc.scope, value: inc.value },
    firstSeen: inc.firstSeen,
    lastSeen: inc.lastSeen,
    eventCount: inc.count,
    eventIds: inc.eventIds.slice(0, PUBLISHED_SAMPLE),
    remediation: inc.rule.remediation,
  };
}

export interface IncidentRow {
  id: string;
  ts: number;
  incident_id: string;
  rule: string;
  title: string;
  severity: number;
  technique: string;
  tactic: string;
  scope: string;
  identity: string;
  first_seen: number;
  last_seen: number;
  event_count: number;
  event_ids: string[];
  remediation: string;
}

export function incidentRow(inc: IncidentState): IncidentRow {
  return {
    id: stableUlid(inc.lastSeen, `${inc.incidentId}|${inc.count}`),
    ts: inc.lastSeen,
    incident_id: inc.incidentId,
    rule: inc.rule.id,
    title: inc.rule.title,
    severity: inc.severity,
    technique: inc.rule.technique,
    tactic: inc.rule.tactic,
    scope: inc.scope,
    identity: inc.value,
    first_seen: inc.firstSeen,
    last_seen: inc.lastSeen,
    event_count: inc.count,
    event_ids: inc.eventIds,
    remediation: inc.rule.remediation,
  };
}

/** What an analyst action does to an incident's status; undefined = not a status change. */
export function statusOf(action: string): IncidentStatus | undefined {
  switch (action) {
    case 'incident.acknowledge':
      return 'acknowledged';
    case 'incident.resolve':
      return 'resolved';
    case 'incident.reopen':
      return 'new';
    default:
      return undefined;
  }
}
