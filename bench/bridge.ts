// npm run bench -- bridge
// Core broker -> customer origin through `sentinel bridge` (a child process, MQTT 5 over WSS to the
// origin, QoS 1 acknowledged upstream only after the origin's PUBACK) and, as the peer, through
// Mosquitto's built-in bridge (MQTT over TLS, its own QoS 1 queue: it acknowledges the core broker before
// the origin has the message). All brokers are Debian's mosquitto on loopback.
//   paced:  600 msg/s (the fleet's alert rate) for SENTINEL_BENCH_BRIDGE_SECONDS -> latency P50/P99
//   burst:  SENTINEL_BENCH_BRIDGE_BURST messages at once                             -> msg/s
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { createTestPki, getFreePort, startMosquitto, tempDir, waitFor } from '@sentinel/infra';
import type { MosquittoServer } from '@sentinel/infra';
import { metric, percentile, progress } from './_report.ts';

const SUITE = 'bridge';
const SECONDS = Number(process.env.SENTINEL_BENCH_BRIDGE_SECONDS ?? 10);
const BURST = Number(process.env.SENTINEL_BENCH_BRIDGE_BURST ?? 10_000);
const RATE = 600;
const asRoot = process.getuid?.() === 0 ? { user: 'root' } : {};
// Mosquitto drops QoS 1 messages for a client past 1000 queued by default: a burst must not be cut there.
const UNBOUNDED = ['max_queued_messages 0'];

interface Run {
  latenciesMs: number[];
  msgsPerS: number;
}

/** Publish `n` messages (paced at `rate`/s, or all at once) and time their arrival at the origin. */
async function measure(
  pub: MqttClient,
  sink: MqttClient,
  prefix: string,
  n: number,
  rate?: number,
): Promise<Run> {
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let last = 0;
  const onMessage = (_t: string, payload: Buffer): void => {
    const body = JSON.parse(payload.toString()) as { run: string; i: number };
    if (body.run !== prefix) return;
    const s = sentAt.get(body.i);
    if (s === undefined) return;
    sentAt.delete(body.i);
    last = performance.now();
    latencies.push(last - s);
  };
  sink.on('message', onMessage);
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    if (rate) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    }
    sentAt.set(i, performance.now());
    pub.publish(`clients/dev-${i % 100}/alerts`, JSON.stringify({ run: prefix, i }), { qos: 1 });
  }
  await waitFor(`${prefix}: all ${n} messages at the origin`, () => latencies.length >= n, {
    timeoutMs: 120_000,
    intervalMs: 20,
  });
  sink.off('message', onMessage);
  latencies.sort((a, b) => a - b);
  return { latenciesMs: latencies, msgsPerS: n / ((last - start) / 1000) };
}

async function runBoth(name: string, core: MosquittoServer, origin: MosquittoServer): Promise<number> {
  const sink = await mqtt.connectAsync(origin.url, { clientId: `sink-${name}`, protocolVersion: 5 });
  await sink.subscribeAsync('customer/#', { qos: 1 });
  const pub = await mqtt.connectAsync(core.url, { clientId: `pub-${name}`, protocolVersion: 5 });
  await measure(pub, sink, `${name}-warmup`, 500);
  progress(SUITE, `${name}: paced ${RATE} msg/s for ${SECONDS} s`);
  const paced = await measure(pub, sink, `${name}-paced`, RATE * SECONDS, RATE);
  metric(SUITE, `${name}_latency_p50_ms`, percentile(paced.latenciesMs, 50), 'ms', { rate: RATE });
  metric(SUITE, `${name}_latency_p99_ms`, percentile(paced.latenciesMs, 99), 'ms', { rate: RATE });
  progress(SUITE, `${name}: burst of ${BURST}`);
  const burst = await measure(pub, sink, `${name}-burst`, BURST);
  metric(SUITE, `${name}_msgs_per_s`, burst.msgsPerS, 'msg/s', { messages: BURST });
  await pub.endAsync();
  await sink.endAsync();
  return burst.msgsPerS;
}

async function startSentinelBridge(
  core: MosquittoServer,
  origin: MosquittoServer,
  ca: string,
): Promise<ChildProcess> {
  const metricsPort = await getFreePort();
  const child = spawn(process.execPath, ['bin/sentinel.mjs', 'bridge'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      // The bench's own SENTINEL_BENCH_* switches are no configuration keys: the child would refuse them.
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SENTINEL_'))),
      SENTINEL_LOG_LEVEL: 'warn',
      SENTINEL_BRIDGE_CORE_URL: core.url,
      SENTINEL_BRIDGE_CORE_PROTOCOL_VERSION: '5',
      SENTINEL_BRIDGE_ORIGIN_URL: `${origin.wsUrl}/mqtt`,
      SENTINEL_BRIDGE_ORIGIN_CA_FILE: ca,
      SENTINEL_BRIDGE_METRICS_PORT: String(metricsPort),
      SENTINEL_BRIDGE_RULES: JSON.stringify([
        { direction: 'out', from: 'clients/+/alerts', to: 'customer/acme/alerts/{1}' },
      ]),
    },
  });
  await waitFor(
    'sentinel bridge connected',
    async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return (text.match(/^bridge_connected\{[^}]*\} 1$/gm) ?? []).length === 4;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  return child;
}

const tmp = tempDir('sentinel-bench-bridge-');
const servers: MosquittoServer[] = [];
let child: ChildProcess | undefined;
try {
  const pki = await createTestPki(join(tmp.dir, 'pki'));
  const tls = { certFile: pki.serverCert, keyFile: pki.serverKey };
  const origin = await startMosquitto({
    dir: join(tmp.dir, 'origin'),
    tls,
    websocket: { tls },
    extra: UNBOUNDED,
    ...asRoot,
  });
  servers.push(origin);

  const core = await startMosquitto({ dir: join(tmp.dir, 'core'), extra: UNBOUNDED, ...asRoot });
  servers.push(core);
  child = await startSentinelBridge(core, origin, pki.caCert);
  const ours = await runBoth('sentinel_bridge', core, origin);
  child.kill('SIGTERM');

  const peerCore = await startMosquitto({
    dir: join(tmp.dir, 'peer-core'),
    ...asRoot,
    extra: [
      ...UNBOUNDED,
      'connection to-origin',
      `address 127.0.0.1:${origin.tlsPort}`,
      `bridge_cafile ${pki.caCert}`,
      'bridge_protocol_version mqttv50',
      'cleansession false',
      'remote_clientid peer-bridge',
      'topic clients/+/alerts out 1 "" customer/acme/',
    ],
  });
  servers.push(peerCore);
  await new Promise((r) => setTimeout(r, 1_000)); // the bridge connects on its own schedule
  const peer = await runBoth('mosquitto_bridge', peerCore, origin);
  metric(SUITE, 'throughput_ratio_vs_mosquitto_bridge', ours / peer, 'ratio');
} finally {
  child?.kill('SIGTERM');
  for (const s of servers) await s.stop();
  if (process.env.SENTINEL_BENCH_KEEP) process.stderr.write(`kept ${tmp.dir}\n`);
  else tmp.cleanup();
}
