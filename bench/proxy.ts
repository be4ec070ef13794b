// npm run bench -- proxy
// The enforcement node in proxy mode (its own process, `sentinel enforce`) in front of nats-server MQTT,
// with the reference auth service on MariaDB behind the auth callout. Metrics:
//   publish_msgs_per_s           QoS 1 PUBLISH through the node (4 clients, 32 in flight each)
//   publish_ratio_vs_direct      the same clients straight to the same broker in the same run: the median
//                                of per-round ratios over 12 interleaved rounds, with the CPU time per
//                                message of the node, the broker and the load generator in either path
//   publish_ratio_relay_vs_direct  the peer for the hop itself: a plain TCP relay in Node, same rounds
//   publish_ratio_native_relay_vs_direct  the floor of any hop: a plain epoll TCP relay in C++ (built with
//                                g++ when the suite runs; skipped when g++ is missing), same rounds
//   added_latency_p99_ms         P99 publish→delivery through the node minus direct, at 5,000 msg/s
//                                (median over 4 interleaved pairs of runs)
//   connect_auth_p99_ms          CONNECT→CONNACK through the node, auth cache miss (each device once)
//   connect_auth_cached_p99_ms   the same devices again (cache hit)
//   auth_callout_miss_p99_ms     the node's own auth step on a miss (from the auth.ok events)
//   idle_conn_bytes              node RSS growth per idle proxied connection (2 workers, 10,000 sessions)
//   concurrent_connections       sessions open at once in that phase
import { spawn, spawnSync } from 'node:child_process';
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
const LAT_SECONDS = 2;
const LAT_PAIRS = 4;
const log = (s: string): void => progress(SUITE, s);
// PROXY_BENCH_PHASES=throughput,idle runs only those phases (auth, throughput, latency, inspected, idle).
const PHASES = process.env.PROXY_BENCH_PHASES?.split(',');
const phase = (name: string): boolean => PHASES === undefined || PHASES.includes(name);

interface NodeProc {
  child: ChildProcess;
  ports: { tcp: number; metrics?: number };
  stop(): Promise<void>;
}

/** `sentinel enforce` in its own process, configured through the environment. */
async function startNode(env: Record<string, string>): Promise<NodeProc> {
  // PROXY_BENCH_NODE_ARGS: Node flags for the node processes only (profiles, heap settings).
  const flags = process.env.PROXY_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...flags, 'bin/sentinel.mjs', 'enforce'], {
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
    // A connection that closes before its CONNACK (or whose CONNECT times out) fails, never hangs.
    c.once('close', () => reject(new Error(`${url}: closed before CONNACK`)));
  });
}

/** A client for a throughput run. Each run reuses the client ids of the run before; once in a while the
 *  broker answers a CONNECT that takes over such a session with no CONNACK (seen straight to nats-server
 *  and through the plain relay): connect again then. Connections are made before the timed part. */
async function benchClient(url: string, opts: mqtt.IClientOptions, tag: string): Promise<MqttClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client(url, opts);
    } catch (err) {
      if (attempt === 3) throw err;
      log(`${tag}: ${opts.clientId} connect attempt ${attempt} failed (${String(err)}), again`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
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
      .map((c) => benchClient(url, { clientId: c.clientId, username: c.username, password: c.secret }, tag)),
  );
  const per = Math.floor(PUBLISHES / n);
  const payload = Buffer.alloc(64, 1);
  const acked = clients.map(() => 0);
  const t0 = performance.now();
  // A run that stops getting PUBACKs fails the suite instead of holding the shared benchmark lock.
  let stall: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    let last = -1;
    stall = setInterval(() => {
      const now = acked.reduce((x, y) => x + y, 0);
      if (now === last)
        reject(new Error(`${tag}: no PUBACK for 20 s (acked per client: ${acked.join(', ')} of ${per})`));
      last = now;
    }, 20_000);
  });
  const runs = clients.map(async (c, i) => {
    const topic = `devices/${creds[i]?.clientId}/bench`;
    let sent = 0;
    await new Promise<void>((done) => {
      const pump = (): void => {
        while (sent < per && sent - (acked[i] as number) < window) {
          sent++;
          c.publish(topic, payload, { qos: 1 }, () => {
            acked[i] = (acked[i] as number) + 1;
            if (acked[i] === per) done();
            else pump();
          });
        }
      };
      pump();
    });
  });
  try {
    await Promise.race([Promise.all(runs), stalled]);
  } finally {
    clearInterval(stall);
  }
  const rate = (per * n) / ((performance.now() - t0) / 1000);
  for (const c of clients) c.end(true);
  log(`${tag}: ${Math.round(rate)} msg/s`);
  return rate;
}

