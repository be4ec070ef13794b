// The read side: threat scores, strike counters, per-minute counts and the incident list. Every value is a
// bound parameter; every count is uniqExact over event ids, so a duplicate delivery never shows.
import type { IdentityScope, IncidentStatus } from '@sentinel/ingest';
import type { Params, Store } from '../store/store.ts';

export interface ScoreOptions {
  halfLifeS: number;
  scale: number;
  /** Reference time, ms (default now): scores are a pure function of the events and this instant. */
  asOf?: number;
  /** How far back events still count, seconds (default 8 half-lives: weight below 0.4 %). */
  horizonS?: number;
}

export interface ThreatScore {
  scope: IdentityScope;
  identity: string;
  score: number;
  weight: number;
}

/**
 * Threat score per identity, 0–100:
 *   W = Σ over events e of  (severity_e / 10)² · 2^(−age_e / halfLife)
 *   score = round(100 · (1 − e^(−W / scale)))
 * Severity is squared so that one critical event outweighs several informational ones; the weight
 * halves every half-life; the exponential saturation keeps the score in 0–100 and makes `scale` the
 * weight at which it reaches 63. age is taken from the start of the event's minute (the per-minute view).
 */
export async function threatScores(
  store: Store,
  o: ScoreOptions,
  filter: { scope?: IdentityScope; identity?: string; limit?: number } = {},
): Promise<ThreatScore[]> {
  const asOf = o.asOf ?? Date.now();
  const horizonS = o.horizonS ?? o.halfLifeS * 8;
  const params: Params = {
    as_of: asOf,
    from: asOf - horizonS * 1000,
    half_life: o.halfLifeS,
    scale: o.scale,
    limit: filter.limit ?? 100,
    scope: filter.scope ?? '',
    identity: filter.identity ?? '',
  };
  const rows = await store.query<{ scope: IdentityScope; identity: string; score: number; weight: number }>(
    `SELECT scope, identity,
       sum(n * pow(severity / 10, 2) * exp2(-greatest(0, {as_of:Int64} / 1000 - toUnixTimestamp(minute)) / {half_life:Float64})) AS weight,
       toUInt8(round(100 * (1 - exp(-weight / {scale:Float64})))) AS score
     FROM (
       SELECT scope, identity, minute, severity, uniqExactMerge(events) AS n
       FROM identity_minute_v1
       WHERE minute >= toStartOfMinute(fromUnixTimestamp64Milli({from:Int64}))
         AND minute <= fromUnixTimestamp64Milli({as_of:Int64})
         AND severity > 0
         AND ({scope:String} = '' OR scope = {scope:String})
         AND ({identity:String} = '' OR identity = {identity:String})
       GROUP BY scope, identity, minute, severity
     )
     GROUP BY scope, identity
     ORDER BY weight DESC, scope, identity
     LIMIT {limit:UInt32}`,
    params,
  );
  return rows.map((r) => ({
    scope: r.scope,
    identity: r.identity,
    score: Number(r.score),
    weight: Number(r.weight),
  }));
}

export interface StrikeCount {
  scope: IdentityScope;
  identity: string;
  strikes: number;
}

/** Events that were not allowed (deny, drop, disconnect, quarantine, flag) per identity over a window. */
export async function strikeCounts(
  store: Store,
  o: {
    windowS: number;
    minSeverity: number;
    asOf?: number;
    scope?: IdentityScope;
    identity?: string;
    limit?: number;
  },
): Promise<StrikeCount[]> {
  const asOf = o.asOf ?? Date.now();
  const rows = await store.query<{ scope: IdentityScope; identity: string; strikes: string | number }>(
    `SELECT scope, identity, uniqExactMerge(strikes) AS strikes
     FROM strikes_minute_v1
     WHERE minute >= toStartOfMinute(fromUnixTimestamp64Milli({from:Int64}))
       AND minute <= fromUnixTimestamp64Milli({as_of:Int64})
       AND severity >= {min_sev:UInt8}
       AND ({scope:String} = '' OR scope = {scope:String})
       AND ({identity:String} = '' OR identity = {identity:String})
     GROUP BY scope, identity
     ORDER BY strikes DESC, scope, identity
     LIMIT {limit:UInt32}`,
    {
      from: asOf - o.windowS * 1000,
      as_of: asOf,
      min_sev: o.minSeverity,
      scope: o.scope ?? '',
      identity: o.identity ?? '',
      limit: o.limit ?? 100,
    },
  );
  return rows.map((r) => ({ scope: r.scope, identity: r.identity, strikes: Number(r.strikes) }));
}

export interface MinuteCount {
  minute: string;
  kind: string;
  decision: string;
  severity: number;
  events: number;
}

