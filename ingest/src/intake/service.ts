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
  const sink = new IntakeSink(
    publisher,
    Math.min(c.maxSpoolBytes, Math.floor(o.publisher.spoolMaxBytes * 0.9)),
  );
  let http: Server | undefined;
  let syslog: SyslogIntake | undefined;
  let kafka: KafkaIntake | undefined;
  const closeAll = async (): Promise<void> => {
    await kafka?.stop();
    await syslog?.stop();
    if (http) {
      const h = http;
      await new Promise<void>((resolve) => {
        h.close(() => resolve());
        h.closeAllConnections();
      });
    }
    await publisher.close();
    if (ownNc) await nc.drain().catch(() => nc.close());
  };
  try {
    let httpUrl: string | undefined;
    let metricsUrl: string | undefined;
    if (c.http.enabled) {
      const handler = httpIntakeHandler(handlerOptions(o, sink, metrics, registry, log));
      const tls = c.http.tlsCertFile !== undefined && c.http.tlsKeyFile !== undefined;
      http = tls
        ? createHttpsServer(
            {
              cert: readFileSync(c.http.tlsCertFile as string),
              key: readFileSync(c.http.tlsKeyFile as string),
            },
            handler,
          )
        : createHttpServer(handler);
      http.requestTimeout = 60_000;
      http.maxConnections = c.http.maxConnections;
      const port = await listen(http, c.http.port, c.http.host);
      httpUrl = `${tls ? 'https' : 'http'}://${c.http.host.includes(':') ? `[${c.http.host}]` : c.http.host}:${port}`;
      metricsUrl = `${httpUrl}/metrics`;
      log.info('HTTP intake listening', { url: httpUrl });
    } else if (c.metricsPort > 0) {
      // Syslog-only intake still answers health checks and scrapes; no token, so no event route.
      http = createHttpServer(
        httpIntakeHandler({ ...handlerOptions(o, sink, metrics, registry, log), token: undefined }),
      );
      const port = await listen(http, c.metricsPort, c.http.host);
      metricsUrl = `http://${c.http.host.includes(':') ? `[${c.http.host}]` : c.http.host}:${port}/metrics`;
    }
    syslog = await startSyslogIntake({ config: c.syslog, sink, metrics, log });
    if (c.kafka.enabled) {
      kafka = await startKafkaIntake({ config: c.kafka, sink, metrics, log, maxEvents: c.http.maxEvents });
    }
    return {
      httpUrl,
      metricsUrl,
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
