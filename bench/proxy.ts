// npm run bench -- proxy
// The enforcement node in proxy mode (its own process, `sentinel enforce`) in front of nats-server MQTT,
// with the reference auth service on MariaDB behind the auth callout. Metrics:
//   publish_msgs_per_s           QoS 1 PUBLISH through the node (4 clients, 32 in flight each)
//   publish_ratio_vs_direct      the same clients straight to the same broker in the same run
//   added_latency_p99_ms         P99 publish→delivery through the node minus direct, at 5,000 msg/s
//   connect_auth_p99_ms          CONNECT→CONNACK through the node, auth cache miss (each device once)
//   connect_auth_cached_p99_ms   the same devices again (cache hit)
//   auth_callout_miss_p99_ms     the node's own auth step on a miss (from the auth.ok events)
//   idle_conn_bytes              node RSS growth per idle proxied connection (2 workers, 10,000 sessions)
//   concurrent_connections       sessions open at once in that phase
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { jetstream } from '@nats-io/jetstream';
import { connectNats, ensureStreams, natsConfigSchema, STREAMS, streamsConfigSchema } from '@sentinel/ingest';
import type { DecisionEventV1 } from '@sentinel/ingest';
import {
  authServiceConfigSchema,
  getFreePorts,
  openAuthDb,
  populateDevices,
  readCredentials,
  startAuthService,
  startMariadb,
  startNats,
  tempDir,
} from '@sentinel/infra';
import { metric, percentile, progress } from './_report.ts';

const SUITE = 'proxy';
const DEVICES = Number(process.env.PROXY_BENCH_DEVICES ?? 600);
const PUBLISHES = Number(process.env.PROXY_BENCH_PUBLISHES ?? 24_000);
const IDLE = Number(process.env.PROXY_BENCH_IDLE ?? 10_000);
const LAT_SECONDS = 4;
const log = (s: string): void => progress(SUITE, s);

interface NodeProc {
  child: ChildProcess;
  ports: { tcp: number; metrics?: number };
  stop(): Promise<void>;
}

/** `sentinel enforce` in its own process, configured through the environment. */
async function startNode(env: Record<string, string>): Promise<NodeProc> {
  const child = spawn(process.execPath, ['bin/sentinel.mjs', 'enforce'], {
    env: {
      ...process.env,
      SENTINEL_LOG_LEVEL: 'warn',
      SENTINEL_CONFIG_FILE: `${env.SENTINEL_DATA_DIR}/none.yaml`,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const ports = await new Promise<NodeProc['ports']>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = err.match(/enforcement node up: (\{[^}]*\})/);
      if (m) resolve(JSON.parse(m[1] as string) as NodeProc['ports']);
    });
    child.once('exit', (code) => reject(new Error(`enforcement node exited ${code}: ${err.slice(-2000)}`)));
  });
  return {
    child,
    ports,
    stop: () =>
      new Promise((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

function client(url: string, opts: mqtt.IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

/** QoS 1 throughput: `n` clients, `window` publishes in flight each, PUBLISHES in total. */
async function throughput(
  url: string,
  creds: { clientId: string; username: string; secret: string }[],
  tag: string,
): Promise<number> {
  const n = 4;
  const window = 32;
  const clients = await Promise.all(
    creds
      .slice(0, n)
      .map((c) => client(url, { clientId: c.clientId, username: c.username, password: c.secret })),
  );
  const per = Math.floor(PUBLISHES / n);
  const payload = Buffer.alloc(64, 1);
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, i) => {
      const topic = `devices/${creds[i]?.clientId}/bench`;
      let sent = 0;
      await new Promise<void>((done) => {
        let acked = 0;
        const pump = (): void => {
          while (sent < per && sent - acked < window) {
            sent++;
            c.publish(topic, payload, { qos: 1 }, () => {
              acked++;
              if (acked === per) done();
              else pump();
            });
          }
        };
        pump();
      });
    }),
  );
  const rate = (per * n) / ((performance.now() - t0) / 1000);
  for (const c of clients) c.end(true);
  log(`${tag}: ${Math.round(rate)} msg/s`);
  return rate;
}

const ROUNDS = 5;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Through the node and direct, alternately, ROUNDS times: medians, and the median of per-round ratios. */
async function alternating(
  nodeUrl: string,
  brokerUrl: string,
  creds: { clientId: string; username: string; secret: string }[],
): Promise<{ through: number; direct: number; ratio: number; ratios: number[] }> {
  const through: number[] = [];
  const direct: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = await throughput(nodeUrl, creds, `round ${r + 1} through the node`);
    const b = await throughput(brokerUrl, creds, `round ${r + 1} direct`);
    through.push(a);
    direct.push(b);
    ratios.push(a / b);
  }
  return { through: median(through), direct: median(direct), ratio: median(ratios), ratios };
}

