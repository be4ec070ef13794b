// A real Prometheus (Debian package) scraping the repository's real metric registries — the enforcement
// node's, inspection's, the event publisher's and consumers', analytics', the SIEM export's, the api's and
// the bridge's — plus the nats exporter in front of a real nats-server with the Sentinel streams, and
// every panel query of both dashboards answered with data through /api/v1/query.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, startPrometheus, tempDir, waitFor } from '@sentinel/infra';
import type { NatsServer, PrometheusServer } from '@sentinel/infra';
import {
  connectNats,
  DurableConsumer,
  ensureStreams,
  EventPublisher,
  ingestMetrics,
  makeEvent,
  natsConfigSchema,
  publisherConfigSchema,
  STREAMS,
  streamsConfigSchema,
  validateDecisionEvent,
} from '@sentinel/ingest';
import type { DecisionEventV1 } from '@sentinel/ingest';
import { createBridgeMetrics, createNodeMetrics, inspectionMetrics } from '@sentinel/enforcement';
import { analyticsMetrics } from '@sentinel/analytics';
import { exportMetrics } from '@sentinel/siem-export';
import { apiMetrics } from '@sentinel/api';
import { packagePath, startNatsExporter } from '../../src/index.ts';
import type { NatsExporter } from '../../src/index.ts';
import { panelQueries } from '../support.ts';

type Job = 'enforcement' | 'api' | 'export' | 'bridge';

function serve(registry: Registry): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    void registry.metrics().then((t) => res.writeHead(200, { 'content-type': registry.contentType }).end(t));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, port: a && typeof a === 'object' ? a.port : 0 });
    }),
  );
}

/** The registries of each component, moved by a timer as a busy fleet under attack would move them. */
function componentRegistries() {
  const regs: Record<Job, Registry> = {
    enforcement: new Registry(),
    api: new Registry(),
    export: new Registry(),
    bridge: new Registry(),
  };
  const node = createNodeMetrics(regs.enforcement);
  const inspection = inspectionMetrics(regs.enforcement);
  const nodeIngest = ingestMetrics(regs.enforcement);
  const analytics = analyticsMetrics(regs.api);
  const consumerIngest = ingestMetrics(regs.api);
  const api = apiMetrics(regs.api);
  const exp = exportMetrics(regs.export);
  const bridge = createBridgeMetrics(regs.bridge);
  const tick = (): void => {
    node.connectionsActive.set({ transport: 'tcp' }, 9_000 + Math.floor(Math.random() * 100));
    node.connectionsActive.set({ transport: 'tls' }, 1_000);
    for (let i = 0; i < 60; i++) node.packet(3, 120, 'out'); // PUBLISH to devices
    for (let i = 0; i < 5; i++) node.packet(3, 120, 'in');
    node.rateLimitRejected.inc({ tier: 'per_client' }, 3);
    node.rateLimitRejected.inc({ tier: 'per_ip' }, 1);
    node.authRequests.inc({ result: 'deny', cache: 'miss' }, 2);
    node.authRequests.inc({ result: 'allow', cache: 'hit' }, 20);
    node.authRequests.inc({ result: 'unavailable', cache: 'miss' }, 1);
    node.authLatency.observe({ cache: 'miss' }, 0.002 + Math.random() * 0.01);
    for (const [kind, decision] of [
      ['auth', 'deny'],
      ['publish', 'drop'],
      ['acl', 'deny'],
      ['inspection', 'quarantine'],
      ['anomaly', 'flag'],
      ['anomaly', 'disconnect'],
      ['penalty', 'deny'],
      ['connect', 'allow'],
    ] as const) {
      node.decisions.inc({ kind, decision });
    }
    inspection.findings.inc({ reason: 'inspection.sql_injection', action: 'drop' });
    inspection.findings.inc({ reason: 'anomaly.high_entropy', action: 'flag' });
    nodeIngest.published.inc({ stream: STREAMS.events }, 10);
    nodeIngest.spoolBytes.set(0);
    analytics.eventsStored.inc(10);
    analytics.incidents.inc({ rule: 'brute_force' });
    analytics.decisions.inc({ action: 'ban', origin: 'analytics' });
    consumerIngest.lag.set({ consumer: 'analytics' }, Math.floor(Math.random() * 50));
    api.requests.inc({ route: '/api/v1/events', method: 'GET', status: '200' });
    api.seconds.observe({ route: '/api/v1/events', method: 'GET' }, 0.01 + Math.random() * 0.05);
    exp.lag.set({ sink: 'siem', stream: STREAMS.events }, 5);
    exp.latency.observe({ sink: 'siem' }, 0.05 + Math.random() * 0.2);
    for (const direction of ['out', 'in'] as const) {
      bridge.ingested.inc({ direction }, 6);
      bridge.persisted.inc({ direction }, 6);
      bridge.latency.observe({ direction }, 0.001 + Math.random() * 0.01);
    }
  };
  return { regs, tick };
}

