// Rule state after a restart is rebuilt from the store rather than checkpointed: the incidents still open
// (last seen within their rule's window) come back with their counts, and the events of the last
// max-window are run through the engine again. Those the incidents already counted only refill the
// windows; those stored but not yet evaluated before a crash are evaluated now (a redelivery of them is
// then skipped by the writer, which finds them stored).
import type { IncidentStatus } from '@sentinel/ingest';
import { rowEvent } from './ingest/rows.ts';
import type { EventRow } from './ingest/rows.ts';
import { listIncidents } from './queries/queries.ts';
import type { DetectionEngine, EngineOutput, IncidentState } from './rules/engine.ts';
import type { GroupScope } from './rules/types.ts';
import type { Store } from './store/store.ts';

export interface RestoreResult {
  incidents: number;
  events: number;
  output: EngineOutput;
}

export async function restoreState(
  store: Store,
  engine: DetectionEngine,
  statuses: Map<string, IncidentStatus>,
): Promise<RestoreResult> {
  const [last] = await store.query<{ max: string | number }>(
    'SELECT toUnixTimestamp64Milli(max(ts)) AS max FROM events_v1',
  );
  const maxTs = Number(last?.max ?? 0);
  if (maxTs <= 0) return { incidents: 0, events: 0, output: { changed: [], bans: [] } };
  const from = maxTs - engine.maxWindowMs();
  const incidents = await restoreIncidents(store, engine, from, statuses);
  const reasons = [...new Set(engine.rules.flatMap((r) => r.match.reasons))];
  // ts_ms, not ts: an alias named like the column would replace it in WHERE and ORDER BY
  const rows = await store.query<EventRow & { ts_ms: string | number }>(
    `SELECT id, toUnixTimestamp64Milli(ts) AS ts_ms, node, kind, decision, reason, severity,
       client_id, username, ip, cert_fingerprint, topic
     FROM events_v1 FINAL
     WHERE ts >= fromUnixTimestamp64Milli({from:Int64}) AND reason IN {reasons:Array(String)}
     ORDER BY ts, id`,
    { from, reasons },
  );
  const output = engine.process(
    rows.map((r) => rowEvent({ ...r, ts: Number(r.ts_ms) })),
    { restoring: true },
  );
  return { incidents, events: rows.length, output };
}

async function restoreIncidents(
  store: Store,
  engine: DetectionEngine,
  from: number,
  statuses: Map<string, IncidentStatus>,
): Promise<number> {
  const open = await listIncidents(store, { since: from, limit: 1_000_000 });
  if (open.length === 0) return 0;
  const bans = await store.query<{ incident_id: string; until: string | number }>(
    `SELECT incident_id, toUnixTimestamp64Milli(max(until)) AS until FROM decisions_v1
     WHERE action = 'ban' AND incident_id IN {ids:Array(String)} GROUP BY incident_id`,
    { ids: open.map((i) => i.incidentId) },
  );
  const bannedUntil = new Map(bans.map((b) => [b.incident_id, Number(b.until)]));
  const rules = new Map(engine.rules.map((r) => [r.id, r]));
  let restored = 0;
  for (const i of open) {
    const rule = rules.get(i.rule);
    if (!rule || i.lastSeen < from) continue;
    const state: IncidentState = {
      incidentId: i.incidentId,
      rule,
      scope: i.scope as GroupScope,
      value: i.identity,
      firstSeen: i.firstSeen,
      lastSeen: i.lastSeen,
      count: i.eventCount,
      eventIds: i.eventIds,
      severity: i.severity,
      bannedUntil: bannedUntil.get(i.incidentId) ?? 0,
    };
    engine.restoreIncident(state);
    statuses.set(i.incidentId, i.status);
    restored += 1;
  }
  return restored;
}