// The host is shared: single runs swing by ±30 % with other work on the two cores. So each path runs
// many times, interleaved round by round in balanced orders (every path first, middle and last equally
// often, and after every other path equally often), and ratios are medians of per-round ratios.
// PROXY_BENCH_ROUNDS: more rounds for a steadier median (a multiple of 12 keeps every design balanced).
const ROUNDS = Number(process.env.PROXY_BENCH_ROUNDS ?? 12);
const INSPECTED_ROUNDS = 8;
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const median = (xs: number[]): number => {
  const s = sorted(xs);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const quartiles = (xs: number[]): [number, number] => {
  const s = sorted(xs);
  const q = (p: number): number => Number((s[Math.floor(p * (s.length - 1))] as number).toFixed(3));
  return [q(0.25), q(0.75)];
};

/** Run orders: two paths ABBA; three paths the six orders of a Williams design, four paths its four. */
const ORDERS: Record<number, number[][]> = {
  2: [
    [0, 1],
    [1, 0],
    [1, 0],
    [0, 1],
  ],
  3: [
    [0, 1, 2],
    [1, 2, 0],
    [2, 0, 1],
    [0, 2, 1],
    [1, 0, 2],
    [2, 1, 0],
  ],
  4: [
    [0, 1, 3, 2],
    [1, 2, 0, 3],
    [2, 3, 1, 0],
    [3, 0, 2, 1],
  ],
};

/** CPU time (user + system) a process used since it started, ms; 0 when it is gone. */
function cpuMs(pid: number | undefined): number {
  const t = cpuSplitMs(pid);
  return t.user + t.sys;
}

/** User and kernel CPU time of a process since it started, ms; 0 when it is gone. */
function cpuSplitMs(pid: number | undefined): { user: number; sys: number } {
  if (pid === undefined) return { user: 0, sys: 0 };
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks of 10 ms.
    const f = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    return { user: Number(f[11]) * 10, sys: Number(f[12]) * 10 };
  } catch {
    return { user: 0, sys: 0 };
  }
}

/** Read and write system calls a process made since it started (`/proc/<pid>/io`); 0 when it is gone. */
function syscalls(pid: number | undefined): { r: number; w: number } {
  if (pid === undefined) return { r: 0, w: 0 };
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { r: Number(/syscr: (\d+)/.exec(io)?.[1] ?? 0), w: Number(/syscw: (\d+)/.exec(io)?.[1] ?? 0) };
  } catch {
    return { r: 0, w: 0 };
  }
}

type PerMessageUs = {
  hop: number;
  broker: number;
  loadgen: number;
  /** Of `hop`, the part spent in the kernel. */
  hop_kernel: number;
  /** The hop's read and write system calls per 100 messages (each carries a batch). */
  hop_reads_per_100: number;
  hop_writes_per_100: number;
};

