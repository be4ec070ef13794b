// Shared setup of the ingest integration tests: a real nats-server with JetStream per test file.
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  connectNats,
  ensureStreams,
  makeEvent,
  natsConfigSchema,
  publisherConfigSchema,
  streamsConfigSchema,
} from '@sentinel/ingest';
import type { DecisionEventV1, PublisherConfig } from '@sentinel/ingest';
import { startNats, tempDir } from '@sentinel/infra';
import type { NatsServer } from '@sentinel/infra';

export interface NatsKit {
  server: NatsServer;
  nc: NatsConnection;
  dir: string;
  natsConfig: ReturnType<typeof natsConfigSchema.parse>;
  close(): Promise<void>;
}

export async function startKit(): Promise<NatsKit> {
  const t = tempDir('sentinel-ingest-');
  const server = await startNats({ dir: `${t.dir}/nats`, mqttPort: 0 });
  const natsConfig = natsConfigSchema.parse({ servers: [server.url] });
  const nc = await connectNats(natsConfig, { component: 'test' });
  await ensureStreams(nc, streamsConfigSchema.parse({}));
  return {
    server,
    nc,
    dir: t.dir,
    natsConfig,
    async close() {
      await nc.close().catch(() => undefined);
      await server.stop();
      t.cleanup();
    },
  };
}

export function publisherConfig(patch: Partial<PublisherConfig> = {}): PublisherConfig {
  return { ...publisherConfigSchema.parse({}), ...patch };
}

export function sampleEvent(i: number): DecisionEventV1 {
  return makeEvent({
    node: 'test-node',
    reason: i % 3 === 0 ? 'auth.bad_credentials' : i % 3 === 1 ? 'rate.per_ip' : 'publish.summary',
    subject: {
      clientId: `dev-${i % 1000}`,
      ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
      port: 1000 + (i % 50000),
    },
    mqtt: { packetType: 'publish', topic: `devices/dev-${i}/telemetry`, qos: 1, payloadSize: 100 },
  });
}

/** Every message of a stream, read with an ephemeral ordered consumer. */
export async function readStream(
  nc: NatsConnection,
  stream: string,
  subject?: string,
): Promise<{ ids: string[]; data: string[]; headers: (Record<string, string> | undefined)[] }> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const total = info.state.messages;
  const js = jetstream(nc);
  // nats-server 2.9 has no multi-filter consumers; filter here instead.
  const c = await js.consumers.get(stream);
  const ids: string[] = [];
  const data: string[] = [];
  const headers: (Record<string, string> | undefined)[] = [];
  if (total === 0) return { ids, data, headers };
  const iter = await c.consume({ max_messages: 1000 });
  for await (const m of iter) {
    const last = m.info.pending === 0;
    if (subject && m.subject !== subject) {
      if (last) break;
      continue;
    }
    const text = m.string();
    data.push(text);
    const h = m.headers;
    headers.push(h ? Object.fromEntries([...h.keys()].map((k) => [k, h.get(k)])) : undefined);
    try {
      ids.push((JSON.parse(text) as { id: string }).id);
    } catch {
      ids.push('');
    }
    if (last) break;
  }
  iter.stop();
  return { ids, data, headers };
}
