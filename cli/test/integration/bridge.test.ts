// `sentinel bridge` as an operator runs it: the real command in its own process with a sentinel.yaml,
// between a Mosquitto core broker and a Mosquitto origin serving MQTT over WebSocket Secure.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createTestPki, getFreePort, startMosquitto, tempDir, waitFor } from '@sentinel/infra';
import type { MosquittoServer } from '@sentinel/infra';

const bin = fileURLToPath(new URL('../../../bin/sentinel.mjs', import.meta.url));
const asRoot = process.getuid?.() === 0 ? { user: 'root' } : {};

describe('sentinel bridge', () => {
  const t = tempDir('sentinel-bridge-cli-');
  let origin: MosquittoServer;
  let core: MosquittoServer;
  let child: ChildProcess;
  let metricsUrl: string;
  let output = '';

  beforeAll(async () => {
    const pki = await createTestPki(join(t.dir, 'pki'));
    origin = await startMosquitto({
      dir: join(t.dir, 'origin'),
      websocket: { tls: { certFile: pki.serverCert, keyFile: pki.serverKey } },
      ...asRoot,
    });
    core = await startMosquitto({ dir: join(t.dir, 'core'), ...asRoot });
    const metricsPort = await getFreePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const file = join(t.dir, 'sentinel.yaml');
    writeFileSync(
      file,
      stringify({
        log: { level: 'warn' },
        bridge: {
          deploymentId: 'cli-test',
          core: { url: core.url, protocolVersion: 5, clientId: 'cli-core' },
          origin: { url: `${origin.wsUrl}/mqtt`, caFile: pki.caCert, clientId: 'cli-origin' },
          rules: [{ direction: 'out', from: 'clients/+/alerts', to: 'customer/acme/alerts/{1}' }],
          metrics: { port: metricsPort },
        },
      }),
    );
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SENTINEL_')));
    child = spawn(process.execPath, [bin, '-c', file, 'bridge'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    await waitFor(
      'the bridge connected on both sides',
      async () => {
        const text = await (await fetch(metricsUrl)).text();
        return (text.match(/^bridge_connected\{[^}]*\} 1$/gm) ?? []).length === 4;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await origin?.stop();
    await core?.stop();
    t.cleanup();
  });

  it('forwards mapped alerts to the origin and counts them on /metrics', async () => {
    const sink = await mqtt.connectAsync(origin.url, { protocolVersion: 5 });
    await sink.subscribeAsync('customer/acme/alerts/+', { qos: 1 });
    const got: string[] = [];
    sink.on('message', (topic) => got.push(topic));
    const pub = await mqtt.connectAsync(core.url, { protocolVersion: 5 });
    for (let i = 0; i < 10; i++) await pub.publishAsync(`clients/m${i}/alerts`, `{"i":${i}}`, { qos: 1 });
    await waitFor('ten alerts at the origin', () => got.length >= 10);
    expect(got).toContain('customer/acme/alerts/m3');
    const text = await (await fetch(metricsUrl)).text();
    expect(text).toMatch(/^bridge_messages_persisted\{direction="out"\} 10$/m);
    expect(text).toMatch(/^bridge_latency_seconds_count\{direction="out"\} 10$/m);
    await pub.endAsync();
    await sink.endAsync();
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited, output).toBe(0);
  });
});
