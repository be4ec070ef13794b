// npm run bench -- intake
// External intake against one local, file-backed nats-server, every number end to end (an event counts
// once JetStream acknowledged it):
//   1. HTTP, batches of 1000 events, 4 senders in parallel               -> http_batch_events_per_s
//   2. HTTP, one event per request, 16 senders in parallel               -> http_single_requests_per_s, p50/p99
//   3. syslog over TCP, Mosquitto's "not authorised" lines, octet-counted -> syslog_tcp_lines_per_s
// and the peer: the same syslog stream into rsyslog (imptcp to a file, no parsing beyond the header)
//                                                                        -> rsyslog_tcp_lines_per_s
import { connect } from 'node:net';
import { statSync } from 'node:fs';
import {
  connectNats,
  ensureStreams,
  intakeConfigSchema,
  makeEvent,
  natsConfigSchema,
  publisherConfigSchema,
  silentLogger,
  startIntake,
  streamsConfigSchema,
} from '@sentinel/ingest';
import type { DecisionEventV1, IntakeService } from '@sentinel/ingest';
import { getFreePort, startNats, startRsyslog, tempDir } from '@sentinel/infra';
import { metric, percentile, progress } from './_report.ts';

const SUITE = 'intake';
const HTTP_EVENTS = Number(process.env.SENTINEL_BENCH_INTAKE_EVENTS ?? 100_000);
const SINGLE = Number(process.env.SENTINEL_BENCH_INTAKE_SINGLE ?? 5_000);
const LINES = Number(process.env.SENTINEL_BENCH_INTAKE_LINES ?? 100_000);
const TOKEN = 'bench-intake-token-0123456789';

function event(i: number): DecisionEventV1 {
  return makeEvent({
    node: 'bench-gw',
    reason: i % 10 === 0 ? 'auth.bad_credentials' : 'rate.per_ip',
    subject: {
      clientId: `meter-${i % 10_000}`,
      ip: `10.2.${(i >> 8) & 255}.${i & 255}`,
      port: 30_000 + (i % 20_000),
    },
  });
}

async function post(url: string, body: string): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body,
  });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`intake answered ${res.status}`);
  return res.status;
}

async function httpBatches(svc: IntakeService): Promise<void> {
  const url = `${svc.httpUrl}/v1/events`;
  const bodies: string[] = [];
  for (let b = 0; b < HTTP_EVENTS / 1000; b++)
    bodies.push(JSON.stringify(Array.from({ length: 1000 }, (_, i) => event(b * 1000 + i))));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < bodies.length) await post(url, bodies[next++] as string);
    }),
  );
  const s = (performance.now() - started) / 1000;
  metric(SUITE, 'http_batch_events_per_s', HTTP_EVENTS / s, 'events/s', { batch: 1000, senders: 4 });
}

async function httpSingles(svc: IntakeService): Promise<void> {
  const url = `${svc.httpUrl}/v1/events`;
  const bodies = Array.from({ length: SINGLE }, (_, i) => JSON.stringify(event(1_000_000 + i)));
  const lat: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as string;
        const t0 = performance.now();
        await post(url, body);
        lat.push(performance.now() - t0);
      }
    }),
  );
  const s = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  metric(SUITE, 'http_single_requests_per_s', SINGLE / s, 'req/s', { senders: 16 });
  metric(SUITE, 'http_single_p50_ms', percentile(lat, 50), 'ms');
  metric(SUITE, 'http_single_p99_ms', percentile(lat, 99), 'ms');
}

/** The stream, and the bytes rsyslog writes for it (each message raw, plus a line feed). */
function syslogStream(n: number): { data: Buffer; written: number } {
  const parts: string[] = [];
  let written = 0;
  for (let i = 0; i < n; i++) {
    const msg =
      i % 2 === 0
        ? `<37>1 2026-11-21T23:00:00.000Z broker-1 mosquitto 812 - - Sending CONNACK to 10.3.${(i >> 8) & 255}.${i & 255} (0, 5)`
        : '<37>1 2026-11-21T23:00:00.000Z broker-1 mosquitto 812 - - Client <unknown> disconnected, not authorised.';
    const len = Buffer.byteLength(msg);
    written += len + 1;
    parts.push(`${len} ${msg}`);
  }
  return { data: Buffer.from(parts.join('')), written };
}

async function sendTcp(port: number, data: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(data));
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function accepted(svc: IntakeService): Promise<number> {
  const m = await svc.registry.getSingleMetric('sentinel_ingest_intake_received_total')?.get();
  const v = m?.values.find((x) => x.labels.source === 'syslog_tcp' && x.labels.outcome === 'accepted');
  return v?.value ?? 0;
}

async function main(): Promise<void> {
  const t = tempDir('sentinel-bench-intake-');
  const server = await startNats({ dir: `${t.dir}/nats`, mqttPort: 0 });
  const rsyslog = await startRsyslog({ dir: `${t.dir}/rsyslog`, listeners: ['tcp'] });
  try {
    const nats = natsConfigSchema.parse({ servers: [server.url] });
    const nc = await connectNats(nats);
    await ensureStreams(nc, streamsConfigSchema.parse({}));
    const tcpPort = await getFreePort();
    const svc = await startIntake({
      config: intakeConfigSchema.parse({
        http: { enabled: true, port: 0, token: TOKEN, maxBodyBytes: 8 * 1024 * 1024 },
        syslog: { tcpPort },
      }),
      nats,
      publisher: publisherConfigSchema.parse({}),
      dataDir: t.dir,
      log: silentLogger,
      nc,
    });
    progress(SUITE, `nats-server ${server.url}; intake ${svc.httpUrl}, syslog tcp ${tcpPort}`);
    await post(
      `${svc.httpUrl}/v1/events`,
      JSON.stringify(Array.from({ length: 1000 }, (_, i) => event(9_000_000 + i))),
    );

    progress(SUITE, `phase 1: HTTP batches, ${HTTP_EVENTS} events`);
    await httpBatches(svc);
    progress(SUITE, `phase 2: HTTP single events, ${SINGLE} requests`);
    await httpSingles(svc);

    const stream = syslogStream(LINES);
    progress(SUITE, `phase 3: syslog TCP into intake, ${LINES} lines (${LINES / 2} events)`);
    let started = performance.now();
    await sendTcp(tcpPort, stream.data);
    await until('intake events acked', async () => (await accepted(svc)) >= LINES / 2);
    let s = (performance.now() - started) / 1000;
    metric(SUITE, 'syslog_tcp_lines_per_s', LINES / s, 'lines/s', { events: LINES / 2 });

    progress(SUITE, `peer: the same ${LINES} lines into rsyslog (imptcp → file)`);
    const tcpFile = rsyslog.files.tcp;
    const size = (): number => {
      try {
        return statSync(tcpFile).size;
      } catch {
        return 0;
      }
    };
    const before = size();
    started = performance.now();
    await sendTcp(rsyslog.ports.tcp as number, stream.data);
    await until('rsyslog wrote every line', () => size() - before >= stream.written);
    s = (performance.now() - started) / 1000;
    metric(SUITE, 'rsyslog_tcp_lines_per_s', LINES / s, 'lines/s');
    await svc.stop();
    await nc.close();
  } finally {
    await rsyslog.stop();
    await server.stop();
    t.cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[${SUITE}] failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
