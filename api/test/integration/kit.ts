// Shared setup of the api integration tests: a real nats-server (JetStream + MQTT), analytics on chDB
// ingesting what a simulated enforcement node publishes through the EventPublisher, and the api on a free
// port sharing analytics' store. Tokens for every role are created through the api itself.
import { BANS_BUCKET, EventPublisher, connectNats, ensureStreams, makeEvent } from '@sentinel/ingest';
import { natsConfigSchema, publisherConfigSchema, streamsConfigSchema } from '@sentinel/ingest';
import type { DecisionEventV1, NatsConfig, PublisherConfig, StreamsConfig } from '@sentinel/ingest';
import type { NatsConnection } from '@nats-io/nats-core';
import { Kvm } from '@nats-io/kv';
import type { KV } from '@nats-io/kv';
import { startNats, tempDir, waitFor } from '@sentinel/infra';
import type { NatsServer } from '@sentinel/infra';
import { analyticsConfigSchema, countEvents, startAnalytics } from '@sentinel/analytics';
import type { AnalyticsService } from '@sentinel/analytics';
import { ROLES, apiConfigSchema, startApi } from '@sentinel/api';
import type { ApiServer, Role } from '@sentinel/api';

export interface Kit {
  server: NatsServer;
  nc: NatsConnection;
  dir: string;
  nats: NatsConfig;
  streams: StreamsConfig;
  publisherCfg: PublisherConfig;
  bans: KV;
  node: EventPublisher;
  analytics: AnalyticsService;
  api: ApiServer;
  tokens: Record<Role, string>;
  call(method: string, path: string, token?: string, body?: unknown): Promise<Answer>;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  headers: Headers;
  json: unknown;
  bytes: Buffer;
}

export interface KitOptions {
  api?: Record<string, unknown>;
  /** Extra configuration sections the compliance facts read (e.g. enforcement). */
  fullConfig?: Record<string, unknown>;
  allowlist?: string[];
}

export async function startKit(o: KitOptions = {}): Promise<Kit> {
  const t = tempDir('sentinel-api-');
  const server = await startNats({ dir: `${t.dir}/nats` });
  const nats = natsConfigSchema.parse({ servers: [server.url] });
  const streams = streamsConfigSchema.parse({});
  const publisherCfg = publisherConfigSchema.parse({});
  const nc = await connectNats(nats, { component: 'test' });
  await ensureStreams(nc, streams);
  const bans = await new Kvm(nc).open(BANS_BUCKET);
  const node = new EventPublisher({ nc, name: 'node-sim', dataDir: t.dir, config: publisherCfg });
  const analyticsCfg = analyticsConfigSchema.parse({
    batch: { maxWaitMs: 50, ackWaitMs: 3000 },
    allowlist: o.allowlist ?? ['ip:10.0.0.0/8'],
  });
  const analytics = await startAnalytics({
    analytics: analyticsCfg,
    nats,
    streams,
    publisher: publisherCfg,
    dataDir: t.dir,
  });
  const api = await startApi({
    api: apiConfigSchema.parse({
      port: 0,
      quarantine: { coreMqttUrl: `mqtt://127.0.0.1:${server.mqttPort}` },
      ...o.api,
    }),
    analytics: analyticsCfg,
    nats,
    streams,
    publisher: publisherCfg,
    dataDir: t.dir,
    store: analytics.store,
    ...(o.fullConfig ? { fullConfig: o.fullConfig } : {}),
  });
  const call = async (method: string, path: string, token?: string, body?: unknown): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, bytes };
  };
  const admin = api.bootstrapToken;
  if (!admin) throw new Error('the first start did not create a bootstrap admin token');
  const tokens = { admin } as Record<Role, string>;
  for (const role of ROLES.filter((r) => r !== 'admin')) {
    const res = await call('POST', '/api/v1/tokens', admin, { name: `${role}-1`, role });
    if (res.status !== 201) throw new Error(`token for ${role}: ${res.status} ${res.bytes.toString()}`);
    tokens[role] = (res.json as { token: string }).token;
  }
  return {
    server,
    nc,
    dir: t.dir,
    nats,
    streams,
    publisherCfg,
    bans,
    node,
    analytics,
    api,
    tokens,
    call,
    async close() {
      await api.stop().catch(() => undefined);
      await analytics.stop().catch(() => undefined);
      await node.close().catch(() => undefined);
      await nc.close().catch(() => undefined);
      await server.stop();
      t.cleanup();
    },
  };
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

export function injection(clientId: string, ip: string, ts?: number): DecisionEventV1 {
  return makeEvent({
    node: 'edge-1',
    reason: 'inspect.sqli',
    subject: { ip, clientId, username: clientId, protocolVersion: 4, transport: 'tcp' },
    mqtt: { packetType: 'publish', topic: `devices/${clientId}/cmd`, qos: 1, payloadSize: 40 },
    rule: { id: 'sig.sqli.or_true', technique: 'T1190', matched: "' OR 1=1 --" },
    ...(ts !== undefined ? { ts } : {}),
    message: 'SQL injection signature in the payload',
  });
}

export function wildcard(clientId: string, ip: string, ts?: number): DecisionEventV1 {
  return makeEvent({
    node: 'edge-1',
    reason: 'acl.wildcard_denied',
    subject: { ip, clientId, username: clientId, protocolVersion: 4, transport: 'tcp' },
    mqtt: { packetType: 'subscribe', topic: '#' },
    ...(ts !== undefined ? { ts } : {}),
  });
}

export function accepted(clientId: string, ip: string, ts?: number): DecisionEventV1 {
  return makeEvent({
    node: 'edge-1',
    reason: 'connect.accepted',
    subject: { ip, clientId, username: clientId, protocolVersion: 4, transport: 'tcp' },
    mqtt: { packetType: 'connect' },
    ...(ts !== undefined ? { ts } : {}),
  });
}

/** Three brute-force IPs, two injecting clients, one wildcard subscriber: six incidents. */
export async function attackScenario(k: Kit): Promise<DecisionEventV1[]> {
  const base = Date.now() - 60_000;
  const events: DecisionEventV1[] = [];
  ['198.51.100.1', '198.51.100.2', '198.51.100.3'].forEach((ip, n) => {
    for (let i = 0; i < 5; i++) events.push(badLogin(ip, `admin${i}`, base + n * 1000 + i * 10));
  });
  events.push(injection('pump-7', '192.0.2.7', base + 5000));
  events.push(injection('valve-9', '192.0.2.9', base + 6000));
  events.push(wildcard('scanner-1', '192.0.2.66', base + 7000));
  for (let i = 0; i < 4; i++) events.push(accepted(`sensor-${i}`, `192.0.2.${100 + i}`, base + 8000 + i));
  for (const e of events) k.node.publish(e);
  await k.node.flush();
  await waitFor('scenario stored', async () => (await countEvents(k.analytics.store)) >= events.length, {
    timeoutMs: 30_000,
  });
  return events;
}
