// `sentinel enforce` with two worker processes: the primary routes every connection of a source IP to
// the same worker, so the per-IP CONNECT budget holds across workers, and /metrics sums the workers.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNats, ensureStreams, natsConfigSchema, streamsConfigSchema } from '@sentinel/ingest';
import type { NatsConnection } from '@nats-io/nats-core';
import { getFreePorts, isListening, startNats, tempDir, waitFor } from '@sentinel/infra';
import type { NatsServer } from '@sentinel/infra';
import { ipShard } from '../../src/transport/cluster.ts';
import { connectClient, connectFrom, followEvents, until } from '../support/kit.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

describe('cluster workers', () => {
  const t = tempDir('sentinel-cluster-');
  let nats: NatsServer;
  let nc: NatsConnection;
  let child: ChildProcess;
  let tcpPort: number;
  let metricsPort: number;
  let wsPort: number;
  let stderr = '';

  beforeAll(async () => {
    nats = await startNats({ dir: `${t.dir}/nats` });
    nc = await connectNats(natsConfigSchema.parse({ servers: [nats.url] }), { component: 'test' });
    await ensureStreams(nc, streamsConfigSchema.parse({}));
    [tcpPort, metricsPort, wsPort] = (await getFreePorts(3)) as [number, number, number];
    child = spawn(process.execPath, ['bin/sentinel.mjs', 'enforce'], {
      cwd: repo,
      env: {
        ...process.env,
        SENTINEL_CONFIG_FILE: `${t.dir}/none.yaml`,
        SENTINEL_DATA_DIR: `${t.dir}/data`,
        SENTINEL_NATS_SERVERS: nats.url,
        SENTINEL_LOG_LEVEL: 'warn',
        SENTINEL_ENFORCEMENT_WORKERS: '2',
        SENTINEL_ENFORCEMENT_TCP_PORT: String(tcpPort),
        SENTINEL_ENFORCEMENT_WS_PORT: String(wsPort),
        SENTINEL_ENFORCEMENT_METRICS_PORT: String(metricsPort),
        SENTINEL_ENFORCEMENT_UPSTREAM_URL: `mqtt://127.0.0.1:${nats.mqttPort}`,
        SENTINEL_ENFORCEMENT_RATE_LIMITS_CONNECT_RATE: '0.01',
        SENTINEL_ENFORCEMENT_RATE_LIMITS_CONNECT_BURST: '5',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(
      'the cluster to listen',
      async () => (await isListening(tcpPort)) && stderr.includes('enforcement node up'),
      { timeoutMs: 60_000 },
    );
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await nc?.close();
    await nats?.stop();
    t.cleanup();
  });

  it('cluster - every connection of one source IP lands on one worker, so its CONNECT burst of 5 holds across 2 workers', async () => {
    const addrs = Array.from({ length: 20 }, (_, i) => `127.0.0.${i + 2}`);
    const a = addrs.find((x) => ipShard(x, 2) === 0) as string;
    const b = addrs.find((x) => ipShard(x, 2) === 1) as string;
    const events = await followEvents(nc);
    const clients: MqttClient[] = [];
    try {
      for (let i = 0; i < 5; i++) clients.push(await connectFrom(a, tcpPort, { clientId: `ca-${i}` }));
      const refused = await connectFrom(a, tcpPort, { clientId: 'ca-5' }).then(
        (c) => (c.end(true), 0),
        (err: { code?: number }) => err.code ?? -1,
      );
      expect(refused).toBe(0x05);
      for (let i = 0; i < 3; i++) clients.push(await connectFrom(b, tcpPort, { clientId: `cb-${i}` }));
      // WebSocket connections are routed the same way (the worker's HTTP server gets the raw socket).
      const viaWs = await connectClient(`ws://127.0.0.1:${wsPort}/mqtt`, { clientId: 'cws-1' });
      await viaWs.publishAsync('devices/cws-1/t', 'x', { qos: 1 });
      clients.push(viaWs);
      const accepted = await until('9 accepted', () => {
        const acc = events.events.filter((e) => e.reason === 'connect.accepted');
        return acc.length >= 9 ? acc : undefined;
      });
      const workerOf = (ip: string) =>
        new Set(accepted.filter((e) => e.subject.ip === ip).map((e) => e.subject.sessionId?.split('-')[0]));
      expect(workerOf(a).size).toBe(1);
      expect(workerOf(b).size).toBe(1);
      expect([...workerOf(a)][0]).not.toBe([...workerOf(b)][0]);
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const total = Number(text.match(/^mqtt_proxy_connections_total\{transport="tcp"\} (\d+)/m)?.[1]);
      expect(total).toBeGreaterThanOrEqual(9);
      expect(text).toMatch(/^mqtt_proxy_connections_total\{transport="ws"\} 1$/m);
      expect(text).toMatch(/^mqtt_proxy_rate_limit_rejected_total\{tier="connect"\} 1$/m);
    } finally {
      for (const c of clients) c.end(true);
      await events.stop();
    }
  });

  it('cluster - a client id live on one worker is refused as stolen when it arrives from an address the other worker owns', async () => {
    // fresh addresses: the CONNECT budget of the first test's addresses is spent
    const addrs = Array.from({ length: 20 }, (_, i) => `127.0.1.${i + 2}`);
    const a = addrs.find((x) => ipShard(x, 2) === 0) as string;
    const b = addrs.find((x) => ipShard(x, 2) === 1) as string;
    const events = await followEvents(nc);
    const owner = await connectFrom(a, tcpPort, { clientId: 'dup-owner' });
    try {
      const code = await connectFrom(b, tcpPort, { clientId: 'dup-owner' }).then(
        (c) => (c.end(true), 0),
        (err: { code?: number }) => err.code ?? -1,
      );
      expect(code).toBe(0x05); // not authorized (3.1.1)
      const ev = await until('the stolen client id event', () =>
        events.events.find((e) => e.reason === 'threat.stolen_client_id' && e.subject.ip === b),
      );
      expect(ev.rule?.values).toMatchObject({ liveIp: a, newIp: b });
      expect(owner.connected).toBe(true);
      await owner.publishAsync('devices/dup-owner/t', '1', { qos: 1 });
      // once the owner is gone, the other worker lets the id in
      await new Promise<void>((r) => owner.end(false, {}, () => r()));
      await until('the owner released on the other worker', () =>
        events.events.find((e) => e.reason === 'disconnect.client' && e.subject.clientId === 'dup-owner'),
      );
      const later = await connectFrom(b, tcpPort, { clientId: 'dup-owner' });
      later.end(true);
    } finally {
      owner.end(true);
      await events.stop();
    }
  });
});
