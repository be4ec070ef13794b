// The evidence a report summarizes, read from the store for the range (and scope): distinct events per
// reason, top rules, incidents per rule, ban decisions, analyst actions and sample event ids per family.
import type { Store } from '@sentinel/analytics';
import type { Evidence } from './types.ts';

export interface EvidenceQuery {
  from: number;
  to: number;
  scope?: { scope: string; value: string };
  sampleSize: number;
}

const RANGE = 'ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts <= fromUnixTimestamp64Milli({to:Int64})';
const SCOPE = `({scope:String} = '' OR
  ({scope:String} = 'ip' AND ip = {value:String}) OR
  ({scope:String} = 'client_id' AND client_id = {value:String}) OR
  ({scope:String} = 'username' AND username = {value:String}) OR
  ({scope:String} = 'cert_fingerprint' AND cert_fingerprint = {value:String}))`;

export async function collectEvidence(store: Store, q: EvidenceQuery): Promise<Evidence> {
  const p = {
    from: q.from,
    to: q.to,
    scope: q.scope?.scope ?? '',
    value: q.scope?.value ?? '',
    n: q.sampleSize,
  };
  const byReason = await store.query<{ reason: string; events: string | number }>(
    `SELECT reason, uniqExact(id) AS events FROM events_v1 WHERE ${RANGE} AND ${SCOPE}
     GROUP BY reason ORDER BY reason`,
    p,
  );
  const topRules = await store.query<{ rule: string; events: string | number }>(
    `SELECT rule_id AS rule, uniqExact(id) AS events FROM events_v1 WHERE ${RANGE} AND ${SCOPE} AND rule_id != ''
     GROUP BY rule ORDER BY events DESC, rule LIMIT 10`,
    p,
  );
  const incidents = await store.query<{ rule: string; technique: string; incidents: string | number }>(
    `SELECT rule, technique, uniqExact(incident_id) AS incidents FROM incidents_v1
     WHERE last_seen >= fromUnixTimestamp64Milli({from:Int64}) AND first_seen <= fromUnixTimestamp64Milli({to:Int64})
       AND ({scope:String} = '' OR (scope = {scope:String} AND identity = {value:String}))
     GROUP BY rule, technique ORDER BY rule, technique`,
    p,
  );
  const bans = await store.query<{ origin: string; action: string; count: string | number }>(
    `SELECT origin, action, uniqExact(id) AS count FROM decisions_v1 WHERE ${RANGE}
       AND ({scope:String} = '' OR (scope = {scope:String} AND value = {value:String}))
     GROUP BY origin, action ORDER BY origin, action`,
    p,
  );
  const [actions] = await store.query<{ n: string | number }>(
    `SELECT uniqExact(action_id) AS n FROM incident_status_v1 WHERE ${RANGE}`,
    p,
  );
  // sorted by (ts, id) inside the aggregate: the same events always give the same samples (and digest)
  const samples = await store.query<{ family: string; ids: string[] }>(
    `SELECT family, arrayMap(x -> x.2, arraySlice(arraySort(groupArray((ts, id))), 1, {n:UInt32})) AS ids
     FROM (
       SELECT DISTINCT splitByChar('.', reason)[1] AS family, id, ts FROM events_v1
       WHERE ${RANGE} AND ${SCOPE}
     ) GROUP BY family ORDER BY family`,
    p,
  );
  const reasons = byReason.map((r) => ({ reason: r.reason, events: Number(r.events) }));
  return {
    from: q.from,
    to: q.to,
    scope: q.scope ?? null,
    totalEvents: reasons.reduce((s, r) => s + r.events, 0),
    byReason: reasons,
    topRules: topRules.map((r) => ({ rule: r.rule, events: Number(r.events) })),
    incidents: incidents.map((r) => ({
      rule: r.rule,
      technique: r.technique,
      incidents: Number(r.incidents),
    })),
    bans: bans.map((r) => ({ origin: r.origin, action: r.action, count: Number(r.count) })),
    incidentActions: Number(actions?.n ?? 0),
    samples: Object.fromEntries(samples.map((s) => [s.family, s.ids])),
  };
}
