// Event search over events_v1: newest first, cursor pages on (ts, id). Values are bound parameters.
import type { IdentityScope } from '@sentinel/ingest';
import type { Store } from '@sentinel/analytics';
import { decodeCursor, encodeCursor } from './cursor.ts';

export interface EventQuery {
  from?: number;
  to?: number;
  kind?: string;
  decision?: string;
  reason?: string;
  /** Any identity column equals this value (or only the one of `scope`). */
  identity?: string;
  scope?: IdentityScope;
  topic?: string;
  minSeverity?: number;
  limit: number;
  cursor?: string;
}

export interface StoredEvent {
  id: string;
  ts: number;
  node: string;
  kind: string;
  decision: string;
  reason: string;
  severity: number;
  clientId: string;
  username: string;
  ip: string;
  certFingerprint: string;
  transport: string;
  packetType: string;
  topic: string;
  ruleId: string;
  technique: string;
  matched: string;
  message: string;
}

// the millisecond time gets its own alias: an alias named ts would replace the column in WHERE
const COLUMNS = `id, toUnixTimestamp64Milli(ts) AS ts_ms, node, kind, decision, reason, severity,
  client_id AS clientId, username, ip, cert_fingerprint AS certFingerprint, transport,
  packet_type AS packetType, topic, rule_id AS ruleId, technique, matched, message`;

const IDENTITY_MATCH = `({identity:String} = '' OR
  (({scope:String} IN ('', 'ip')) AND ip = {identity:String}) OR
  (({scope:String} IN ('', 'client_id')) AND client_id = {identity:String}) OR
  (({scope:String} IN ('', 'username')) AND username = {identity:String}) OR
  (({scope:String} IN ('', 'cert_fingerprint')) AND cert_fingerprint = {identity:String}))`;

export async function searchEvents(
  store: Store,
  q: EventQuery,
): Promise<{ items: StoredEvent[]; nextCursor: string | null }> {
  const cursor = q.cursor ? decodeCursor(q.cursor, 'ts', 'desc') : undefined;
  const rows = await store.query<Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM events_v1 FINAL
     WHERE ts >= fromUnixTimestamp64Milli({from:Int64})
       AND ({to:Int64} = 0 OR ts <= fromUnixTimestamp64Milli({to:Int64}))
       AND ({kind:String} = '' OR kind = {kind:String})
       AND ({decision:String} = '' OR decision = {decision:String})
       AND ({reason:String} = '' OR reason = {reason:String})
       AND ({topic:String} = '' OR topic = {topic:String})
       AND severity >= {min_sev:UInt8}
       AND ${IDENTITY_MATCH}
       AND ({has_cursor:UInt8} = 0 OR (toUnixTimestamp64Milli(ts), id) < ({ck:Int64}, {cid:String}))
     ORDER BY ts DESC, id DESC
     LIMIT {limit:UInt32}`,
    {
      from: q.from ?? 0,
      to: q.to ?? 0,
      kind: q.kind ?? '',
      decision: q.decision ?? '',
      reason: q.reason ?? '',
      topic: q.topic ?? '',
      min_sev: q.minSeverity ?? 0,
      identity: q.identity ?? '',
      scope: q.scope ?? '',
      has_cursor: cursor ? 1 : 0,
      ck: cursor?.k ?? 0,
      cid: cursor?.id ?? '',
      limit: q.limit + 1,
    },
  );
  const items = rows.slice(0, q.limit).map(toEvent);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor:
      rows.length > q.limit && last ? encodeCursor({ s: 'ts', o: 'desc', k: last.ts, id: last.id }) : null,
  };
}

function toEvent(r: Record<string, unknown>): StoredEvent {
  return {
    id: String(r.id),
    ts: Number(r.ts_ms),
    node: String(r.node),
    kind: String(r.kind),
    decision: String(r.decision),
    reason: String(r.reason),
    severity: Number(r.severity),
    clientId: String(r.clientId),
    username: String(r.username),
    ip: String(r.ip),
    certFingerprint: String(r.certFingerprint),
    transport: String(r.transport),
    packetType: String(r.packetType),
    topic: String(r.topic),
    ruleId: String(r.ruleId),
    technique: String(r.technique),
    matched: String(r.matched),
    message: String(r.message),
  };
}

/** Ban decisions (past and present) of one identity, newest first. */
export async function identityDecisions(
  store: Store,
  scope: string,
  value: string,
  limit = 50,
): Promise<Record<string, unknown>[]> {
  const rows = await store.query<Record<string, unknown>>(
    `SELECT id, toUnixTimestamp64Milli(ts) AS ts, action, scope, value, duration_s AS durationS,
       toUnixTimestamp64Milli(until) AS until, origin, reason, offense, incident_id AS incidentId, actor
     FROM decisions_v1 FINAL
     WHERE ({scope:String} = '' OR scope = {scope:String}) AND ({value:String} = '' OR value = {value:String})
     ORDER BY ts DESC, id DESC LIMIT {limit:UInt32}`,
    { scope, value, limit },
  );
  return rows.map((r) => ({
    ...r,
    ts: Number(r.ts),
    durationS: Number(r.durationS),
    until: Number(r.until),
    offense: Number(r.offense),
  }));
}
