// Shared setup of the analytics integration tests: a real nats-server with JetStream, a simulated
// enforcement node publishing DecisionEventV1 through the EventPublisher exactly as a node does, and
// the analytics configuration with test-sized timings.
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { KV } from '@nats-io/kv';
import {
  BANS_BUCKET,
  EventPublisher,
  connectNats,
  ensureStreams,
  makeEvent,
  natsConfigSchema,
  publisherConfigSchema,
  streamsConfigSchema,
} from '@sentinel/ingest';
import type {
  DecisionEventV1,
  EventInit,
  NatsConfig,
  PublisherConfig,
  StreamsConfig,
} from '@sentinel/ingest';
import { startNats, tempDir } from '@sentinel/infra';
import type { NatsServer } from '@sentinel/infra';
import { analyticsConfigSchema } from '@sentinel/analytics';
import type { AnalyticsConfig } from '@sentinel/analytics';

export interface Kit {
  server: NatsServer;
  nc: NatsConnection;
  dir: string;
  nats: NatsConfig;
  streams: StreamsConfig;
  publisherCfg: PublisherConfig;
  bans: KV;
  /** A simulated enforcement node's publisher. */
  node: EventPublisher;
  close(): Promise<void>;
}

/** `mqtt`: also open nats-server's MQTT listener (the core broker behind an enforcement node). */
export async function startKit(opts: { mqtt?: boolean } = {}): Promise<Kit> {
  const t = tempDir('sentinel-analytics-');
  const server = await startNats({ dir: `${t.dir}/nats`, ...(opts.mqtt ? {} : { mqttPort: 0 }) });
  const nats = natsConfigSchema.parse({ servers: [server.url] });
  const streams = streamsConfigSchema.parse({});
  const publisherCfg = publisherConfigSchema.parse({});
  const nc = await connectNats(nats, { component: 'test' });
  await ensureStreams(nc, streams);
  const bans = await new Kvm(nc).open(BANS_BUCKET);
  const node = new EventPublisher({ nc, name: 'node-sim', dataDir: t.dir, config: publisherCfg });
  return {
    server,
    nc,
    dir: t.dir,
    nats,
    streams,
    publisherCfg,
    bans,
    node,
    async close() {
      await node.close().catch(() => undefined);
      await nc.close().catch(() => undefined);
      await server.stop();
      t.cleanup();
    },
  };
}

export function analyticsConfig(patch: Record<string, unknown> = {}): AnalyticsConfig {
  return analyticsConfigSchema.parse({ batch: { maxWaitMs: 50, ackWaitMs: 3000 }, ...patch });
}

/** An event as the node would emit it. */
export function ev(init: EventInit): DecisionEventV1 {
  return makeEvent(init);
}

export function badLogin(ip: string, username: string, ts?: number): DecisionEventV1 {
  return makeEvent({
    node: 'edge-1',
    reason: 'auth.bad_credentials',
    subject: { ip, port: 50000, clientId: `c-${username}`, username, protocolVersion: 4, transport: 'tcp' },
    mqtt: { packetType: 'connect' },
    ...(ts !== undefined ? { ts } : {}),
    message: 'the auth service rejected the credentials',
  });
}

/** Every record of a stream, read with an ordered consumer. */
export async function readStream<T>(
  nc: NatsConnection,
  stream: string,
): Promise<{ subject: string; value: T }[]> {
  const js = jetstream(nc);
  const info = await (await js.consumers.get(stream)).info();
  const total = info.num_pending;
  const out: { subject: string; value: T }[] = [];
  if (total === 0) return out;
  const c = await js.consumers.get(stream);
  const iter = await c.fetch({ max_messages: total, expires: 2000 });
  for await (const m of iter) out.push({ subject: m.subject, value: m.json<T>() });
  return out;
}
