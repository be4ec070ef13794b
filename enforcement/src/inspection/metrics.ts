// Prometheus metrics of the inspection engine, registered once per registry.
import { Counter, Gauge, Registry } from 'prom-client';

export interface InspectionMetrics {
  registry: Registry;
  findings: Counter<'reason' | 'action'>;
  inspected: Counter;
  inspectedBytes: Counter;
  rulesLoaded: Gauge;
  reloads: Counter<'result'>;
  quarantined: Counter<'result'>;
}

const cache = new WeakMap<Registry, InspectionMetrics>();

export function inspectionMetrics(registry: Registry = new Registry()): InspectionMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const m: InspectionMetrics = {
    registry,
    findings: new Counter({
      name: 'sentinel_inspection_findings_total',
      help: 'Inspection findings by reason and action.',
      labelNames: ['reason', 'action'],
      registers,
    }),
    inspected: new Counter({
      name: 'sentinel_inspection_messages_total',
      help: 'PUBLISH payloads inspected.',
      registers,
    }),
    inspectedBytes: new Counter({
      name: 'sentinel_inspection_bytes_total',
      help: 'Payload bytes inspected.',
      registers,
    }),
    rulesLoaded: new Gauge({ name: 'sentinel_inspection_rules', help: 'Signature rules active.', registers }),
    reloads: new Counter({
      name: 'sentinel_inspection_rule_reloads_total',
      help: 'Rule file reloads by result (ok, refused).',
      labelNames: ['result'],
      registers,
    }),
    quarantined: new Counter({
      name: 'sentinel_quarantine_messages_total',
      help: 'Messages sent to SENTINEL_QUARANTINE by result (stored, failed).',
      labelNames: ['result'],
      registers,
    }),
  };
  cache.set(registry, m);
  return m;
}
