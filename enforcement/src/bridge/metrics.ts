// Prometheus metrics of the bridge. `bridge_messages_ingested`, `bridge_messages_persisted` and
// `bridge_latency_seconds` keep the names the dashboards and alert rules use.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface BridgeMetrics {
  registry: Registry;
  /** Messages received from the source broker, by direction (out: core -> origin, in: origin -> core). */
  ingested: Counter<'direction'>;
  /** Messages the destination broker acknowledged (PUBACK), by direction. */
  persisted: Counter<'direction'>;
  /** Source receive -> destination acknowledgement. */
  latency: Histogram<'direction'>;
  /** Messages acknowledged upstream without being forwarded: loop (own hop marker), unmapped, rejected. */
  dropped: Counter<'direction' | 'reason'>;
  errors: Counter<'side' | 'kind'>;
  reconnects: Counter<'side'>;
  connected: Gauge<'side' | 'role'>;
  inFlight: Gauge<'direction'>;
}

export function createBridgeMetrics(registry: Registry = new Registry()): BridgeMetrics {
  const registers = [registry];
  return {
    registry,
    ingested: new Counter({
      name: 'bridge_messages_ingested',
      help: 'Messages the bridge received from the source broker, by direction (out: core to origin, in: origin to core).',
      labelNames: ['direction'],
      registers,
    }),
    persisted: new Counter({
      name: 'bridge_messages_persisted',
      help: 'Messages the destination broker acknowledged (PUBACK), by direction.',
      labelNames: ['direction'],
      registers,
    }),
    latency: new Histogram({
      name: 'bridge_latency_seconds',
      help: 'Time from receiving a message from the source to the destination acknowledging it.',
      labelNames: ['direction'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    dropped: new Counter({
      name: 'bridge_messages_dropped_total',
      help: 'Messages acknowledged to the source without forwarding: loop (own hop marker), unmapped, rejected by the destination.',
      labelNames: ['direction', 'reason'],
      registers,
    }),
    errors: new Counter({
      name: 'bridge_errors_total',
      help: 'Connection and delivery errors by broker side and kind.',
      labelNames: ['side', 'kind'],
      registers,
    }),
    reconnects: new Counter({
      name: 'bridge_reconnects_total',
      help: 'Reconnect attempts by broker side.',
      labelNames: ['side'],
      registers,
    }),
    connected: new Gauge({
      name: 'bridge_connected',
      help: '1 while a bridge connection is up, by broker side and role (sub: source, pub: destination).',
      labelNames: ['side', 'role'],
      registers,
    }),
    inFlight: new Gauge({
      name: 'bridge_in_flight',
      help: 'Messages received and not yet acknowledged by the destination, by direction.',
      labelNames: ['direction'],
      registers,
    }),
  };
}
