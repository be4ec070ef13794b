// `sentinel export` as an operator runs it: the real command in its own process against a real
// nats-server, a file sink configured in sentinel.yaml, /metrics served, then SIGTERM.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  connectNats,
  ensureStreams,
  EventPublisher,
  makeEvent,
  natsConfigSchema,
  publisherConfigSchema,
  streamsConfigSchema,
} from '@sentinel/ingest';
import type { NatsConnection } from '@nats-io/nats-core';
import { getFreePort, startNats, tempDir, waitFor } from '@sentinel/infra';
import type { NatsServer } from '@sentinel/infra';
import { runSentinel } from '../support/sentinel.ts';
import type { SentinelProcess } from '../support/sentinel.ts';

describe('sentinel export', () => {
  const t = tempDir('sentinel-export-cli-');
  let nats: NatsServer;
  let nc: NatsConnection;
  let proc: SentinelProcess;
  let metricsPort = 0;
  const out = join(t.dir, 'events.ndjson');

  beforeAll(async () => {
    nats = await startNats({ dir: join(t.dir, 'nats'), mqttPort: 0 });
    nc = await connectNats(natsConfigSchema.parse({ servers: [nats.url] }), { component: 'test' });
    await ensureStreams(nc, streamsConfigSchema.parse({}));
    metricsPort = await getFreePort();
    const file = join(t.dir, 'sentinel.yaml');
    writeFileSync(
      file,
      stringify({
        dataDir: join(t.dir, 'state'),
        nats: { servers: [nats.url] },
        export: {
          metricsPort,
          sinks: [
            { name: 'cli_file', kind: 'file', path: out, format: 'json', filters: { source: 'events' } },
          ],
        },
      }),
    );
    proc = runSentinel(['--config', file, 'export'], {
      cwd: t.dir,
    });
    await proc.printed('export running', 60_000);
  }, 90_000);

  afterAll(async () => {
    if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
    await nc?.close().catch(() => undefined);
    await nats?.stop();
    t.cleanup();
  });

  it('sentinel export - delivers published events to the configured sink and counts them on /metrics', async () => {
    expect(proc.child.exitCode, proc.out()).toBeNull();
    const publisher = new EventPublisher({
      nc,
      name: 'cli-test',
      dataDir: t.dir,
      config: publisherConfigSchema.parse({}),
    });
    const events = Array.from({ length: 20 }, (_, i) =>
      makeEvent({
        node: 'edge-1',
        reason: 'auth.bad_credentials',
        subject: { clientId: `dev-${i}`, ip: '10.0.0.1' },
      }),
    );
    for (const e of events) publisher.publish(e);
    await publisher.flush();
    await publisher.close();
    const ids = (): string[] =>
      existsSync(out)
        ? readFileSync(out, 'utf8')
            .split('\n')
            .filter((l) => l.length > 0)
            .map((l) => (JSON.parse(l) as { id: string }).id)
        : [];
    await waitFor('20 events in the sink file', () => ids().length >= 20);
    expect(ids()).toEqual(events.map((e) => e.id));
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/sentinel_export_sent_total\{sink="cli_file"\} 20/);
  });

  it('sentinel export - stops cleanly on SIGTERM', async () => {
    const exited = proc.exited;
    proc.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