describe('dashboards against a real Prometheus', () => {
  let tmp: ReturnType<typeof tempDir>;
  let nats: NatsServer;
  let prometheus: PrometheusServer;
  let promUrl: string;
  let natsExporter: NatsExporter;
  const servers: Server[] = [];
  const closers: (() => Promise<unknown> | void)[] = [];

  beforeAll(async () => {
    tmp = tempDir('sentinel-prometheus-');
    nats = await startNats({ dir: join(tmp.dir, 'nats') });
    // Real streams, a real publisher and a real durable consumer, so the nats exporter has streams,
    // retention and a consumer backlog to show.
    const nc = await connectNats(natsConfigSchema.parse({ servers: [nats.url] }));
    closers.push(() => nc.close());
    await ensureStreams(nc, streamsConfigSchema.parse({}));
    const publisher = new EventPublisher({
      nc,
      name: 'dashboards-test',
      dataDir: join(tmp.dir, 'data'),
      config: publisherConfigSchema.parse({}),
    });
    for (let i = 0; i < 50; i++) {
      publisher.publish(
        makeEvent({
          node: 'edge-1',
          reason: 'connect.accepted',
          subject: { clientId: `d${i}`, ip: '127.0.0.1', port: 1000 + i, transport: 'tcp' },
        } as Parameters<typeof makeEvent>[0]),
      );
    }
    await publisher.flush();
    await publisher.close();
    const consumer = new DurableConsumer<DecisionEventV1>({
      nc,
      stream: STREAMS.events,
      durable: 'dashboards_test',
      validate: validateDecisionEvent,
      handle: async () => undefined,
    });
    await consumer.ensure();

    natsExporter = await startNatsExporter({ monitorUrl: `http://127.0.0.1:${nats.monitorPort}`, port: 0 });
    closers.push(() => natsExporter.close());
    const { regs, tick } = componentRegistries();
    tick();
    const timer = setInterval(tick, 200);
    closers.push(() => clearInterval(timer));
    const ports: Record<string, number> = { nats: Number(new URL(natsExporter.url).port) };
    for (const job of Object.keys(regs) as Job[]) {
      const s = await serve(regs[job]);
      servers.push(s.server);
      ports[job] = s.port;
    }

    // The shipped prometheus.yml with its targets pointed at this test's ports and a 1 s interval.
    const cfg = parse(readFileSync(packagePath('prometheus/prometheus.yml'), 'utf8')) as {
      global: Record<string, unknown>;
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    cfg.global.scrape_interval = '1s';
    cfg.global.evaluation_interval = '1s';
    cfg.rule_files = [packagePath('prometheus/alerts.yml')];
    for (const sc of cfg.scrape_configs)
      sc.static_configs = [{ targets: [`127.0.0.1:${ports[sc.job_name]}`] }];
    const promDir = join(tmp.dir, 'prometheus');
    mkdirSync(promDir, { recursive: true });
    writeFileSync(join(promDir, 'prometheus.yml'), stringify(cfg));
    prometheus = await startPrometheus({ dir: promDir, configFile: join(promDir, 'prometheus.yml') });
    promUrl = prometheus.url;
  });

  afterAll(async () => {
    await prometheus?.stop();
    for (const c of closers.reverse()) await c();
    for (const s of servers) await new Promise((r) => s.close(r));
    await nats?.stop();
    tmp?.cleanup();
  });

  async function query(expr: string): Promise<unknown[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data?.result ?? [];
  }

  it('scrapes every job of the shipped configuration', async () => {
    await waitFor(
      'all targets up',
      async () => {
        const r = (await query('up == 1')) as { metric: { job: string } }[];
        return r.length === 5 ? r : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const jobs = ((await query('up')) as { metric: { job: string } }[]).map((r) => r.metric.job).sort();
    expect(jobs).toEqual(['api', 'bridge', 'enforcement', 'export', 'nats']);
  });

  it('reads the Sentinel streams and their retention from nats-server through the exporter', async () => {
    const max = (
      await waitFor(
        'stream max age',
        async () => {
          const r = (await query(
            `sentinel_jetstream_stream_max_age_seconds{stream="${STREAMS.events}"}`,
          )) as {
            value: [number, string];
          }[];
          return r.length > 0 ? r : undefined;
        },
        { timeoutMs: 30_000 },
      )
    )[0]!;
    expect(Number(max.value[1])).toBe(72 * 3600);
    const msgs = (await query(`sentinel_jetstream_stream_messages{stream="${STREAMS.events}"}`)) as {
      value: [number, string];
    }[];
    expect(Number(msgs[0]?.value[1])).toBe(50);
    const pending = (await query('sentinel_jetstream_consumer_pending{consumer="dashboards_test"}')) as {
      value: [number, string];
    }[];
    expect(Number(pending[0]?.value[1])).toBe(50);
  });

  it.each(panelQueries().map((q) => [`${q.dashboard} / ${q.panel}`, q.expr]))(
    '%s returns data: %s',
    async (_panel, expr) => {
      const result = await waitFor(
        `data for ${expr}`,
        async () => {
          const r = await query(expr);
          return r.length > 0 ? r : undefined;
        },
        { timeoutMs: 45_000, intervalMs: 500 },
      );
      expect(result.length).toBeGreaterThan(0);
    },
  );
});
