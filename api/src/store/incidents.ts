// Incident reads the api needs beyond analytics' listIncidents: time ranges, tactic, sort, cursor pages,
// the assignee, and the timeline of one incident. Every value is a bound {name:Type} parameter; the sort
// column comes from a fixed map, never from the request.
import type { IdentityScope, IncidentStatus } from '@sentinel/ingest';
import type { Params, Store } from '@sentinel/analytics';
import { decodeCursor, encodeCursor } from './cursor.ts';

export const INCIDENT_SORTS = ['lastSeen', 'firstSeen', 'severity', 'eventCount'] as const;
export type IncidentSort = (typeof INCIDENT_SORTS)[number];

const SORT_SQL: Record<IncidentSort, string> = {
  lastSeen: 'lastSeen',
  firstSeen: 'firstSeen',
  severity: 'severity',
  eventCount: 'eventCount',
};

export interface IncidentQuery {
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
  sort: IncidentSort;
  order: 'asc' | 'desc';
  limit: number;
  cursor?: string;
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

/** One row per incident: its fullest update, its latest status and latest assignee. */
const CURRENT = `
  SELECT i.incident_id AS incidentId, i.c_rule AS rule, i.c_title AS title, toUInt8(i.c_severity) AS severity,
    if(s.c_status = '', 'new', s.c_status) AS status, s.c_assignee AS assignee,
    i.c_technique AS technique, i.c_tactic AS tactic, i.c_scope AS scope, i.c_identity AS identity,
    toUnixTimestamp64Milli(i.c_first) AS firstSeen, toUnixTimestamp64Milli(i.c_last) AS lastSeen,
    toUInt32(i.c_count) AS eventCount, i.c_ids AS eventIds, i.c_remediation AS remediation
  FROM (
    SELECT incident_id,
      argMax(rule, (event_count, last_seen)) AS c_rule, argMax(title, (event_count, last_seen)) AS c_title,
      argMax(severity, (event_count, last_seen)) AS c_severity,
      argMax(technique, (event_count, last_seen)) AS c_technique,
      argMax(tactic, (event_count, last_seen)) AS c_tactic,
      argMax(scope, (event_count, last_seen)) AS c_scope, argMax(identity, (event_count, last_seen)) AS c_identity,
      min(first_seen) AS c_first, max(last_seen) AS c_last, max(event_count) AS c_count,
      argMax(event_ids, (event_count, last_seen)) AS c_ids,
      argMax(remediation, (event_count, last_seen)) AS c_remediation
    FROM incidents_v1
    GROUP BY incident_id
  ) AS i
  LEFT JOIN (
    SELECT incident_id, argMax(status, (ts, action_id)) AS c_status,
      argMaxIf(assignee, (ts, action_id), assignee != '') AS c_assignee
    FROM incident_status_v1 GROUP BY incident_id
  ) AS s ON s.incident_id = i.incident_id`;

function rowToIncident(r: Record<string, unknown>): Incident {
  return {
    incidentId: String(r.incidentId),
    rule: String(r.rule),
    title: String(r.title),
    severity: Number(r.severity),
    status: String(r.status) as IncidentStatus,
    assignee: String(r.assignee ?? ''),
    technique: String(r.technique),
    tactic: String(r.tactic),
    scope: String(r.scope) as IdentityScope,
    identity: String(r.identity),
    firstSeen: Number(r.firstSeen),
    lastSeen: Number(r.lastSeen),
    eventCount: Number(r.eventCount),
    eventIds: (r.eventIds as string[] | undefined) ?? [],
    remediation: String(r.remediation),
  };
}

export async function queryIncidents(
  store: Store,
  q: IncidentQuery,
): Promise<{ items: Incident[]; nextCursor: string | null }> {
  const col = SORT_SQL[q.sort];
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  const cmp = q.order === 'asc' ? '>' : '<';
  const cursor = q.cursor ? decodeCursor(q.cursor, q.sort, q.order) : undefined;
  const params: Params = {
    from: q.from ?? 0,
    to: q.to ?? 0,
    min_sev: q.minSeverity ?? 0,
    max_sev: q.maxSeverity ?? 10,
    status: q.status ?? '',
    technique: q.technique ?? '',
    tactic: q.tactic ?? '',
    scope: q.scope ?? '',
    identity: q.identity ?? '',
    rule: q.rule ?? '',
    has_cursor: cursor ? 1 : 0,
    ck: cursor?.k ?? 0,
    cid: cursor?.id ?? '',
    limit: q.limit + 1,
  };
  const rows = await store.query<Record<string, unknown>>(
    `SELECT * FROM (${CURRENT}) AS cur
     WHERE lastSeen >= {from:Int64}
       AND ({to:Int64} = 0 OR firstSeen <= {to:Int64})
       AND severity BETWEEN {min_sev:UInt8} AND {max_sev:UInt8}
       AND ({status:String} = '' OR status = {status:String})
       AND ({technique:String} = '' OR technique = {technique:String} OR startsWith(technique, concat({technique:String}, '.')))
       AND ({tactic:String} = '' OR tactic = {tactic:String})
       AND ({scope:String} = '' OR scope = {scope:String})
       AND ({identity:String} = '' OR identity = {identity:String})
       AND ({rule:String} = '' OR rule = {rule:String})
       AND ({has_cursor:UInt8} = 0 OR (toInt64(${col}), incidentId) ${cmp} ({ck:Int64}, {cid:String}))
     ORDER BY ${col} ${dir}, incidentId ${dir}
     LIMIT {limit:UInt32}`,
    params,
  );
  const items = rows.slice(0, q.limit).map(rowToIncident);
  const last = items[items.length - 1];
  const nextCursor =
    rows.length > q.limit && last
      ? encodeCursor({ s: q.sort, o: q.order, k: Number(last[q.sort]), id: last.incidentId })
      : null;
  return { items, nextCursor };
}

export async function getIncident(store: Store, incidentId: string): Promise<Incident | undefined> {
  const rows = await store.query<Record<string, unknown>>(
    `SELECT * FROM (${CURRENT}) AS cur WHERE incidentId = {id:String}`,
    { id: incidentId },
  );
  return rows[0] ? rowToIncident(rows[0]) : undefined;
}

export interface TimelineEntry {
  ts: number;
  type: 'event' | 'update' | 'action';
  /** event id, incident update id, or action id */
  id: string;
  summary: string;
  actor?: string;
  status?: string;
  severity?: number;
  reason?: string;
}

/** The incident's events (its stored sample), its updates and every analyst action, oldest first. */
export async function incidentTimeline(
  store: Store,
  incidentId: string,
  eventIds: readonly string[],
): Promise<TimelineEntry[]> {
  const rows = await store.query<Record<string, unknown>>(
    `SELECT * FROM (
       SELECT toUnixTimestamp64Milli(ts) AS ts, 'event' AS type, id, concat(reason, ' ', decision, if(message = '', '', concat(': ', message))) AS summary,
         '' AS actor, '' AS status, severity, reason
       FROM events_v1 FINAL WHERE id IN {ids:Array(String)}
       UNION ALL
       SELECT toUnixTimestamp64Milli(ts) AS ts, 'update' AS type, id, concat(toString(event_count), ' events') AS summary,
         '' AS actor, '' AS status, severity, rule AS reason
       FROM incidents_v1 FINAL WHERE incident_id = {iid:String}
       UNION ALL
       SELECT toUnixTimestamp64Milli(ts) AS ts, 'action' AS type, action_id AS id,
         concat(toString(status), if(assignee = '', '', concat(' assignee=', assignee)), if(comment = '', '', concat(' note: ', comment))) AS summary,
         actor, toString(status) AS status, toUInt8(0) AS severity, '' AS reason
       FROM incident_status_v1 FINAL WHERE incident_id = {iid:String}
     ) ORDER BY ts, type, id`,
    { ids: [...eventIds], iid: incidentId },
  );
  return rows.map((r) => ({
    ts: Number(r.ts),
    type: String(r.type) as TimelineEntry['type'],
    id: String(r.id),
    summary: String(r.summary),
    ...(r.actor ? { actor: String(r.actor) } : {}),
    ...(r.status ? { status: String(r.status) } : {}),
    severity: Number(r.severity),
    ...(r.reason ? { reason: String(r.reason) } : {}),
  }));
}
