// Shared setup of the siem-export integration tests: a real nats-server with JetStream and Sentinel's
// streams, a publisher that writes events and incidents the way enforcement and analytics do, and sink
// configurations parsed through the real schema.
import type { NatsConnection } from '@nats-io/nats-core';
import {
  connectNats,
  createLogger,
  ensureStreams,
  EventPublisher,
  makeEvent,
  natsConfigSchema,
  publisherConfigSchema,
  silentLogger,
  streamsConfigSchema,
  SUBJECTS,
  ulid,
} from '@sentinel/ingest';
import type { DecisionEventV1, IncidentV1, Logger, ReasonCode } from '@sentinel/ingest';
import { startNats, tempDir, waitFor } from '@sentinel/infra';
import type { NatsServer } from '@sentinel/infra';
import { sinkConfigSchema } from '../../src/index.ts';
import type { SinkConfig } from '../../src/index.ts';

export interface Kit {
  server: NatsServer;
  nc: NatsConnection;
  dir: string;
  publisher: EventPublisher;
  log: Logger;
  close(): Promise<void>;
}

export async function startKit(name: string): Promise<Kit> {
  const t = tempDir(`sentinel-export-${name}-`);
  const server = await startNats({ dir: `${t.dir}/nats`, mqttPort: 0 });
  const nc = await connectNats(natsConfigSchema.parse({ servers: [server.url] }), { component: 'test' });
  await ensureStreams(nc, streamsConfigSchema.parse({}));
  const publisher = new EventPublisher({ nc, name, dataDir: t.dir, config: publisherConfigSchema.parse({}) });
  const log =
    process.env.SENTINEL_TEST_VERBOSE === '1' ? createLogger({ test: name }, 'debug') : silentLogger;
  return {
    server,
    nc,
    dir: t.dir,
    publisher,
    log,
    async close() {
      await publisher.close().catch(() => undefined);
      await nc.close().catch(() => undefined);
      await server.stop();
      t.cleanup();
    },
  };
}

const REASONS: ReasonCode[] = [
  'auth.bad_credentials',
  'rate.per_ip',
  'acl.publish_denied',
  'connect.accepted',
  'inspect.sqli',
];

/** A varied event, with characters every format must escape in the topic and message. */
export function testEvent(i: number, run = 'r'): DecisionEventV1 {
  return makeEvent({
    node: 'edge-1',
    reason: REASONS[i % REASONS.length] as ReasonCode,
    subject: {
      clientId: `dev-${i % 97}`,
      username: `user${i % 7}`,
      ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
      port: 1000 + i,
    },
    mqtt: { packetType: 'publish', topic: `plant/${run}/line|${i}/a=b\\c` },
    message: `event ${run} #${i}: "quoted" [bracket] ü 🚨`,
  });
}

export function testIncident(i: number): IncidentV1 {
  const ts = Date.now();
  return {
    v: 1,
    id: ulid(ts),
    ts,
    incidentId: `inc-${i}`,
    rule: 'auth.brute_force',
    title: `Brute force #${i}`,
    severity: 8,
    status: 'new',
    technique: 'T1110',
    tactic: 'Credential Access',
    identity: { scope: 'ip', value: `10.9.0.${i}` },
    firstSeen: ts - 1000,
    lastSeen: ts,
    eventCount: 20 + i,
    eventIds: [],
  };
}

export function publishIncident(p: EventPublisher, inc: IncidentV1): void {
  p.publishRecord(`${SUBJECTS.incidents}.new`, inc);
}

/** Publish events and wait until JetStream has them all. */
export async function publishEvents(p: EventPublisher, events: DecisionEventV1[]): Promise<void> {
  for (const e of events) p.publish(e);
  if (!(await p.flush(30_000))) throw new Error('publisher did not flush');
}

/** A sink configuration through the real schema, with quick retries for tests. */
export function sinkConfig(input: Record<string, unknown>): SinkConfig {
  return sinkConfigSchema.parse({
    ...input,
    delivery: { backoffMinMs: 50, backoffMaxMs: 500, ...(input.delivery as object | undefined) },
  });
}

export { waitFor };

/** The record id of a CEF line (externalId=...). */
export function cefId(line: string): string | undefined {
  return /externalId=([0-9A-Z]{26})/.exec(line)?.[1];
}

/** Count how often each string occurs. */
export function counts(xs: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}
