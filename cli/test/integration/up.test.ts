// `sentinel up` as an operator runs it: the real command in its own process, every port moved to a free
// one through a generated sentinel.yaml, the stack supervised, then Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { connectNats, natsConfigSchema, STREAMS } from '@sentinel/ingest';
import { isListening, natsHealthy, tempDir, waitFor } from '@sentinel/infra';
import { freePortConfig } from '../../free-ports.ts';
import { envWithoutSentinel, runSentinel } from '../support/sentinel.ts';

const bin = fileURLToPath(new URL('../../../bin/sentinel.mjs', import.meta.url));

describe('sentinel up', () => {
  const t = tempDir('sentinel-up-');
  let child: ChildProcess;
  let output = '';
  let ports: Map<string, number>;
  const stateDir = join(t.dir, 'state');

  beforeAll(async () => {
    const cfg = await freePortConfig(stateDir);
    ports = cfg.ports;
    const file = join(t.dir, 'sentinel.yaml');
    writeFileSync(file, stringify(cfg.yaml));
    child = spawn(process.execPath, [bin, '--config', file, 'up'], {
      cwd: t.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SENTINEL_CONFIG_FILE: undefined },
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(
      '"Sentinel is up"',
      () => output.includes('Press Ctrl-C to stop.') || child.exitCode !== null,
      {
        timeoutMs: 120_000,
      },
    );
  }, 180_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    t.cleanup();
  });

  it('shows progress for each part and prints where everything listens', () => {
    expect(child.exitCode, output).toBeNull();
    expect(output).toMatch(/\[1\/\d+\] nats-server .* ready in \d+ ms/);
    expect(output).toContain('Sentinel is up:');
    expect(output).toContain(`nats://127.0.0.1:${ports.get('stack.natsPort')}`);
    expect(output).toContain(`mqtt://127.0.0.1:${ports.get('stack.coreMqttPort')}`);
  });

  it('has created every stream on the JetStream it started', async () => {
    const nc = await connectNats(
      natsConfigSchema.parse({ servers: [`nats://127.0.0.1:${ports.get('stack.natsPort')}`] }),
    );
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const s of jsm.streams.list()) names.push(s.config.name);
    await nc.close();
    for (const s of Object.values(STREAMS)) expect(names).toContain(s);
  });

  it('carries an MQTT 5.0 device through the node to the nats-server core broker, which speaks only 3.1.1', async () => {
    const file = join(t.dir, 'sentinel.yaml');
    const creds = join(t.dir, 'devices.csv');
    const populate = runSentinel(
      ['--config', file, 'auth-service', 'populate', '--count', '1', '--prefix', 'up-dev-', '--file', creds],
      { cwd: t.dir, env: envWithoutSentinel() },
    );
    expect(await populate.exited, populate.out()).toBe(0);
    const [clientId, username, password] = (readFileSync(creds, 'utf8').trim().split('\n')[1] ?? '').split(
      ',',
    );
    expect(clientId).toMatch(/^up-dev-/);

    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.get('enforcement.tcp.port')}`, {
      protocolVersion: 5,
      clientId,
      username,
      password,
      reconnectPeriod: 0,
    });
    const core = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.get('stack.coreMqttPort')}`, {
      protocolVersion: 4,
      clientId: 'up-core-observer',
      reconnectPeriod: 0,
    });
    try {
      // Device to broker: a 5.0 PUBLISH with properties 3.1.1 cannot carry, acknowledged with a 5.0 PUBACK.
      await core.subscribeAsync(`devices/${clientId}/#`, { qos: 1 });
      const seen = new Promise<string>((resolve) =>
        core.once('message', (topic, body) => resolve(`${topic} ${body}`)),
      );
      await device.publishAsync(`devices/${clientId}/temp`, '21.5', {
        qos: 1,
        properties: { userProperties: { site: 'a' }, contentType: 'text/plain' },
      });
      expect(await seen).toBe(`devices/${clientId}/temp 21.5`);

      // Broker to device: a 3.1.1 delivery reaches the 5.0 device on the one topic its ACL lets it read.
      const granted = await device.subscribeAsync(`clients/${clientId}/alerts`, { qos: 1 });
      expect(granted[0]?.qos).toBe(1);
      const alert = new Promise<string>((resolve) =>
        device.once('message', (topic, body) => resolve(`${topic} ${body}`)),
      );
      await core.publishAsync(`clients/${clientId}/alerts`, 'rotate your key', { qos: 1 });
      expect(await alert).toBe(`clients/${clientId}/alerts rotate your key`);
    } finally {
      await device.endAsync();
      await core.endAsync();
    }
  }, 60_000);

  it('restarts nats-server with backoff when it dies', async () => {
    const pid = natsPid(stateDir);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await waitFor(
      'nats-server restarted and healthy',
      async () => {
        const again = natsPid(stateDir);
        return again > 0 && again !== pid && (await natsHealthy(ports.get('stack.natsMonitorPort') ?? 0));
      },
      { timeoutMs: 30_000 },
    );
    expect(output).toContain('nats-server exited; restarting');
  });

  it('stops everything cleanly on Ctrl-C', async () => {
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(output).toContain('stopped.');
    for (const port of ports.values()) expect(await isListening(port), `port ${port} still open`).toBe(false);
  }, 60_000);
});

/** The pid of the nats-server started with this stack's config file. */
function natsPid(stateDir: string): number {
  const r = spawnSync('pgrep', ['-f', join(stateDir, 'nats', 'nats.conf')], { encoding: 'utf8' });
  return Number(r.stdout.trim().split('\n')[0] ?? 0) || 0;
}
