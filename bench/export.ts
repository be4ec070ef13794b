// npm run bench -- export
// cef_tcp_events_per_s: decision events already in SENTINEL_EVENTS are read by one sink (its durable
//   consumer), formatted as CEF inside an RFC 5424 header and written over TCP (octet counting) to a
//   local rsyslogd, in one process; the clock stops when rsyslog has written the last line to its file.
// cef_format_events_per_s: the CEF formatter alone, for reference.
// delivered_ratio: events published while rsyslog is stopped and started again; unique events rsyslog
//   wrote divided by events published (1.0: none lost).
// The bench keeps no event objects of its own while the export runs: events are made, published and
// counted chunk by chunk, and the raw peer's lines are kept as framed buffers (outside the JS heap), so
// the export process's collector has only the export's own objects to look at.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  connectNats,
  ensureStreams,
  EventPublisher,
  makeEvent,
  natsConfigSchema,
  publisherConfigSchema,
  silentLogger,
  streamsConfigSchema,
} from '@sentinel/ingest';
import type { DecisionEventV1, ReasonCode } from '@sentinel/ingest';
import { sleep, startNats, startRsyslog, tempDir } from '@sentinel/infra';
import {
  DEFAULT_FORMAT_OPTIONS,
  formatters,
  frameStreamBytes,
  makeEncoder,
  sinkConfigSchema,
  SinkRunner,
} from '@sentinel/siem-export';
import type { Encoder, Sink, SinkConfig } from '@sentinel/siem-export';
import type { NatsConnection } from '@nats-io/nats-core';
import { metric, progress } from './_report.ts';

const SUITE = 'export';
const N = Number(process.env.SENTINEL_BENCH_EXPORT_EVENTS ?? 200_000);
const OUTAGE_N = 20_000;
const REASONS: ReasonCode[] = [
  'auth.bad_credentials',
  'rate.per_ip',
  'acl.publish_denied',
  'inspect.sqli',
  'connect.accepted',
];

function event(i: number): DecisionEventV1 {
  return makeEvent({
    node: 'edge-1',
    reason: REASONS[i % REASONS.length] as ReasonCode,
    subject: {
      clientId: `dev-${i % 5000}`,
      username: `user-${i % 300}`,
      ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      port: 1024 + (i % 60000),
    },
    mqtt: { packetType: 'publish', topic: `plant/line${i % 12}/dev-${i % 5000}/telemetry`, qos: 1 },
    message: `decision ${i}`,
  });
}

function lineCount(file: string): number {
  try {
    const buf = readFileSync(file);
    let n = 0;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
    return n;
  } catch {
    return 0;
  }
}

/** Wait until rsyslog's file holds `bytes` bytes (the exact size of the expected lines): cheap to poll. */
async function waitBytes(file: string, bytes: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const size = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    if (size >= bytes) return Date.now();
    await sleep(10);
  }
  throw new Error(
    `rsyslog wrote ${lineCount(file)} lines (${statSync(file, { throwIfNoEntry: false })?.size ?? 0} of ${bytes} bytes) within ${timeoutMs} ms`,
  );
}

/** Complete lines appended to `file` since `offset`, a read at a time (the file is never read whole). */
function tailReader(file: string, offset: number): () => string[] {
  let pos = offset;
  let rest = '';
  return () => {
    const size = statSync(file).size;
    if (size <= pos) return [];
    const fd = openSync(file, 'r');
    const buf = Buffer.alloc(size - pos);
    readSync(fd, buf, 0, buf.length, pos);
    closeSync(fd);
    pos = size;
    const text = rest + buf.toString('utf8');
    const cut = text.lastIndexOf('\n');
    rest = text.slice(cut + 1);
    return cut < 0 ? [] : text.slice(0, cut).split('\n');
  };
}

async function publishAll(p: EventPublisher, events: DecisionEventV1[]): Promise<void> {
  for (let i = 0; i < events.length; i++) {
    p.publish(events[i] as DecisionEventV1);
    if (i % 5000 === 4999) await sleep(0);
  }
  if (!(await p.flush(120_000))) throw new Error('publisher did not flush');
}

const CHUNK = 2000;

/** What the delivery phase needs to know about the published events, without keeping them. */
interface Published {
  /** Bytes rsyslog writes for them: each encoded line and its newline. */
  lineBytes: number;
  /** The same lines framed for TCP, a buffer per chunk: the raw peer writes them as they are. */
  framed: Buffer[];
}

/** Make, encode and publish `n` events a chunk at a time; the formatter alone is timed on the way. */
async function publishEvents(p: EventPublisher, n: number, encode: Encoder): Promise<Published> {
  const o = { ...DEFAULT_FORMAT_OPTIONS, hostname: 'bench' };
  const out: Published = { lineBytes: 0, framed: [] };
  let formatMs = 0;
  for (let i = 0; i < n; i += CHUNK) {
    const events = Array.from({ length: Math.min(CHUNK, n - i) }, (_, k) => event(i + k));
    const t0 = performance.now();
    for (const value of events) formatters.cef({ type: 'event', value }, o);
    formatMs += performance.now() - t0;
    const encs = events.map((value) => encode({ type: 'event', value }));
    for (const e of encs) out.lineBytes += Buffer.byteLength(e.text) + 1;
    out.framed.push(frameStreamBytes(encs, 'octet-counting'));
    for (const e of events) p.publish(e);
    await sleep(0);
  }
  if (!(await p.flush(120_000))) throw new Error('publisher did not flush');
  metric(SUITE, 'cef_format_events_per_s', n / (formatMs / 1000), 'events/s');
  return out;
}