/** P50 and P99 of publish→delivery at 5,000 msg/s; the subscriber is always straight on the broker. */
async function latency(
  pubUrl: string,
  brokerUrl: string,
  cred: { clientId: string; username: string; secret: string },
): Promise<{ p50: number; p99: number }> {
  const topic = `devices/${cred.clientId}/lat`;
  const sub = await client(brokerUrl, { clientId: `lat-sub-${Date.now()}` });
  await sub.subscribeAsync(topic, { qos: 0 });
  const lat: number[] = [];
  sub.on('message', (_t, m) => lat.push(performance.now() - m.readDoubleBE(0)));
  const pub = await client(pubUrl, {
    clientId: cred.clientId,
    username: cred.username,
    password: cred.secret,
  });
  const perTick = 5; // 5 every millisecond-ish tick: 5,000/s
  const total = 5000 * LAT_SECONDS;
  let sent = 0;
  const t0 = performance.now();
  await new Promise<void>((done) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * 5000));
      for (let k = 0; sent < due && k < perTick * 20; k++, sent++) {
        const b = Buffer.allocUnsafe(16);
        b.writeDoubleBE(performance.now(), 0);
        pub.publish(topic, b, { qos: 0 });
      }
      if (sent >= total) return done();
      setTimeout(tick, 1);
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, 500));
  pub.end(true);
  sub.end(true);
  lat.sort((a, b) => a - b);
  log(
    `latency ${pubUrl}: ${lat.length}/${total} delivered, p50 ${percentile(lat, 50).toFixed(3)} ms, p99 ${percentile(lat, 99).toFixed(3)} ms`,
  );
  return { p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

async function connectLatencies(
  url: string,
  creds: { clientId: string; username: string; secret: string }[],
): Promise<number[]> {
  const lat: number[] = [];
  for (const c of creds) {
    const t0 = performance.now();
    const cl = await client(url, { clientId: c.clientId, username: c.username, password: c.secret });
    lat.push(performance.now() - t0);
    cl.end(true);
  }
  return lat.sort((a, b) => a - b);
}

function rssKiB(pid: number): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
    return Number(m?.[1] ?? 0);
  } catch {
    return 0; // a child that exited meanwhile
  }
}

function treeRssKiB(pid: number): number {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    kids = [];
  }
  return rssKiB(pid) + kids.reduce((a, k) => a + treeRssKiB(k), 0);
}

