// Prometheus metrics of the export, labelled by sink. One registry per process is passed in, so the
// /metrics of `sentinel export` (or the api beside it) shows every sink.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ExportMetrics {
  registry: Registry;
  sent: Counter<'sink'>;
  failed: Counter<'sink'>;
  retried: Counter<'sink'>;
  resent: Counter<'sink'>;
  deadLettered: Counter<'sink' | 'cause'>;
  filtered: Counter<'sink'>;
  truncated: Counter<'sink'>;
  lag: Gauge<'sink' | 'stream'>;
  unconfirmed: Gauge<'sink'>;
  latency: Histogram<'sink'>;
}

const cache = new WeakMap<Registry, ExportMetrics>();

export function exportMetrics(registry: Registry = new Registry()): ExportMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const m: ExportMetrics = {
    registry,
    sent: counter('sentinel_export_sent_total', 'Records a sink delivered (confirmed).', ['sink']),
    failed: counter('sentinel_export_failed_total', 'Records in send attempts that failed.', ['sink']),
    retried: counter('sentinel_export_retried_total', 'Records sent again after a failed attempt.', ['sink']),
    resent: counter(
      'sentinel_export_resent_total',
      'Records written again because the connection was lost before they were confirmed.',
      ['sink'],
    ),
    deadLettered: counter('sentinel_export_dead_lettered_total', 'Records sent to the dead-letter subject.', [
      'sink',
      'cause',
    ]),
    filtered: counter('sentinel_export_filtered_total', 'Records skipped by the sink filters.', ['sink']),
    truncated: counter('sentinel_export_truncated_total', 'Records cut to fit the transport size limit.', [
      'sink',
    ]),
    lag: new Gauge({
      name: 'sentinel_export_lag',
      help: 'Records in the stream not yet delivered by the sink (pending plus unacknowledged).',
      labelNames: ['sink', 'stream'],
      registers: [registry],
    }),
    unconfirmed: new Gauge({
      name: 'sentinel_export_unconfirmed',
      help: 'Records sent and awaiting confirmation.',
      labelNames: ['sink'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'sentinel_export_delivery_latency_seconds',
      help: 'Time from a record being written to its delivery by the sink.',
      labelNames: ['sink'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
  cache.set(registry, m);
  return m;
}
