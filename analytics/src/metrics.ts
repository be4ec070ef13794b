// Prometheus metrics of analytics, on the registry the process shares (the api's /metrics shows them).
import { Counter, Histogram, Registry } from 'prom-client';
import { DECISION_ORIGINS } from '@sentinel/ingest';

export interface AnalyticsMetrics {
  registry: Registry;
  eventsStored: Counter;
  duplicatesDropped: Counter;
  insertSeconds: Histogram;
  incidents: Counter<'rule'>;
  incidentUpdates: Counter<'rule'>;
  decisions: Counter<'action' | 'origin'>;
  banSkipped: Counter<'why'>;
  effectFailures: Counter<'what'>;
}

const cache = new WeakMap<Registry, AnalyticsMetrics>();

export function analyticsMetrics(registry: Registry = new Registry()): AnalyticsMetrics {
  const hit = cache.get(registry);
  if (hit) return hit;
  const registers = [registry];
  const m: AnalyticsMetrics = {
    registry,
    eventsStored: new Counter({
      name: 'sentinel_analytics_events_stored_total',
      help: 'Events inserted into events_v1.',
      registers,
    }),
    duplicatesDropped: new Counter({
      name: 'sentinel_analytics_duplicates_dropped_total',
      help: 'Redelivered or re-published events found already stored and skipped.',
      registers,
    }),
    insertSeconds: new Histogram({
      name: 'sentinel_analytics_batch_seconds',
      help: 'Time to store and evaluate one consumed batch.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    incidents: new Counter({
      name: 'sentinel_analytics_incidents_total',
      help: 'Incidents opened, by rule.',
      labelNames: ['rule'],
      registers,
    }),
    incidentUpdates: new Counter({
      name: 'sentinel_analytics_incident_updates_total',
      help: 'Incident update records written, by rule.',
      labelNames: ['rule'],
      registers,
    }),
    decisions: new Counter({
      name: 'sentinel_analytics_decisions_total',
      help: 'Ban and unban decisions taken, by action and origin.',
      labelNames: ['action', 'origin'],
      registers,
    }),
    banSkipped: new Counter({
      name: 'sentinel_analytics_bans_skipped_total',
      help: 'Bans not issued, by why (allowlisted).',
      labelNames: ['why'],
      registers,
    }),
    effectFailures: new Counter({
      name: 'sentinel_analytics_effect_failures_total',
      help: 'Incident writes or bans that failed and were queued for retry.',
      labelNames: ['what'],
      registers,
    }),
  };
  // Bans and unbans start at 0 for every origin: a counter born at its first increment hides that
  // increment from increase(), so the first ban would never show on a dashboard.
  for (const action of ['ban', 'unban']) {
    for (const origin of DECISION_ORIGINS) m.decisions.inc({ action, origin }, 0);
  }
  cache.set(registry, m);
  return m;
}
