// The api's own Prometheus metrics, in a registry of their own so that several apps in one process (tests)
// do not collide; /metrics serves it together with the default registry and every in-process component's.
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  register,
} from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'route' | 'method' | 'status'>;
  seconds: Histogram<'route' | 'method'>;
  rateLimited: Counter;
  authFailures: Counter<'why'>;
  streamClients: Gauge;
  streamSent: Counter<'type'>;
  streamDropped: Counter;
}

export function apiMetrics(registry = new Registry()): ApiMetrics {
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'sentinel_api_requests_total',
      help: 'API requests by route template, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
    }),
    seconds: new Histogram({
      name: 'sentinel_api_request_seconds',
      help: 'API request latency by route template.',
      labelNames: ['route', 'method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    rateLimited: new Counter({
      name: 'sentinel_api_rate_limited_total',
      help: 'Requests answered 429 by the API rate limit.',
      registers,
    }),
    authFailures: new Counter({
      name: 'sentinel_api_auth_failures_total',
      help: 'Requests refused for a missing or unknown token (401) or a role that may not (403).',
      labelNames: ['why'],
      registers,
    }),
    streamClients: new Gauge({
      name: 'sentinel_api_stream_clients',
      help: 'WebSocket stream clients connected and authenticated.',
      registers,
    }),
    streamSent: new Counter({
      name: 'sentinel_api_stream_messages_total',
      help: 'Messages sent to stream clients by type (event, incident, gap).',
      labelNames: ['type'],
      registers,
    }),
    streamDropped: new Counter({
      name: 'sentinel_api_stream_dropped_total',
      help: 'Messages dropped for slow stream clients (oldest first).',
      registers,
    }),
  };
}

let defaultsCollected = false;

/** Process metrics (CPU, memory, event loop lag) on the default registry, once per process. */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  try {
    collectDefaultMetrics({ register });
  } catch {
    // another component of this process registered them already
  }
}

/**
 * Text exposition of several registries as one. Components in one process may each keep a metric of the
 * same name (two EventPublishers' sentinel_ingest_* counters): those are merged by label set, summed, so
 * a scrape never sees a name twice (which Prometheus rejects).
 */
export async function exposition(registries: readonly Registry[]): Promise<string> {
  const unique = [...new Set(registries)];
  const json = await Promise.all(unique.map((r) => r.getMetricsAsJSON()));
  return AggregatorRegistry.aggregate(json).metrics();
}
