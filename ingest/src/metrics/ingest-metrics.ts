// Prometheus metrics of the publisher and the consumers. One registry per process is passed in, so the
// api's /metrics can expose every component that runs beside it.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface IngestMetrics {
  registry: Registry;
  published: Counter<'stream'>;
  duplicates: Counter<'stream'>;
  publishFailures: Counter<'reason'>;
  spooled: Counter;
  replayed: Counter;
  spoolDropped: Counter;
  spoolBytes: Gauge;
  inFlight: Gauge;
  acked: Counter<'consumer'>;
  redelivered: Counter<'consumer'>;
  deadLettered: Counter<'consumer' | 'cause'>;
  lag: Gauge<'consumer'>;
  handleSeconds: Histogram<'consumer'>;
}

const cache = new WeakMap<Registry, IngestMetrics>();

export function ingestMetrics(registry: Registry = new Registry()): IngestMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const m: IngestMetrics = {
    registry,
    published: new Counter({
      name: 'sentinel_ingest_published_total',
      help: 'Records acknowledged by JetStream.',
      labelNames: ['stream'],
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'sentinel_ingest_duplicates_total',
      help: 'Publishes JetStream reported as duplicates (already stored).',
      labelNames: ['stream'],
      registers: [registry],
    }),
    publishFailures: new Counter({
      name: 'sentinel_ingest_publish_failures_total',
      help: 'Publishes that failed or timed out (then spooled).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    spooled: new Counter({
      name: 'sentinel_ingest_spooled_total',
      help: 'Records written to the local disk spool.',
      registers: [registry],
    }),
    replayed: new Counter({
      name: 'sentinel_ingest_replayed_total',
      help: 'Spooled records acknowledged by JetStream on replay.',
      registers: [registry],
    }),
    spoolDropped: new Counter({
      name: 'sentinel_ingest_spool_dropped_total',
      help: 'Records dropped because the spool was full.',
      registers: [registry],
    }),
    spoolBytes: new Gauge({
      name: 'sentinel_ingest_spool_bytes',
      help: 'Bytes in the disk spool.',
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'sentinel_ingest_in_flight',
      help: 'Publishes awaiting a JetStream ack.',
      registers: [registry],
    }),
    acked: new Counter({
      name: 'sentinel_ingest_acked_total',
      help: 'Messages a consumer handled and acked.',
      labelNames: ['consumer'],
      registers: [registry],
    }),
    redelivered: new Counter({
      name: 'sentinel_ingest_redelivered_total',
      help: 'Messages handed to a consumer again after a failure.',
      labelNames: ['consumer'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'sentinel_ingest_dead_lettered_total',
      help: 'Messages sent to the dead-letter subject.',
      labelNames: ['consumer', 'cause'],
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'sentinel_ingest_consumer_lag',
      help: 'Messages in the stream not yet delivered to the consumer.',
      labelNames: ['consumer'],
      registers: [registry],
    }),
    handleSeconds: new Histogram({
      name: 'sentinel_ingest_handle_seconds',
      help: 'Time a consumer handler took per batch.',
      labelNames: ['consumer'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
  };
  cache.set(registry, m);
  return m;
}