/** The receiver's ceiling: the same CEF lines, formatted beforehand, written straight to rsyslog. */
async function rawTcp(port: number, file: string, n: number, pub: Published): Promise<void> {
  const start = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  const s = connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  const t0 = Date.now();
  for (const chunk of pub.framed) await new Promise<void>((r) => s.write(chunk, () => r()));
  const t1 = await waitBytes(file, start + pub.lineBytes, 120_000);
  s.destroy();
  metric(SUITE, 'rsyslog_raw_tcp_events_per_s', n / ((t1 - t0) / 1000), 'events/s', { events: n });
}

/** The export without a receiver: consume, validate, filter, format, ack, into a sink that drops the bytes. */
async function nullSink(nc: NatsConnection, cfg: SinkConfig, n: number): Promise<void> {
  let got = 0;
  const sink: Sink = { send: async (b) => void (got += b.length), close: async () => undefined };
  const runner = new SinkRunner({ nc, cfg: { ...cfg, name: 'bench_null' }, sink, log: silentLogger });
  const t0 = Date.now();
  await runner.start();
  while (got < n) await sleep(5);
  metric(SUITE, 'consume_format_events_per_s', n / ((Date.now() - t0) / 1000), 'events/s', { events: n });
  await runner.stop();
}

async function main(): Promise<void> {
  const tmp = tempDir('sentinel-bench-export-');
  const nats = await startNats({ dir: join(tmp.dir, 'nats'), mqttPort: 0 });
  const rs = await startRsyslog({ dir: join(tmp.dir, 'rsyslog'), listeners: ['tcp'] });
  const nc = await connectNats(natsConfigSchema.parse({ servers: [nats.url] }), { component: 'bench' });
  try {
    await ensureStreams(nc, streamsConfigSchema.parse({}));
    const publisher = new EventPublisher({
      nc,
      name: 'bench',
      dataDir: tmp.dir,
      config: publisherConfigSchema.parse({}),
    });
    const cfg = sinkConfigSchema.parse({
      name: 'bench_tcp',
      kind: 'syslog-tcp',
      format: 'cef',
      port: rs.ports.tcp,
      filters: { source: 'events' },
      delivery: { batchSize: 2000, batchWaitMs: 5 },
      formatOptions: { hostname: 'bench' },
    });
    progress(SUITE, `publishing ${N} events into SENTINEL_EVENTS ...`);
    const pub = await publishEvents(publisher, N, makeEncoder(cfg));
    const expectedBytes = pub.lineBytes;
    const runner = new SinkRunner({ nc, cfg, log: silentLogger });
    progress(SUITE, 'delivering as CEF over TCP to rsyslog ...');
    const t0 = Date.now();
    await runner.start();
    const t1 = await waitBytes(rs.files.tcp, expectedBytes, 150_000);
    const rate = N / ((t1 - t0) / 1000);
    metric(SUITE, 'cef_tcp_events_per_s', rate, 'events/s', { events: N, written: lineCount(rs.files.tcp) });
    progress(
      SUITE,
      'peers in the same run: the export into a null sink, and rsyslog fed pre-formatted lines ...',
    );
    await nullSink(nc, cfg, N);
    await rawTcp(rs.ports.tcp as number, rs.files.tcp, N, pub);

    progress(SUITE, `outage: ${OUTAGE_N} events while rsyslog is stopped and started again ...`);
    const beforeBytes = statSync(rs.files.tcp).size;
    const outage = Array.from({ length: OUTAGE_N }, (_, i) => event(N + i));
    const half = OUTAGE_N / 2;
    await publishAll(publisher, outage.slice(0, half / 2));
    await rs.stop();
    await publishAll(publisher, outage.slice(half / 2, half + half / 2));
    await sleep(2000);
    await rs.restart();
    await publishAll(publisher, outage.slice(half + half / 2));
    const wanted = new Set(outage.map((e) => e.id));
    const tail = tailReader(rs.files.tcp, beforeBytes);
    const got = new Set<string>();
    let lines = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && got.size < wanted.size) {
      for (const line of tail()) {
        lines++;
        const id = /externalId=([0-9A-Z]{26})/.exec(line)?.[1];
        if (id && wanted.has(id)) got.add(id);
      }
      await sleep(250);
    }
    metric(SUITE, 'delivered_ratio', got.size / OUTAGE_N, 'ratio', {
      published: OUTAGE_N,
      unique: got.size,
      lines,
      duplicates: lines - got.size,
    });
    await runner.stop();
    await publisher.close();
  } finally {
    await nc.close().catch(() => undefined);
    await rs.stop();
    await nats.stop();
    tmp.cleanup();
  }
}

await main();
