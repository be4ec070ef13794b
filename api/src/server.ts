// startApi(): connects NATS, opens the token bucket, the decision path, the store, the live stream and
// the HTTP server. Configuration is parsed before (cli/config.ts); this only does the I/O.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from '@nats-io/nats-core';
import { loadRules, openDecisions, openStore } from '@sentinel/analytics';
import type { AnalyticsConfig, DetectionRule, Store } from '@sentinel/analytics';
import {
  EventPublisher,
  connectNats,
  ensureStreams,
  ingestMetrics,
  redact,
  silentLogger,
} from '@sentinel/ingest';
import type { Logger, NatsConfig, PublisherConfig, StreamsConfig } from '@sentinel/ingest';
import type { Express } from 'express';
import type { Registry } from 'prom-client';
import { ActionRecorder } from './actions.ts';
import { TokenStore } from './auth/tokens.ts';
import type { ApiConfig } from './config.ts';
import type { ApiDeps } from './deps.ts';
import { createApp } from './http/app.ts';
import { apiMetrics, collectProcessMetrics } from './metrics.ts';
import { Quarantine } from './quarantine.ts';
import { factsFromConfig } from './reports/facts.ts';
import { ReportSigner } from './reports/sign.ts';
import { LiveStream } from './stream/live.ts';

export interface ApiOptions {
  api: ApiConfig;
  analytics: AnalyticsConfig;
  nats: NatsConfig;
  streams: StreamsConfig;
  publisher: PublisherConfig;
  /** Absolute data directory (publisher spools, chDB). */
  dataDir: string;
  /** An open store (analytics' in the same process, or tests); otherwise the configured one. */
  store?: Store;
  rules?: DetectionRule[];
  /** The whole effective configuration: compliance facts and GET /config read it. */
  fullConfig?: Record<string, unknown>;
  /** Registries of components in this process, served on /metrics. */
  registries?: Registry[];
  log?: Logger;
  now?: () => number;
}

export interface ApiServer {
  url: string;
  /** The express app (its router is what the OpenAPI document describes). */
  app: Express;
  port: number;
  deps: ApiDeps;
  stream: LiveStream;
  /** Set only on the start that created the first admin token: print it once, store it nowhere. */
  bootstrapToken?: string;
  stop(): Promise<void>;
}

async function bootstrap(tokens: TokenStore, enabled: boolean): Promise<string | undefined> {
  if (!enabled || tokens.hasRole('admin')) return undefined;
  const { token } = await tokens.create('bootstrap-admin', 'admin', 'sentinel');
  return token;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startApi(o: ApiOptions): Promise<ApiServer> {
  const log = (o.log ?? silentLogger).child({ component: 'api' });
  const now = o.now ?? Date.now;
  const metrics = apiMetrics();
  collectProcessMetrics();
  const nc: NatsConnection = await connectNats(o.nats, { component: 'api' });
  const { jsm, bans } = await ensureStreams(nc, o.streams, o.nats.replicas);
  const store = o.store ?? openStore(o.analytics, o.dataDir);
  const tokens = await TokenStore.open(nc, o.api.access.bucket, o.nats.replicas);
  const publisher = new EventPublisher({
    nc,
    name: 'api-actions',
    dataDir: o.dataDir,
    config: o.publisher,
    metrics: ingestMetrics(metrics.registry),
    log,
  });
  const decisions = await openDecisions({
    nc,
    analytics: o.analytics,
    streams: o.streams,
    publisher: o.publisher,
    dataDir: o.dataDir,
    name: 'api-decisions',
    replicas: o.nats.replicas,
    store,
    log,
  });
  const signer = o.api.reports.signingKeyFile
    ? ReportSigner.fromFile(o.api.reports.signingKeyFile)
    : undefined;
  const full = o.fullConfig ?? { api: o.api, analytics: o.analytics, nats: o.nats, streams: o.streams };
  const deps: ApiDeps = {
    config: o.api,
    analytics: o.analytics,
    store,
    nc,
    tokens,
    actions: new ActionRecorder(publisher, now),
    decisions: decisions.decisions,
    bans,
    rules: o.rules ?? loadRules(o.analytics.rulesFile),
    quarantine: new Quarantine({
      nc,
      jsm,
      coreMqttUrl: o.api.quarantine.coreMqttUrl,
      releaseMaxQos: o.api.quarantine.releaseMaxQos,
    }),
    signer,
    facts: factsFromConfig(full, { reportSigning: signer !== undefined }),
    redactedConfig: redact(full),
    metrics,
    registries: o.registries ?? [],
    log,
    now,
  };
  const app = createApp(deps, {
    async ready() {
      const natsOk =
        !nc.isClosed() &&
        (await nc.flush().then(
          () => true,
          () => false,
        ));
      const storeOk = await store.query('SELECT 1 AS one').then(
        () => true,
        () => false,
      );
      return { ready: natsOk && storeOk, checks: { nats: natsOk, store: storeOk } };
    },
  });
  const stream = new LiveStream({
    nc,
    tokens,
    queueSize: o.api.stream.queueSize,
    maxBufferedBytes: o.api.stream.maxBufferedBytes,
    authTimeoutS: o.api.stream.authTimeoutS,
    metrics,
    log,
  });
  await stream.start();
  const server = createServer(app);
  stream.attach(server);
  const port = await listen(server, o.api.host, o.api.port);
  const bootstrapToken = await bootstrap(tokens, o.api.access.bootstrapAdmin);
  log.info('api listening', { host: o.api.host, port });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await stream.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      tokens.stop();
      await decisions.close();
      await publisher.close();
      await nc.close();
      if (!o.store) await store.close();
    })());
  return {
    url: `http://${o.api.host}:${port}`,
    app,
    port,
    deps,
    stream,
    ...(bootstrapToken ? { bootstrapToken } : {}),
    stop,
  };
}
