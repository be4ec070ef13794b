// The intake process: check the settings, connect to NATS, open a publisher of its own (its own spool),
// then the listeners the configuration asks for. Used by `sentinel intake`.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { NatsConnection } from '@nats-io/nats-core';
import { Registry } from 'prom-client';
import type { NatsConfig, PublisherConfig, StreamsConfig } from '../config/schema.ts';
import { ConfigError, IngestError, IngestErrorCode } from '../errors.ts';
import { ingestMetrics } from '../metrics/ingest-metrics.ts';
import { EventPublisher } from '../publisher/publisher.ts';
import { connectNats } from '../streams/connect.ts';
import { ensureStreams } from '../streams/setup.ts';
import type { Logger } from '../util/log.ts';
import type { IntakeConfig } from './config.ts';
import { httpIntakeHandler } from './http.ts';
import type { HttpIntakeOptions } from './http.ts';
import { intakeMetrics } from './metrics.ts';
import type { IntakeMetrics } from './metrics.ts';
import { IntakeSink } from './sink.ts';
import { allowList, startSyslogIntake } from './syslog/server.ts';
import type { SyslogIntake } from './syslog/server.ts';
import { startKafkaIntake } from './kafka.ts';
import type { KafkaIntake } from './kafka.ts';

export interface StartIntakeOptions {
  config: IntakeConfig;
  nats: NatsConfig;
  publisher: PublisherConfig;
  /** Created (idempotently) before the first event when given. */
  streams?: StreamsConfig;
  dataDir: string;
  log: Logger;
  registry?: Registry;
  /** An existing connection (tests, or a process that already has one); closed by stop() only if intake opened it. */
  nc?: NatsConnection;
}

export interface IntakeService {
  /** http(s)://host:port of the HTTP listener when it runs. */
  httpUrl: string | undefined;
  /** Where /metrics and /healthz are served (the HTTP listener, or intake.metricsPort when it is off). */
  metricsUrl: string | undefined;
  syslogUdpPort: number | undefined;
  syslogTcpPort: number | undefined;
  publisher: EventPublisher;
  registry: Registry;
  stop(): Promise<void>;
}

/** Settings checks that need no I/O; throws ConfigError naming the key. */
export function checkIntakeConfig(c: IntakeConfig): void {
  const syslogOn = c.syslog.udpPort > 0 || c.syslog.tcpPort > 0;
  if (!c.http.enabled && !syslogOn && !c.kafka.enabled) {
    throw new ConfigError('intake has no listener: intake.http.enabled is false and no syslog port is set', {
      key: 'intake.http.enabled',
      value: false,
      source: 'config',
      hint: 'set intake.http.enabled: true (with intake.http.token), intake.syslog.udpPort, intake.syslog.tcpPort or intake.kafka.enabled',
    });
  }
  if (c.kafka.enabled && c.kafka.brokers.length === 0) {
    throw new ConfigError('config key intake.kafka.brokers is empty while intake.kafka.enabled is true', {
      key: 'intake.kafka.brokers',
      value: [],
      source: 'config',
      hint: 'set SENTINEL_INTAKE_KAFKA_BROKERS=host:9092[,host2:9092]',
    });
  }
  if (c.kafka.saslMechanism && (c.kafka.username === undefined || c.kafka.password === undefined)) {
    throw new ConfigError(
      'intake.kafka.saslMechanism needs intake.kafka.username and intake.kafka.password',
      {
        key: 'intake.kafka.username',
        source: 'config',
      },
    );
  }
  if (c.http.enabled && c.http.token === undefined) {
    // Never an open intake: anyone who reaches the port could write events into the log.
    throw new ConfigError(
      'config key intake.http.token is not set: HTTP intake refuses to start without a token',
      {
        key: 'intake.http.token',
        source: 'config',
        hint: 'set SENTINEL_INTAKE_HTTP_TOKEN to a random secret of at least 16 characters (e.g. openssl rand -hex 32)',
      },
    );
  }
  if ((c.http.tlsCertFile === undefined) !== (c.http.tlsKeyFile === undefined)) {
    throw new ConfigError('intake.http.tlsCertFile and intake.http.tlsKeyFile must be set together', {
      key: c.http.tlsCertFile === undefined ? 'intake.http.tlsCertFile' : 'intake.http.tlsKeyFile',
      source: 'config',
    });
  }
  allowList(c.syslog.allowFrom);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new IngestError(
          IngestErrorCode.IntakeListen,
          `HTTP intake could not listen on ${host}:${port}: ${err.message}`,
          {
            cause: err,
            context: { host, port },
          },
        ),
      ),
    );
    server.listen(port, host, () => {
      const a = server.address();
      resolve(a && typeof a === 'object' ? a.port : port);
    });
  });
}

