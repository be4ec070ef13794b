// The two small consumers beside the events pipeline: ban decisions (from analytics, the api, config) into
// decisions_v1, and analysts' incident actions into incident_status_v1. Both keep the in-memory views the
// pipeline uses (offense counts, incident statuses) in step.
import type { AnalystActionV1, BanDecisionV1, ConsumedRecord, IncidentStatus } from '@sentinel/ingest';
import type { DecisionEngine } from './decisions/engine.ts';
import { statusOf } from './incidents/records.ts';
import type { Store } from './store/store.ts';

export function decisionRow(d: BanDecisionV1): Record<string, string | number> {
  return {
    id: d.id,
    ts: d.ts,
    action: d.action,
    scope: d.scope,
    value: d.value,
    duration_s: d.durationS,
    until: d.until,
    origin: d.origin,
    reason: d.reason,
    offense: d.offense ?? 0,
    incident_id: d.incidentId ?? '',
    actor: d.actor ?? '',
  };
}

export function storeDecisions(store: Store, decisions?: DecisionEngine) {
  return async (batch: readonly ConsumedRecord<BanDecisionV1>[]): Promise<void> => {
    await store.insert(
      'decisions_v1',
      batch.map((r) => decisionRow(r.value)),
    );
    for (const r of batch) decisions?.noteDecision(r.value);
  };
}

/** Status rows in log order: assign and comment keep the status they find, and are history too. */
export function storeActions(store: Store, statuses: Map<string, IncidentStatus>) {
  return async (batch: readonly ConsumedRecord<AnalystActionV1>[]): Promise<void> => {
    const rows: Record<string, string | number>[] = [];
    for (const { value: a } of batch) {
      if (!a.action.startsWith('incident.')) continue;
      const status = statusOf(a.action) ?? statuses.get(a.target) ?? 'new';
      statuses.set(a.target, status);
      rows.push({
        action_id: a.id,
        ts: a.ts,
        incident_id: a.target,
        status,
        actor: a.actor,
        assignee: typeof a.details?.assignee === 'string' ? a.details.assignee : '',
        comment: typeof a.details?.comment === 'string' ? a.details.comment : '',
      });
    }
    await store.insert('incident_status_v1', rows);
  };
}