export async function minuteCounts(
  store: Store,
  o: { scope: IdentityScope; identity: string; from: number; to: number },
): Promise<MinuteCount[]> {
  // minute_text, not minute: an alias named like the column would replace it in WHERE
  const rows = await store.query<Omit<MinuteCount, 'minute'> & { minute_text: string }>(
    `SELECT toString(minute) AS minute_text, kind, decision, severity, uniqExactMerge(events) AS events
     FROM identity_minute_v1
     WHERE scope = {scope:String} AND identity = {identity:String}
       AND minute >= toStartOfMinute(fromUnixTimestamp64Milli({from:Int64}))
       AND minute <= fromUnixTimestamp64Milli({to:Int64})
     GROUP BY minute, kind, decision, severity
     ORDER BY minute, kind, decision, severity`,
    { scope: o.scope, identity: o.identity, from: o.from, to: o.to },
  );
  return rows.map((r) => ({
    minute: r.minute_text,
    kind: r.kind,
    decision: r.decision,
    severity: Number(r.severity),
    events: Number(r.events),
  }));
}

/** Distinct stored events, optionally of one reason: what "no event missing, none counted twice" checks. */
export async function countEvents(store: Store, filter: { reason?: string } = {}): Promise<number> {
  const rows = await store.query<{ n: string | number }>(
    `SELECT uniqExact(id) AS n FROM events_v1 WHERE ({reason:String} = '' OR reason = {reason:String})`,
    { reason: filter.reason ?? '' },
  );
  return Number(rows[0]?.n ?? 0);
}

export interface IncidentSummary {
  incidentId: string;
  rule: string;
  title: string;
  severity: number;
  status: IncidentStatus;
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

export interface IncidentFilter {
  status?: IncidentStatus;
  rule?: string;
  technique?: string;
  minSeverity?: number;
  scope?: IdentityScope;
  identity?: string;
  /** Incidents seen since, ms. */
  since?: number;
  limit?: number;
}

/** Current state of each incident (its update with the most events, incident_current_v1) with its latest status. */
export async function listIncidents(store: Store, f: IncidentFilter = {}): Promise<IncidentSummary[]> {
  const rows = await store.query<Record<string, unknown>>(
    `SELECT i.incident_id AS incidentId, i.rule AS rule, i.title AS title, i.severity AS severity,
       if(s.c_status = '', 'new', s.c_status) AS status, i.technique AS technique, i.tactic AS tactic,
       i.scope AS scope, i.identity AS identity,
       toUnixTimestamp64Milli(i.first_seen) AS firstSeen, toUnixTimestamp64Milli(i.last_seen) AS lastSeen,
       i.event_count AS eventCount, i.event_ids AS eventIds, i.remediation AS remediation
     FROM incident_current_v1 AS i FINAL
     LEFT JOIN (
       SELECT incident_id, argMax(status, (ts, action_id)) AS c_status
       FROM incident_status_v1 GROUP BY incident_id
     ) AS s ON s.incident_id = i.incident_id
     WHERE i.last_seen >= fromUnixTimestamp64Milli({since:Int64})
       AND ({rule:String} = '' OR i.rule = {rule:String})
       AND ({technique:String} = '' OR i.technique = {technique:String})
       AND i.severity >= {min_sev:UInt8}
       AND ({scope:String} = '' OR i.scope = {scope:String})
       AND ({identity:String} = '' OR i.identity = {identity:String})
       AND ({status:String} = '' OR if(s.c_status = '', 'new', s.c_status) = {status:String})
     ORDER BY i.last_seen DESC, i.incident_id
     LIMIT {limit:UInt32}`,
    {
      since: f.since ?? 0,
      rule: f.rule ?? '',
      technique: f.technique ?? '',
      min_sev: f.minSeverity ?? 0,
      scope: f.scope ?? '',
      identity: f.identity ?? '',
      status: f.status ?? '',
      limit: f.limit ?? 100,
    },
  );
  return rows.map((r) => ({
    incidentId: String(r.incidentId),
    rule: String(r.rule),
    title: String(r.title),
    severity: Number(r.severity),
    status: r.status as IncidentStatus,
    technique: String(r.technique),
    tactic: String(r.tactic),
    scope: r.scope as IdentityScope,
    identity: String(r.identity),
    firstSeen: Number(r.firstSeen),
    lastSeen: Number(r.lastSeen),
    eventCount: Number(r.eventCount),
    eventIds: r.eventIds as string[],
    remediation: String(r.remediation),
  }));
}

/** Every stored update and status change of one incident, oldest first. */
export async function incidentHistory(
  store: Store,
  incidentId: string,
): Promise<
  { ts: number; what: string; eventCount: number; severity: number; status: string; actor: string }[]
> {
  const rows = await store.query<Record<string, unknown>>(
    `SELECT ts, what, eventCount, severity, status, actor FROM (
       SELECT toUnixTimestamp64Milli(ts) AS ts, 'update' AS what, event_count AS eventCount, severity,
         '' AS status, '' AS actor
       FROM incidents_v1 FINAL WHERE incident_id = {id:String}
       UNION ALL
       SELECT toUnixTimestamp64Milli(ts) AS ts, 'status' AS what, toUInt32(0) AS eventCount, toUInt8(0) AS severity,
         toString(status) AS status, actor
       FROM incident_status_v1 FINAL WHERE incident_id = {id:String}
     ) ORDER BY ts, what DESC, eventCount`,
    { id: incidentId },
  );
  return rows.map((r) => ({
    ts: Number(r.ts),
    what: String(r.what),
    eventCount: Number(r.eventCount),
    severity: Number(r.severity),
    status: String(r.status),
    actor: String(r.actor),
  }));
}