/** CPU µs per message of each process on one path, summed over the rounds. */
class CpuTally {
  private readonly ms = { hop: 0, broker: 0, loadgen: 0 };
  private msgs = 0;
  private reads = 0;
  private hopSysMs = 0;
  private writes = 0;
  async measure<T>(
    path: Path,
    brokerPid: number | undefined,
    msgs: number,
    run: () => Promise<T>,
  ): Promise<T> {
    const own = (): number => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const before = { hop: cpuMs(path.hopPid), broker: cpuMs(brokerPid), loadgen: own() };
    const io = syscalls(path.hopPid);
    const split = cpuSplitMs(path.hopPid);
    const out = await run();
    const io2 = syscalls(path.hopPid);
    this.hopSysMs += cpuSplitMs(path.hopPid).sys - split.sys;
    this.reads += io2.r - io.r;
    this.writes += io2.w - io.w;
    this.ms.hop += cpuMs(path.hopPid) - before.hop;
    this.ms.broker += cpuMs(brokerPid) - before.broker;
    this.ms.loadgen += own() - before.loadgen;
    this.msgs += msgs;
    return out;
  }
  perMessageUs(): PerMessageUs {
    const us = (ms: number): number => Math.round((ms * 10_000) / Math.max(1, this.msgs)) / 10;
    const per100 = (n: number): number => Math.round((n * 1000) / Math.max(1, this.msgs)) / 10;
    return {
      hop: us(this.ms.hop),
      broker: us(this.ms.broker),
      loadgen: us(this.ms.loadgen),
      hop_kernel: us(this.hopSysMs),
      hop_reads_per_100: per100(this.reads),
      hop_writes_per_100: per100(this.writes),
    };
  }
}

/** One way from the load generator to the broker: through a process (`hopPid`) or straight. */
interface Path {
  name: string;
  url: string;
  hopPid?: number | undefined;
}

interface Rounds {
  /** msg/s per round, per path name. */
  rates: Record<string, number[]>;
  cpu: Record<string, PerMessageUs>;
}

/** `rounds` rounds over `paths` in balanced orders; the broker's CPU is tallied per path too. */
async function interleaved(
  paths: Path[],
  rounds: number,
  creds: { clientId: string; username: string; secret: string }[],
  brokerPid: number | undefined,
): Promise<Rounds> {
  const orders = ORDERS[paths.length] as number[][];
  const tallies = paths.map(() => new CpuTally());
  const rates: Record<string, number[]> = Object.fromEntries(paths.map((p) => [p.name, []]));
  const msgs = Math.floor(PUBLISHES / 4) * 4;
  for (let r = 0; r < rounds; r++) {
    for (const i of orders[r % orders.length] as number[]) {
      const path = paths[i] as Path;
      const rate = await (tallies[i] as CpuTally).measure(path, brokerPid, msgs, () =>
        throughput(path.url, creds, `round ${r + 1} ${path.name}`),
      );
      rates[path.name]?.push(rate);
    }
  }
  return {
    rates,
    cpu: Object.fromEntries(paths.map((p, i) => [p.name, (tallies[i] as CpuTally).perMessageUs()])),
  };
}

/** Per-round ratios of path `a` to path `b`. */
function ratios(r: Rounds, a: string, b: string): number[] {
  const x = r.rates[a] as number[];
  const y = r.rates[b] as number[];
  return x.map((v, i) => v / (y[i] as number));
}

/** The median ratio with its spread, the rounds and where each path spends CPU, for a metric line. */
function ratioDetail(r: Rounds, a: string, b: string): Record<string, unknown> {
  const rs = ratios(r, a, b);
  return {
    [`${b.replace(/ /g, '_')}_msgs_per_s`]: Math.round(median(r.rates[b] as number[])),
    ratios: rs.map((x) => x.toFixed(3)).join(' '),
    ratio_quartiles: quartiles(rs),
    rounds: rs.length,
    [`cpu_us_per_msg_${a.replace(/ /g, '_')}`]: r.cpu[a],
    [`cpu_us_per_msg_${b.replace(/ /g, '_')}`]: r.cpu[b],
    // With both cores busy, throughput goes as 1 / (CPU per message of every process on the path): the
    // ratio that CPU predicts, a cross-check of the timed one that scheduling noise moves less.
    cpu_predicted_ratio: Number((cpuTotal(r.cpu[b]) / Math.max(1e-9, cpuTotal(r.cpu[a]))).toFixed(3)),
  };
}

