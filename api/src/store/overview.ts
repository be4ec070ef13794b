// The console's front-page numbers and the MITRE coverage counts. Bound parameters only.
import type { Store } from '@sentinel/analytics';

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

export async function overview(store: Store, now: number, windowS: number): Promise<Overview> {
  const p = { from: now - windowS * 1000, to: now };
  const range = `ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts <= fromUnixTimestamp64Milli({to:Int64})`;
  const [counts] = await store.query<Record<string, unknown>>(
    `SELECT uniqExact(id) AS events,
       uniqExactIf(id, reason = 'connect.accepted') AS connections,
       uniqExactIf(id, kind IN ('connect', 'auth', 'tls', 'penalty') AND decision != 'allow') AS refused
     FROM events_v1 WHERE ${range}`,
    p,
  );
  const open = await store.query<Record<string, unknown>>(
    `SELECT severity, count() AS count FROM (
       SELECT i.incident_id, i.sev AS severity, if(s.st = '', 'new', s.st) AS status FROM
         (SELECT incident_id, argMax(severity, (event_count, last_seen)) AS sev FROM incidents_v1 GROUP BY incident_id) AS i
         LEFT JOIN (SELECT incident_id, argMax(status, (ts, action_id)) AS st FROM incident_status_v1 GROUP BY incident_id) AS s
         ON s.incident_id = i.incident_id
     ) WHERE status != 'resolved' GROUP BY severity ORDER BY severity DESC`,
  );
  const topics = await store.query<Record<string, unknown>>(
    `SELECT topic, uniqExact(id) AS events FROM events_v1
     WHERE ${range} AND topic != '' AND decision != 'allow'
     GROUP BY topic ORDER BY events DESC, topic LIMIT 10`,
    p,
  );
  const offenders = await store.query<Record<string, unknown>>(
    `SELECT scope, identity, uniqExactMerge(strikes) AS strikes FROM strikes_minute_v1
     WHERE minute >= toStartOfMinute(fromUnixTimestamp64Milli({from:Int64}))
     GROUP BY scope, identity ORDER BY strikes DESC, scope, identity LIMIT 10`,
    p,
  );
  const events = Number(counts?.events ?? 0);
  return {
    windowS,
    connections: Number(counts?.connections ?? 0),
    connectionsRefused: Number(counts?.refused ?? 0),
    events,
    eventsPerSecond: Math.round((events / windowS) * 100) / 100,
    openIncidentsBySeverity: open.map((r) => ({ severity: Number(r.severity), count: Number(r.count) })),
    topAttackedTopics: topics.map((r) => ({ topic: String(r.topic), events: Number(r.events) })),
    topOffenders: offenders.map((r) => ({
      scope: String(r.scope),
      identity: String(r.identity),
      strikes: Number(r.strikes),
    })),
  };
}

/** Incidents per technique that were active in the range. */
export async function incidentsPerTechnique(
  store: Store,
  from: number,
  to: number,
): Promise<Map<string, number>> {
  const rows = await store.query<{ technique: string; n: string | number }>(
    `SELECT technique, uniqExact(incident_id) AS n FROM incidents_v1
     WHERE last_seen >= fromUnixTimestamp64Milli({from:Int64}) AND first_seen <= fromUnixTimestamp64Milli({to:Int64})
     GROUP BY technique`,
    { from, to },
  );
  return new Map(rows.map((r) => [r.technique, Number(r.n)]));
}