/** The same QoS 1 throughput with payload inspection on (shipped signature rules on every payload). */
async function inspectedThroughput(
  natsUrl: string,
  mqttPort: number,
  authUrl: string,
  dataDir: string,
  creds: { clientId: string; username: string; secret: string }[],
): Promise<void> {
  const [tcp] = await getFreePorts(1);
  const node = await startNode({
    SENTINEL_DATA_DIR: `${dataDir}/inspected`,
    SENTINEL_NATS_SERVERS: natsUrl,
    SENTINEL_ENFORCEMENT_TCP_PORT: String(tcp),
    SENTINEL_ENFORCEMENT_WS_ENABLED: 'false',
    SENTINEL_ENFORCEMENT_METRICS_PORT: '0',
    SENTINEL_ENFORCEMENT_UPSTREAM_URL: `mqtt://127.0.0.1:${mqttPort}`,
    SENTINEL_ENFORCEMENT_AUTH_URL: authUrl,
    // Its flood detectors would refuse the benchmark load itself.
    SENTINEL_ENFORCEMENT_INSPECTION_QOS_FLOOD_PER_S: '10000000',
    SENTINEL_ENFORCEMENT_INSPECTION_CONNECT_RATE_PER_S: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_PUBLISH_RATE: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_PUBLISH_BURST: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_PER_CLIENT_RATE: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_PER_CLIENT_BURST: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_PER_IP_RATE: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_PER_IP_BURST: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_GLOBAL_RATE: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_GLOBAL_BURST: '1000000',
  });
  try {
    const url = `mqtt://127.0.0.1:${node.ports.tcp}`;
    await throughput(url, creds, 'inspected warm-up');
    const tp = await alternating(url, `mqtt://127.0.0.1:${mqttPort}`, creds);
    metric(SUITE, 'publish_msgs_per_s_inspected', tp.through, 'msg/s', {
      ratio_vs_direct: tp.ratio,
      rounds: ROUNDS,
    });
  } finally {
    await node.stop();
  }
}