const cpuTotal = (c: PerMessageUs | undefined): number => (c ? c.hop + c.broker + c.loadgen : 0);

interface Relay {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** A plain TCP relay (bench/_relay.ts) to the broker, in its own process. */
function startRelay(brokerPort: number): Promise<Relay> {
  return startRelayProcess(process.execPath, ['--import', 'tsx', 'bench/_relay.ts', String(brokerPort)]);
}

/** The C++ relay (bench/_native-relay.cpp), built into `dir`; undefined (and said why) without g++. */
async function startNativeRelay(brokerPort: number, dir: string): Promise<Relay | undefined> {
  const bin = `${dir}/native-relay`;
  const cxx = process.env.CXX ?? 'g++';
  const gxx = spawnSync(cxx, ['-O2', '-std=c++17', '-o', bin, 'bench/_native-relay.cpp'], {
    encoding: 'utf8',
  });
  if (gxx.error || gxx.status !== 0) {
    log(
      `native relay skipped: ${cxx} could not build bench/_native-relay.cpp (${gxx.error?.message ?? gxx.stderr.trim().slice(0, 500)}); publish_ratio_native_relay_vs_direct is not measured`,
    );
    return undefined;
  }
  return startRelayProcess(bin, [String(brokerPort)]);
}

/** A relay process that prints "relay up <port>" on stderr once listening. */
async function startRelayProcess(cmd: string, args: string[]): Promise<Relay> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = err.match(/relay up (\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`relay exited ${code}: ${err}`)));
  });
  return {
    port,
    pid: child.pid as number,
    stop: () =>
      new Promise((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
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
  brokerPid: number | undefined,
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
    const r = await interleaved(
      [
        { name: 'through the node', url, hopPid: node.child.pid },
        { name: 'direct', url: `mqtt://127.0.0.1:${mqttPort}` },
      ],
      INSPECTED_ROUNDS,
      creds,
      brokerPid,
    );
    metric(SUITE, 'publish_msgs_per_s_inspected', median(r.rates['through the node'] as number[]), 'msg/s', {
      ratio_vs_direct: median(ratios(r, 'through the node', 'direct')),
      ...ratioDetail(r, 'through the node', 'direct'),
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
    if (phase('auth')) await authPhase(nodeUrl, creds, nc);
    if (phase('throughput')) await throughputPhase(nodeUrl, brokerUrl, creds, node, nats, t.dir);
    if (phase('latency')) await latencyPhase(nodeUrl, brokerUrl, creds);
  } finally {
    await node.stop();
  }
  if (phase('inspected'))
    await inspectedThroughput(nats.url, nats.mqttPort, auth.url, t.dir, creds, nats.child.pid);
  if (phase('idle')) {
    log(`idle connections: ${IDLE} sessions through 2 workers`);
    await idlePhase(nats.url, nats.mqttPort, t.dir);
  }
  await auth.stop();
  await db.stop();
  await nc.close();
  await nats.stop();
  t.cleanup();
}

type Cred = { clientId: string; username: string; secret: string };

async function authPhase(
  nodeUrl: string,
  creds: Cred[],
  nc: Awaited<ReturnType<typeof connectNats>>,
): Promise<void> {
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
}

async function throughputPhase(
  nodeUrl: string,
  brokerUrl: string,
  creds: Cred[],
  node: NodeProc,
  nats: Awaited<ReturnType<typeof startNats>>,
  dir: string,
): Promise<void> {
  log(
    'throughput: QoS 1, through the node, plain relays (Node, C++) and straight to the broker, interleaved',
  );
  const relay = await startRelay(nats.mqttPort);
  const native = await startNativeRelay(nats.mqttPort, dir);
  const paths: Path[] = [
    { name: 'through the node', url: nodeUrl, hopPid: node.child.pid },
    { name: 'relay', url: `mqtt://127.0.0.1:${relay.port}`, hopPid: relay.pid },
    ...(native ? [{ name: 'native relay', url: `mqtt://127.0.0.1:${native.port}`, hopPid: native.pid }] : []),
    { name: 'direct', url: brokerUrl },
  ];
  for (const p of paths) await throughput(p.url, creds, `warm-up ${p.name}`);
  const r = await interleaved(paths, ROUNDS, creds, nats.child.pid);
  await relay.stop();
  await native?.stop();
  metric(SUITE, 'publish_msgs_per_s', median(r.rates['through the node'] as number[]), 'msg/s', {
    qos: 1,
    clients: 4,
    window: 32,
    rounds: ROUNDS,
  });
  metric(SUITE, 'publish_ratio_vs_direct', median(ratios(r, 'through the node', 'direct')), 'ratio', {
    ...ratioDetail(r, 'through the node', 'direct'),
    ratio_vs_relay: Number(median(ratios(r, 'through the node', 'relay')).toFixed(3)),
  });
  // The peer that shows what the hop alone costs: a Node process that relays bytes and does nothing else.
  metric(SUITE, 'publish_ratio_relay_vs_direct', median(ratios(r, 'relay', 'direct')), 'ratio', {
    ...ratioDetail(r, 'relay', 'direct'),
    measured: 'plain TCP relay in Node (bench/_relay.ts), same clients, same rounds',
  });
  if (!native) return;
  // The floor of any process in that place on this host: the hop with no runtime and no MQTT work.
  metric(
    SUITE,
    'publish_ratio_native_relay_vs_direct',
    median(ratios(r, 'native relay', 'direct')),
    'ratio',
    {
      ...ratioDetail(r, 'native relay', 'direct'),
      node_vs_native_relay: Number(median(ratios(r, 'through the node', 'native relay')).toFixed(3)),
      measured: 'plain epoll TCP relay in C++ (bench/_native-relay.cpp), same clients, same rounds',
    },
  );
}

async function latencyPhase(nodeUrl: string, brokerUrl: string, creds: Cred[]): Promise<void> {
  log(`latency at 5,000 msg/s: ${LAT_PAIRS} pairs of runs through the node and direct, ABBA order`);
  const pairs: { node: { p50: number; p99: number }; direct: { p50: number; p99: number } }[] = [];
  for (let i = 0; i < LAT_PAIRS; i++) {
    const run = (url: string, k: number) =>
      latency(url, brokerUrl, creds[5 + i * 2 + k] as (typeof creds)[number]);
    const nodeFirst = (ORDERS[2]?.[i % 4]?.[0] ?? 0) === 0;
    const first = await run(nodeFirst ? nodeUrl : brokerUrl, 0);
    const second = await run(nodeFirst ? brokerUrl : nodeUrl, 1);
    pairs.push(nodeFirst ? { node: first, direct: second } : { node: second, direct: first });
  }
  // A pause of the shared host lands in one run's tail: the median of per-pair differences ignores it.
  metric(SUITE, 'added_latency_p99_ms', median(pairs.map((x) => x.node.p99 - x.direct.p99)), 'ms', {
    p99_node: median(pairs.map((x) => x.node.p99)),
    p99_direct: median(pairs.map((x) => x.direct.p99)),
    added_p50_ms: median(pairs.map((x) => x.node.p50 - x.direct.p50)),
    pairs_added_p99_ms: pairs.map((x) => Number((x.node.p99 - x.direct.p99).toFixed(3))).join(' '),
    rate: 5000,
    seconds_per_run: LAT_SECONDS,
  });
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
