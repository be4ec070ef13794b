// The nats exporter against a real nats-server: streams and consumers while it runs, `up 0` once it is gone.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, tempDir } from '@sentinel/infra';
import type { NatsServer } from '@sentinel/infra';
import { connectNats, ensureStreams, natsConfigSchema, STREAMS, streamsConfigSchema } from '@sentinel/ingest';
import { startNatsExporter } from '../../src/index.ts';
import type { NatsExporter } from '../../src/index.ts';

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('nats exporter', () => {
  let tmp: ReturnType<typeof tempDir>;
  let nats: NatsServer;
  let exporter: NatsExporter;

  beforeAll(async () => {
    tmp = tempDir('sentinel-nats-exporter-');
    nats = await startNats({ dir: join(tmp.dir, 'nats') });
    const nc = await connectNats(natsConfigSchema.parse({ servers: [nats.url] }));
    await ensureStreams(nc, streamsConfigSchema.parse({}));
    await nc.close();
    exporter = await startNatsExporter({ monitorUrl: `http://127.0.0.1:${nats.monitorPort}`, port: 0 });
  });

  afterAll(async () => {
    await exporter?.close();
    await nats?.stop();
    tmp?.cleanup();
  });

  it('reports nats-server and JetStream up and the configured retention of the Sentinel streams', async () => {
    const text = await (await fetch(exporter.url)).text();
    expect(sample(text, 'sentinel_nats_up')).toBe(1);
    expect(sample(text, 'sentinel_nats_jetstream_enabled')).toBe(1);
    expect(sample(text, 'sentinel_jetstream_stream_max_age_seconds', `{stream="${STREAMS.events}"}`)).toBe(
      72 * 3600,
    );
  });

  it('reports up 0 once nats-server is gone, and keeps serving', async () => {
    await nats.stop();
    const res = await fetch(exporter.url);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(sample(text, 'sentinel_nats_up')).toBe(0);
    expect(sample(text, 'sentinel_nats_jetstream_enabled')).toBe(0);
    expect(text).not.toContain('sentinel_jetstream_stream_messages{');
  });
});