async function idlePhase(natsUrl: string, mqttPort: number, dataDir: string): Promise<void> {
  const [tcp] = await getFreePorts(1);
  const node = await startNode({
    SENTINEL_DATA_DIR: `${dataDir}/idle`,
    SENTINEL_NATS_SERVERS: natsUrl,
    SENTINEL_ENFORCEMENT_WORKERS: '2',
    SENTINEL_ENFORCEMENT_TCP_PORT: String(tcp),
    SENTINEL_ENFORCEMENT_WS_ENABLED: 'false',
    SENTINEL_ENFORCEMENT_METRICS_PORT: '0',
    SENTINEL_ENFORCEMENT_UPSTREAM_URL: `mqtt://127.0.0.1:${mqttPort}`,
    SENTINEL_ENFORCEMENT_INSPECTION_CONNECT_RATE_PER_S: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_CONNECT_BURST: '100000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_CONNECT_RATE: '100000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_PER_IP_BURST: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_PER_IP_RATE: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_GLOBAL_BURST: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_GLOBAL_RATE: '1000000',
  });
  try {
    // Warm-up: one round of sessions opened and closed, so one-time costs (JIT, pools, module loading)
    // are in the baseline and not charged to the idle connections.
    const warm = await openIdle(node.ports.tcp, 1000, 2, 'warm');
    log(`warm-up: ${warm.open} sessions opened and closed`);
    warm.close();
    await new Promise((r) => setTimeout(r, 3000));
    const before = treeRssKiB(node.child.pid as number);
    const t0 = performance.now();
    const idle = await openIdle(node.ports.tcp, IDLE, 4, 'idle');
    log(
      `${idle.open} idle sessions open (${idle.failed} failed) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    await new Promise((r) => setTimeout(r, 3000));
    const after = treeRssKiB(node.child.pid as number);
    const perConn = ((after - before) * 1024) / Math.max(1, idle.open);
    log(`node RSS ${before} KiB → ${after} KiB over ${idle.open} sessions`);
    metric(SUITE, 'idle_conn_bytes', perConn, 'bytes', {
      rssBeforeKiB: before,
      rssAfterKiB: after,
      workers: 2,
      measured: 'RSS growth of primary + workers',
    });
    metric(SUITE, 'concurrent_connections', idle.open, 'connections', { failed: idle.failed });
    idle.close();
  } finally {
    await node.stop();
  }
}

/** Open `count` idle sessions from `procs` helper processes; resolves once every CONNACK is in. */
async function openIdle(
  port: number,
  count: number,
  procs: number,
  tag: string,
): Promise<{ open: number; failed: number; close(): void }> {
  const per = Math.ceil(count / procs);
  const helpers = Array.from({ length: procs }, (_, i) =>
    spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/_proxy-idle.ts', String(port), String(per), `${tag}${i}`],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    ),
  );
  const results = await Promise.all(
    helpers.map(
      (h) =>
        new Promise<[number, number]>((resolve, reject) => {
          let out = '';
          h.stdout?.on('data', (d: Buffer) => {
            out += d.toString();
            const m = out.match(/ready (\d+) (\d+)/);
            if (m) resolve([Number(m[1]), Number(m[2])]);
          });
          h.once('exit', (code) => reject(new Error(`idle helper exited ${code}`)));
        }),
    ),
  );
  return {
    open: results.reduce((a, [ok]) => a + ok, 0),
    failed: results.reduce((a, [, f]) => a + f, 0),
    close: () => helpers.forEach((h) => h.stdin?.end()),
  };
}

async function main(): Promise<void> {
  const t = tempDir('sentinel-bench-proxy-');
  const nats = await startNats({ dir: `${t.dir}/nats` });
  const natsCfg = natsConfigSchema.parse({ servers: [nats.url] });
  const nc = await connectNats(natsCfg, { component: 'bench' });
  await ensureStreams(nc, streamsConfigSchema.parse({}));
  log('starting MariaDB and the reference auth service');
  const db = await startMariadb({ dir: `${t.dir}/mariadb`, bufferPoolMb: 64 });
  const dbCfg = authServiceConfigSchema.parse({ db: { socketPath: db.socketPath } }).db;
  const pool = await openAuthDb(dbCfg);
  await populateDevices({ pool, count: DEVICES, prefix: 'bench-', file: `${t.dir}/creds.csv` });
  await pool.end();
  const auth = await startAuthService({ db: dbCfg, port: 0 });
  const creds = await readCredentials(`${t.dir}/creds.csv`);
  const [tcp] = await getFreePorts(1);
  const node = await startNode({
    SENTINEL_DATA_DIR: `${t.dir}/data`,
    SENTINEL_NATS_SERVERS: nats.url,
    SENTINEL_ENFORCEMENT_TCP_PORT: String(tcp),
    SENTINEL_ENFORCEMENT_WS_ENABLED: 'false',
    SENTINEL_ENFORCEMENT_METRICS_PORT: '0',
    SENTINEL_ENFORCEMENT_UPSTREAM_URL: `mqtt://127.0.0.1:${nats.mqttPort}`,
    SENTINEL_ENFORCEMENT_AUTH_URL: auth.url,
    // The proxy path itself; payload inspection is measured in the extra run below and by `bench -- inspect`.
    SENTINEL_ENFORCEMENT_INSPECTION_ENABLED: 'false',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_CONNECT_BURST: '100000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_PUBLISH_RATE: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_PUBLISH_BURST: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_PER_CLIENT_RATE: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_PER_CLIENT_BURST: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_PER_IP_RATE: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_PER_IP_BURST: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_GLOBAL_RATE: '1000000',
    SENTINEL_ENFORCEMENT_RATE_LIMITS_GLOBAL_BURST: '1000000',
  });
  const nodeUrl = `mqtt://127.0.0.1:${node.ports.tcp}`;
  const brokerUrl = `mqtt://127.0.0.1:${nats.mqttPort}`;
  try {
    log('auth: CONNECT through the node, every device once (cache miss), then again (hit)');
    const sample = creds.slice(10, 10 + Math.min(500, creds.length - 10));
    const miss = await connectLatencies(nodeUrl, sample);
    const hit = await connectLatencies(nodeUrl, sample);
    const steps = await authStepLatencies(nc);
    metric(SUITE, 'connect_auth_p99_ms', percentile(steps.miss, 99), 'ms', {
      p50: percentile(steps.miss, 50),
      samples: steps.miss.length,
      measured: 'auth step in the node (auth.ok events)',
    });
    metric(SUITE, 'connect_auth_cached_p99_ms', percentile(steps.hit, 99), 'ms', {
      p50: percentile(steps.hit, 50),
      samples: steps.hit.length,
      measured: 'auth step in the node (auth.ok events)',
    });
    metric(SUITE, 'connect_connack_p99_ms', percentile(miss, 99), 'ms', {
      p50: percentile(miss, 50),
      samples: miss.length,
      measured: 'client CONNECT→CONNACK, auth miss, upstream session included',
    });
    metric(SUITE, 'connect_connack_cached_p99_ms', percentile(hit, 99), 'ms', {
      p50: percentile(hit, 50),
      samples: hit.length,
      measured: 'client CONNECT→CONNACK, auth hit, upstream session included',
    });

    log('throughput: QoS 1, through the node and straight to the broker in alternating rounds');
    await throughput(nodeUrl, creds, 'warm-up');
    const tp = await alternating(nodeUrl, brokerUrl, creds);
    metric(SUITE, 'publish_msgs_per_s', tp.through, 'msg/s', {
      qos: 1,
      clients: 4,
      window: 32,
      rounds: ROUNDS,
    });
    metric(SUITE, 'publish_ratio_vs_direct', tp.ratio, 'ratio', {
      direct_msgs_per_s: Math.round(tp.direct),
      ratios: tp.ratios.map((r) => r.toFixed(3)).join(' '),
    });

    log(
      'latency at 5,000 msg/s, direct and through the node alternately (the host is shared: medians of 2 runs)',
    );
    const direct99: number[] = [];
    const node99: number[] = [];
    const direct50: number[] = [];
    const node50: number[] = [];
    for (let round = 0; round < 2; round++) {
      const d = await latency(brokerUrl, brokerUrl, creds[5 + round * 2] as (typeof creds)[number]);
      const n = await latency(nodeUrl, brokerUrl, creds[6 + round * 2] as (typeof creds)[number]);
      direct99.push(d.p99);
      node99.push(n.p99);
      direct50.push(d.p50);
      node50.push(n.p50);
    }
    const mid = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    metric(SUITE, 'added_latency_p99_ms', mid(node99) - mid(direct99), 'ms', {
      p99_node: mid(node99),
      p99_direct: mid(direct99),
      added_p50_ms: mid(node50) - mid(direct50),
      rate: 5000,
    });
  } finally {
    await node.stop();
  }
  await inspectedThroughput(nats.url, nats.mqttPort, auth.url, t.dir, creds);
  log(`idle connections: ${IDLE} sessions through 2 workers`);
  await idlePhase(nats.url, nats.mqttPort, t.dir);
  await auth.stop();
  await db.stop();
  await nc.close();
  await nats.stop();
  t.cleanup();
}

/** The node's own auth step latency, hit and miss, from the auth.ok events on SENTINEL_EVENTS. */
async function authStepLatencies(
  nc: Awaited<ReturnType<typeof connectNats>>,
): Promise<{ miss: number[]; hit: number[] }> {
  await new Promise((r) => setTimeout(r, 1000)); // the node's publisher batches; let it flush
  const consumer = await jetstream(nc).consumers.get(STREAMS.events);
  const out = { miss: [] as number[], hit: [] as number[] };
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 1000, expires: 1000 });
    let n = 0;
    for await (const m of batch) {
      n++;
      const e = m.json<DecisionEventV1>();
      if (e.reason !== 'auth.ok') continue;
      (e.rule?.values?.cache === 'hit' ? out.hit : out.miss).push(Number(e.rule?.values?.latencyMs));
    }
    if (n === 0) break;
  }
  out.miss.sort((a, b) => a - b);
  out.hit.sort((a, b) => a - b);
  return out;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `[proxy] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