function handlerOptions(
  o: StartIntakeOptions,
  sink: IntakeSink,
  metrics: IntakeMetrics,
  registry: Registry,
  log: Logger,
): HttpIntakeOptions {
  const h = o.config.http;
  return {
    token: h.token,
    maxBodyBytes: h.maxBodyBytes,
    maxEvents: h.maxEvents,
    retryAfterS: o.config.retryAfterS,
    sink,
    metrics,
    registry,
    log,
  };
}

interface HttpListener {
  server: Server;
  /** The event route's base URL; undefined for the health-and-metrics-only listener. */
  url: string | undefined;
  metricsUrl: string;
}

function hostPart(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The HTTP intake listener, or for syslog-only intake a listener for /healthz and /metrics alone. */
async function startHttp(
  opts: HttpIntakeOptions,
  c: IntakeConfig,
  log: Logger,
): Promise<HttpListener | undefined> {
  const h = c.http;
  if (!h.enabled) {
    if (c.metricsPort === 0) return undefined;
    // No token, so no event route: only health checks and scrapes.
    const server = createHttpServer(httpIntakeHandler({ ...opts, token: undefined }));
    const port = await listen(server, c.metricsPort, h.host);
    return { server, url: undefined, metricsUrl: `http://${hostPart(h.host)}:${port}/metrics` };
  }
  const handler = httpIntakeHandler(opts);
  const tls = h.tlsCertFile !== undefined && h.tlsKeyFile !== undefined;
  const server = tls
    ? createHttpsServer(
        { cert: readFileSync(h.tlsCertFile as string), key: readFileSync(h.tlsKeyFile as string) },
        handler,
      )
    : createHttpServer(handler);
  server.requestTimeout = 60_000;
  server.maxConnections = h.maxConnections;
  const port = await listen(server, h.port, h.host);
  const url = `${tls ? 'https' : 'http'}://${hostPart(h.host)}:${port}`;
  log.info('HTTP intake listening', { url });
  return { server, url, metricsUrl: `${url}/metrics` };
}

export async function startIntake(o: StartIntakeOptions): Promise<IntakeService> {
  const c = o.config;
  checkIntakeConfig(c);
  const log = o.log.child({ component: 'intake' });
  const registry = o.registry ?? new Registry();
  const metrics = intakeMetrics(registry);
  const nc = o.nc ?? (await connectNats(o.nats, { component: 'intake' }));
  const ownNc = o.nc === undefined;
  if (o.streams) await ensureStreams(nc, o.streams, o.nats.replicas);
  const publisher = new EventPublisher({
    nc,
    name: c.publisherName,
    dataDir: o.dataDir,
    config: o.publisher,
    metrics: ingestMetrics(registry),
    log,
  });
  // Senders must be told to back off before the spool is full and starts dropping: never past 90% of it.
  const bound = Math.min(c.maxSpoolBytes, Math.floor(o.publisher.spoolMaxBytes * 0.9));
  const sink = new IntakeSink(publisher, bound);
  let http: HttpListener | undefined;
  let syslog: SyslogIntake | undefined;
  let kafka: KafkaIntake | undefined;
  const closeAll = async (): Promise<void> => {
    await kafka?.stop();
    await syslog?.stop();
    const server = http?.server;
    if (server)
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    await publisher.close();
    if (ownNc) await nc.drain().catch(() => nc.close());
  };
  try {
    http = await startHttp(handlerOptions(o, sink, metrics, registry, log), c, log);
    syslog = await startSyslogIntake({ config: c.syslog, sink, metrics, log });
    if (c.kafka.enabled)
      kafka = await startKafkaIntake({ config: c.kafka, sink, metrics, log, maxEvents: c.http.maxEvents });
    return {
      httpUrl: http?.url,
      metricsUrl: http?.metricsUrl,
      syslogUdpPort: syslog.udpPort,
      syslogTcpPort: syslog.tcpPort,
      publisher,
      registry,
      stop: closeAll,
    };
  } catch (err) {
    await closeAll().catch(() => undefined);
    throw err;
  }
}
