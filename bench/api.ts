// npm run bench -- api
// The api on a private nats-server, analytics on embedded chDB, the store filled through the pipeline:
//   incidents_p50_ms (1 client), incidents_req_per_s / incidents_p95_ms (8 clients)
//                                            GET /api/v1/incidents?limit=50 (filters + current status join)
//   incidents_store_p50_ms                   the peer: the same page read straight from the store, no HTTP,
//                                            auth, validation or JSON (what the api layer costs)
//   events_req_per_s / events_p95_ms         GET /api/v1/events?reason=…&limit=100
//   stream_events_per_s                      events published to JetStream -> delivered to every one of
//                                            10 WebSocket clients (ordered consumer, fan-out, per-client queues)
import { WebSocket } from 'ws';
import {
  EventPublisher,
  connectNats,
  ensureStreams,
  makeEvent,
  natsConfigSchema,
  publisherConfigSchema,
  streamsConfigSchema,
} from '@sentinel/ingest';
import type { DecisionEventV1 } from '@sentinel/ingest';
import { startNats, tempDir, waitFor } from '@sentinel/infra';
import { analyticsConfigSchema, countEvents, startAnalytics } from '@sentinel/analytics';
import { apiConfigSchema, queryIncidents, startApi } from '@sentinel/api';
import { metric, percentile, progress } from './_report.ts';

const SUITE = 'api';
const FILL = Number(process.env.BENCH_API_EVENTS ?? 50_000);
const DURATION_MS = Number(process.env.BENCH_API_SECONDS ?? 8) * 1000;
const CONCURRENCY = 8;
const CLIENTS = 10;
const STREAM_EVENTS = 20_000;

function attack(i: number, ts: number): DecisionEventV1 {
  return makeEvent({
    node: 'bench-node',
    reason: i % 3 === 0 ? 'auth.bad_credentials' : 'connect.accepted',
    subject: {
      ip: `198.51.${(i % 500) >> 8}.${i % 256}`,
      clientId: `dev-${i % 5000}`,
      username: `u${i % 50}`,
    },
    mqtt: { packetType: 'connect' },
    ts,
  });
}

async function load(
  url: string,
  token: string,
  concurrency: number,
): Promise<{ rps: number; lat: number[] }> {
  const lat: number[] = [];
  const end = Date.now() + DURATION_MS;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      const t0 = performance.now();
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
      lat.push(performance.now() - t0);
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  lat.sort((a, b) => a - b);
  return { rps: lat.length / ((Date.now() - started) / 1000), lat };
}

async function main(): Promise<void> {
  const t = tempDir('sentinel-bench-api-');
  const server = await startNats({ dir: `${t.dir}/nats`, mqttPort: 0 });
  const nats = natsConfigSchema.parse({ servers: [server.url] });
  const streams = streamsConfigSchema.parse({});
  const publisher = publisherConfigSchema.parse({});
  const nc = await connectNats(nats, { component: 'bench' });
  await ensureStreams(nc, streams);
  const analyticsCfg = analyticsConfigSchema.parse({ batch: { maxWaitMs: 50 } });
  const analytics = await startAnalytics({
    analytics: analyticsCfg,
    nats,
    streams,
    publisher,
    dataDir: t.dir,
  });
  const api = await startApi({
    api: apiConfigSchema.parse({ port: 0, rateLimit: { rate: 1_000_000, burst: 1_000_000 } }),
    analytics: analyticsCfg,
    nats,
    streams,
    publisher,
    dataDir: t.dir,
    store: analytics.store,
  });
  const node = new EventPublisher({ nc, name: 'bench-node', dataDir: t.dir, config: publisher });
  try {
    const token = api.bootstrapToken ?? '';
    progress(SUITE, `filling the store with ${FILL} events through JetStream and analytics`);
    const base = Date.now() - 600_000;
    for (let i = 0; i < FILL; i++) node.publish(attack(i, base + Math.floor((i * 600_000) / FILL)));
    await node.flush(120_000);
    await waitFor('events stored', async () => (await countEvents(analytics.store)) >= FILL, {
      timeoutMs: 180_000,
      intervalMs: 500,
    });
    const incidents = await api.deps.store.query<{ n: string }>(
      'SELECT uniqExact(incident_id) AS n FROM incidents_v1',
    );
    progress(SUITE, `${FILL} events, ${incidents[0]?.n ?? 0} incidents stored`);

    // chDB runs one query at a time per process: concurrency adds queueing, not throughput
    const one = await load(`${api.url}/api/v1/incidents?limit=50&minSeverity=1`, token, 1);
    metric(SUITE, 'incidents_p50_ms', percentile(one.lat, 50), 'ms', { concurrency: 1 });
    const inc = await load(`${api.url}/api/v1/incidents?limit=50&minSeverity=1`, token, CONCURRENCY);
    metric(SUITE, 'incidents_req_per_s', inc.rps, 'req/s', { concurrency: CONCURRENCY });
    metric(SUITE, 'incidents_p95_ms', percentile(inc.lat, 95), 'ms', { concurrency: CONCURRENCY });
    const direct: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await queryIncidents(analytics.store, { minSeverity: 1, sort: 'lastSeen', order: 'desc', limit: 50 });
      direct.push(performance.now() - t0);
    }
    direct.sort((a, b) => a - b);
    metric(SUITE, 'incidents_store_p50_ms', percentile(direct, 50), 'ms', {
      peer: 'same query on the store, no HTTP',
    });
    const ev = await load(
      `${api.url}/api/v1/events?reason=auth.bad_credentials&limit=100`,
      token,
      CONCURRENCY,
    );
    metric(SUITE, 'events_req_per_s', ev.rps, 'req/s', { concurrency: CONCURRENCY });
    metric(SUITE, 'events_p95_ms', percentile(ev.lat, 95), 'ms', { concurrency: CONCURRENCY });

    progress(SUITE, `stream: ${STREAM_EVENTS} events to ${CLIENTS} WebSocket clients`);
    const counts = new Array<number>(CLIENTS).fill(0);
    const sockets = await Promise.all(
      counts.map(
        (_, i) =>
          new Promise<WebSocket>((resolve) => {
            const ws = new WebSocket(`${api.url.replace('http', 'ws')}/api/v1/stream`, {
              headers: { authorization: `Bearer ${token}` },
            });
            ws.on('message', (d) => {
              const m = JSON.parse(d.toString()) as { type: string };
              if (m.type === 'ready')
                ws.send(JSON.stringify({ type: 'subscribe', filter: { types: ['event'] } }));
              else if (m.type === 'subscribed') resolve(ws);
              else if (m.type === 'event') counts[i] = (counts[i] ?? 0) + 1;
            });
          }),
      ),
    );
    const t0 = performance.now();
    for (let i = 0; i < STREAM_EVENTS; i++) node.publish(attack(FILL + i, Date.now()));
    await waitFor('every client has every event', async () => counts.every((c) => c >= STREAM_EVENTS), {
      timeoutMs: 120_000,
      intervalMs: 20,
    });
    const s = (performance.now() - t0) / 1000;
    metric(SUITE, 'stream_events_per_s', STREAM_EVENTS / s, 'events/s', {
      clients: CLIENTS,
      deliveries_per_s: Math.round((STREAM_EVENTS * CLIENTS) / s),
    });
    for (const ws of sockets) ws.close();
  } finally {
    await node.close();
    await api.stop();
    await analytics.stop();
    await nc.close();
    await server.stop();
    t.cleanup();
  }
}

await main();
