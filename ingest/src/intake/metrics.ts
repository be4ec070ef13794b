// Prometheus metrics of external intake, in the style of the publisher's (sentinel_ingest_*).
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

export const INTAKE_SOURCES = ['http', 'syslog_udp', 'syslog_tcp', 'kafka'] as const;
export type IntakeSource = (typeof INTAKE_SOURCES)[number];

/**
 * What became of one received item (an event in a request, a syslog message):
 * accepted (handed to the publisher), invalid (failed validation), unmapped (a syslog line no mapper
 * knows), ignored (a known line that carries no security fact), refused (sender not allowed, bad token,
 * too large, busy), dropped (the spool was full).
 */
export const INTAKE_OUTCOMES = ['accepted', 'invalid', 'unmapped', 'ignored', 'refused', 'dropped'] as const;
export type IntakeOutcome = (typeof INTAKE_OUTCOMES)[number];

export interface IntakeMetrics {
  received: Counter<'source' | 'outcome'>;
  mapped: Counter<'mapper' | 'reason'>;
  requests: Counter<'status'>;
  requestSeconds: Histogram;
  framingErrors: Counter<'transport' | 'error'>;
  connections: Gauge<'transport'>;
}

const cache = new WeakMap<Registry, IntakeMetrics>();

export function intakeMetrics(registry: Registry): IntakeMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const m: IntakeMetrics = {
    received: new Counter({
      name: 'sentinel_ingest_intake_received_total',
      help: 'Items taken in from external sources, by source and outcome.',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    mapped: new Counter({
      name: 'sentinel_ingest_intake_mapped_total',
      help: 'Syslog lines mapped onto decision events, by mapper and reason code.',
      labelNames: ['mapper', 'reason'],
      registers: [registry],
    }),
    requests: new Counter({
      name: 'sentinel_ingest_intake_http_requests_total',
      help: 'HTTP intake requests by response status.',
      labelNames: ['status'],
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'sentinel_ingest_intake_http_request_seconds',
      help: 'Time from request to response, publisher settle included.',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    framingErrors: new Counter({
      name: 'sentinel_ingest_intake_framing_errors_total',
      help: 'Syslog frames that could not be read (oversized, bad octet count).',
      labelNames: ['transport', 'error'],
      registers: [registry],
    }),
    connections: new Gauge({
      name: 'sentinel_ingest_intake_connections',
      help: 'Open syslog TCP connections.',
      labelNames: ['transport'],
      registers: [registry],
    }),
  };
  // Start every labelled series at 0 so that rate() sees the first item.
  for (const source of INTAKE_SOURCES)
    for (const outcome of INTAKE_OUTCOMES) m.received.inc({ source, outcome }, 0);
  m.connections.set({ transport: 'tcp' }, 0);
  cache.set(registry, m);
  return m;
}
