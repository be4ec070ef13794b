// Prometheus metrics of the enforcement node. Per-packet counts are kept in plain number arrays on the
// hot path and handed to prom-client only when /metrics is scraped (the `collect` hook), so counting a
// packet costs an array increment instead of a label lookup.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { REASONS } from '@sentinel/ingest';
import { PACKET_NAMES } from './protocol/packets.ts';

export type TrafficDirection = 'in' | 'out';

export interface NodeMetrics {
  registry: Registry;
  connectionsTotal: Counter<'transport'>;
  connectionsActive: Gauge<'transport'>;
  rateLimitRejected: Counter<'tier'>;
  authRequests: Counter<'result' | 'cache'>;
  authLatency: Histogram<'cache'>;
  decisions: Counter<'kind' | 'decision'>;
  /** Count one packet of `type` (0..15) and `bytes` in `dir` (`in`: from devices, `out`: to devices). */
  packet(type: number, bytes: number, dir: TrafficDirection): void;
}

export function createNodeMetrics(registry: Registry = new Registry()): NodeMetrics {
  const reg = [registry];
  // [direction][type]: packets and bytes since start, and what was already reported.
  const packets = [new Float64Array(16), new Float64Array(16)];
  const bytes = [new Float64Array(16), new Float64Array(16)];
  const reported = {
    packets: [new Float64Array(16), new Float64Array(16)],
    bytes: [new Float64Array(16), new Float64Array(16)],
  };
  const flush = (c: Counter<'type' | 'direction'>, now: Float64Array[], seen: Float64Array[]): void => {
    for (let d = 0; d < 2; d++) {
      for (let t = 0; t < 16; t++) {
        const delta = (now[d] as Float64Array)[t]! - (seen[d] as Float64Array)[t]!;
        if (delta > 0) {
          c.inc({ type: PACKET_NAMES[t] as string, direction: d === 0 ? 'in' : 'out' }, delta);
          (seen[d] as Float64Array)[t] = (now[d] as Float64Array)[t]!;
        }
      }
    }
  };
  new Counter({
    name: 'mqtt_proxy_packets_total',
    help: 'MQTT packets by type and direction (in: from devices, out: to devices).',
    labelNames: ['type', 'direction'],
    registers: reg,
    collect() {
      flush(this, packets, reported.packets);
    },
  });
  new Counter({
    name: 'mqtt_proxy_bytes_total',
    help: 'MQTT bytes by packet type and direction (in: from devices, out: to devices).',
    labelNames: ['type', 'direction'],
    registers: reg,
    collect() {
      flush(this, bytes, reported.bytes);
    },
  });
  const m = {
    registry,
    connectionsTotal: new Counter({
      name: 'mqtt_proxy_connections_total',
      help: 'Device connections accepted by the listeners.',
      labelNames: ['transport'],
      registers: reg,
    }),
    connectionsActive: new Gauge({
      name: 'mqtt_proxy_connections_active',
      help: 'Device connections open now.',
      labelNames: ['transport'],
      registers: reg,
    }),
    rateLimitRejected: new Counter({
      name: 'mqtt_proxy_rate_limit_rejected_total',
      help: 'Packets rejected by a rate-limit tier.',
      labelNames: ['tier'],
      registers: reg,
    }),
    authRequests: new Counter({
      name: 'mqtt_proxy_auth_requests_total',
      help: 'Authentication decisions by result (allow, deny, unavailable) and cache (hit, miss).',
      labelNames: ['result', 'cache'],
      registers: reg,
    }),
    authLatency: new Histogram({
      name: 'mqtt_proxy_auth_latency_seconds',
      help: 'Time to an authentication answer, cache included.',
      labelNames: ['cache'],
      buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: reg,
    }),
    decisions: new Counter({
      name: 'mqtt_proxy_decisions_total',
      help: 'Decision events emitted, by kind and decision.',
      labelNames: ['kind', 'decision'],
      registers: reg,
    }),
    packet(type: number, n: number, dir: TrafficDirection) {
      const d = dir === 'in' ? 0 : 1;
      (packets[d] as Float64Array)[type]! += 1;
      (bytes[d] as Float64Array)[type]! += n;
    },
  } satisfies NodeMetrics;
  startAtZero(m);
  return m;
}

/**
 * The label sets the node knows in advance start at 0. A labelled counter is born at its first
 * increment, and rate() / increase() cannot see the increment a series is born with: without this the
 * first brute force, rate-limit burst or blocked message of a quiet node would never show on a dashboard.
 */
function startAtZero(m: NodeMetrics): void {
  for (const r of Object.values(REASONS)) m.decisions.inc({ kind: r.kind, decision: r.decision }, 0);
  for (const [result, cache] of [
    ['allow', 'hit'],
    ['allow', 'miss'],
    ['deny', 'hit'],
    ['deny', 'miss'],
    ['unavailable', 'miss'],
  ] as const) {
    m.authRequests.inc({ result, cache }, 0);
  }
  // the tier label is what follows `rate.` in the reason (see the session pipeline)
  for (const reason of Object.keys(REASONS)) {
    if (reason.startsWith('rate.')) m.rateLimitRejected.inc({ tier: reason.slice(5) }, 0);
  }
}
