// nats-server has no Prometheus endpoint of its own: this exporter reads its monitoring endpoints (/varz
// and /jsz) on every scrape and serves what the health dashboard needs — server and JetStream up, stream
// sizes, the age of the oldest message kept (the retention actually held against the configured one)
// and consumer backlogs.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { Gauge, Registry } from 'prom-client';

export interface NatsExporterMetrics {
  registry: Registry;
  up: Gauge;
  jetstream: Gauge;
  connections: Gauge;
  streamMessages: Gauge<'stream'>;
  streamBytes: Gauge<'stream'>;
  oldestAge: Gauge<'stream'>;
  maxAge: Gauge<'stream'>;
  consumerPending: Gauge<'stream' | 'consumer'>;
  consumerAckPending: Gauge<'stream' | 'consumer'>;
}

export function natsExporterMetrics(registry: Registry = new Registry()): NatsExporterMetrics {
  const registers = [registry];
  return {
    registry,
    up: new Gauge({
      name: 'sentinel_nats_up',
      help: '1 when nats-server answered its monitoring endpoint on this scrape.',
      registers,
    }),
    jetstream: new Gauge({
      name: 'sentinel_nats_jetstream_enabled',
      help: '1 when JetStream is enabled and answering.',
      registers,
    }),
    connections: new Gauge({
      name: 'sentinel_nats_connections',
      help: 'Client connections of the nats-server (MQTT included).',
      registers,
    }),
    streamMessages: new Gauge({
      name: 'sentinel_jetstream_stream_messages',
      help: 'Messages kept in a stream.',
      labelNames: ['stream'],
      registers,
    }),
    streamBytes: new Gauge({
      name: 'sentinel_jetstream_stream_bytes',
      help: 'Bytes kept in a stream.',
      labelNames: ['stream'],
      registers,
    }),
    oldestAge: new Gauge({
      name: 'sentinel_jetstream_stream_oldest_age_seconds',
      help: 'Age of the oldest message kept in a stream: the retention actually held.',
      labelNames: ['stream'],
      registers,
    }),
    maxAge: new Gauge({
      name: 'sentinel_jetstream_stream_max_age_seconds',
      help: 'Configured maximum message age of a stream (0: none).',
      labelNames: ['stream'],
      registers,
    }),
    consumerPending: new Gauge({
      name: 'sentinel_jetstream_consumer_pending',
      help: 'Messages not yet delivered to a consumer.',
      labelNames: ['stream', 'consumer'],
      registers,
    }),
    consumerAckPending: new Gauge({
      name: 'sentinel_jetstream_consumer_ack_pending',
      help: 'Messages delivered to a consumer and not yet acknowledged.',
      labelNames: ['stream', 'consumer'],
      registers,
    }),
  };
}

interface Jsz {
  disabled?: boolean;
  account_details?: {
    stream_detail?: {
      name: string;
      config?: { max_age?: number };
      state: { messages: number; bytes: number; first_ts?: string };
      consumer_detail?: { name: string; num_pending?: number; num_ack_pending?: number }[];
    }[];
  }[];
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return (await res.json()) as T;
}

/** Age in seconds of an RFC 3339 timestamp; 0 for an empty stream (nats-server reports year 1). */
export function ageSeconds(ts: string | undefined, now: number): number {
  const t = ts ? Date.parse(ts) : NaN;
  return Number.isFinite(t) && t > 0 ? Math.max(0, (now - t) / 1000) : 0;
}

/** Read /varz and /jsz once and set the gauges; a nats-server that does not answer is `up 0`. */
export async function refreshNatsMetrics(
  m: NatsExporterMetrics,
  monitorUrl: string,
  now = Date.now(),
): Promise<void> {
  m.streamMessages.reset();
  m.streamBytes.reset();
  m.oldestAge.reset();
  m.maxAge.reset();
  m.consumerPending.reset();
  m.consumerAckPending.reset();
  try {
    const varz = await getJson<{ connections?: number }>(`${monitorUrl}/varz`);
    m.up.set(1);
    m.connections.set(varz.connections ?? 0);
  } catch {
    m.up.set(0);
    m.jetstream.set(0);
    return;
  }
  try {
    const jsz = await getJson<Jsz>(`${monitorUrl}/jsz?accounts=true&streams=true&consumers=true&config=true`);
    m.jetstream.set(jsz.disabled ? 0 : 1);
    for (const acc of jsz.account_details ?? []) {
      for (const s of acc.stream_detail ?? []) {
        const stream = { stream: s.name };
        m.streamMessages.set(stream, s.state.messages);
        m.streamBytes.set(stream, s.state.bytes);
        m.oldestAge.set(stream, s.state.messages > 0 ? ageSeconds(s.state.first_ts, now) : 0);
        m.maxAge.set(stream, (s.config?.max_age ?? 0) / 1e9);
        for (const c of s.consumer_detail ?? []) {
          m.consumerPending.set({ ...stream, consumer: c.name }, c.num_pending ?? 0);
          m.consumerAckPending.set({ ...stream, consumer: c.name }, c.num_ack_pending ?? 0);
        }
      }
    }
  } catch {
    m.jetstream.set(0);
  }
}

export interface NatsExporter {
  url: string;
  metrics: NatsExporterMetrics;
  close(): Promise<void>;
}

/** Serve /metrics for the nats-server whose monitoring port is at `monitorUrl` (e.g. http://127.0.0.1:8222). */
export function startNatsExporter(opts: {
  monitorUrl: string;
  host?: string;
  port: number;
}): Promise<NatsExporter> {
  const metrics = natsExporterMetrics();
  const host = opts.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    refreshNatsMetrics(metrics, opts.monitorUrl)
      .then(() => metrics.registry.metrics())
      .then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      const addr = server.address();
      const port = addr && typeof addr === 'object' ? addr.port : opts.port;
      resolve({
        url: `http://${host}:${port}/metrics`,
        metrics,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}
