// The intake service of `sentinel up`: off on the default configuration; with a syslog port set it runs
// against a real nats-server and a line sent to it lands in SENTINEL_EVENTS.
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAMS, connectNats, natsConfigSchema, silentLogger } from '@sentinel/ingest';
import type { DecisionEventV1 } from '@sentinel/ingest';
import type { NatsConnection } from '@nats-io/nats-core';
import { getFreePorts, startNats, tempDir, waitFor } from '@sentinel/infra';
import type { NatsServer } from '@sentinel/infra';
import { loadConfig } from '../../config.ts';
import { intakeService } from '../../services/intake.ts';

describe('sentinel up - intake service', () => {
  const t = tempDir('sentinel-intake-svc-');
  let nats: NatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startNats({ dir: join(t.dir, 'nats'), mqttPort: 0 });
    nc = await connectNats(natsConfigSchema.parse({ servers: [nats.url] }), { component: 'test' });
  });

  afterAll(async () => {
    await nc?.close().catch(() => undefined);
    await nats?.stop();
    t.cleanup();
  });

  it('is off on the default configuration and opens nothing', async () => {
    const { config } = loadConfig(undefined, { SENTINEL_NATS_SERVERS: nats.url });
    const svc = await intakeService.start({ config, dataDir: t.dir, log: silentLogger });
    expect(svc.endpoints).toEqual([{ label: 'Intake', url: 'off', note: 'no listener under intake' }]);
    await svc.stop();
  });

  it('with intake.syslog.udpPort set it creates the streams, listens, and publishes what it maps', async () => {
    const [port, metricsPort] = (await getFreePorts(2)) as [number, number];
    const { config } = loadConfig(undefined, {
      SENTINEL_NATS_SERVERS: nats.url,
      SENTINEL_INTAKE_SYSLOG_UDP_PORT: String(port),
      SENTINEL_INTAKE_METRICS_PORT: String(metricsPort),
    });
    const svc = await intakeService.start({ config, dataDir: t.dir, log: silentLogger });
    try {
      const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
      expect(svc.endpoints).toEqual([
        { label: 'Intake metrics', url: metricsUrl },
        { label: 'Intake syslog', url: `udp://127.0.0.1:${port}` },
      ]);
      const sock = createSocket('udp4');
      const line =
        '<30>Nov 21 23:00:00 core-1 mosquitto[9]: Client plc-3 has exceeded timeout, disconnecting.';
      let got: DecisionEventV1 | undefined;
      await waitFor('the mapped event in SENTINEL_EVENTS', async () => {
        await new Promise<void>((resolve) => sock.send(line, port, '127.0.0.1', () => resolve()));
        const c = await jetstream(nc).consumers.get(STREAMS.events);
        const m = await c.next({ expires: 1000 });
        got = m?.json<DecisionEventV1>();
        return got !== undefined;
      });
      sock.close();
      const text = await (await fetch(metricsUrl)).text();
      expect(text).toMatch(
        /sentinel_ingest_intake_received_total\{source="syslog_udp",outcome="accepted"\} [1-9]/,
      );
      const health = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
      expect(health.status).toBe(200);
      expect(got).toMatchObject({
        node: 'syslog:core-1',
        reason: 'protocol.keepalive_timeout',
        subject: { clientId: 'plc-3' },
      });
    } finally {
      await svc.stop();
    }
  });
});
