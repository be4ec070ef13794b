// npm run bench -- ingest
// Publishes decision events against one local, file-backed nats-server, in one Node process per phase:
//   1. through EventPublisher into JetStream (acked, deduplicated)      -> publish_events_per_s
//   2. the floor: the same kind of events as ready HPUB frames written   -> publish_floor_events_per_s
//      straight to a socket (Nats-Msg-Id, 4,096 in flight, every JetStream ack read and checked), the
//      least client work a JetStream publish with dedupe can take; on a nats-server of its own, warmed
//      up like the first
//   3. with plain core NATS publish (no JetStream, no acks)              -> core_nats_events_per_s
//   4. reads them back with the DurableConsumer (validation + ack)      -> consume_events_per_s
// and reports publish_ratio_vs_core_nats = (1) / (3) and publish_ratio_vs_floor = (1) / (2), measured in
// the same run, with the CPU time per event of the publishing process and of nats-server in (1) and (2).
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import {
  connectNats,
  DurableConsumer,
  ensureStreams,
  eventSubject,
  EventPublisher,
  makeEvent,
  natsConfigSchema,
  publisherConfigSchema,
  STREAMS,
  streamsConfigSchema,
  validateDecisionEvent,
} from '@sentinel/ingest';
import type { DecisionEventV1 } from '@sentinel/ingest';
import { startNats, tempDir } from '@sentinel/infra';
import type { NatsServer } from '@sentinel/infra';
import type { NatsConnection } from '@nats-io/nats-core';
import { metric, progress } from './_report.ts';

const SUITE = 'ingest';
const N = Number(process.env.SENTINEL_BENCH_EVENTS ?? 300_000);
const WARM = 20_000;
const WINDOW = publisherConfigSchema.parse({}).maxInFlight;
/** Linux reports process CPU time in clock ticks of 10 ms. */
const TICK_MS = 10;

function events(n: number): DecisionEventV1[] {
  const out: DecisionEventV1[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      makeEvent({
        node: 'bench-node',
        reason: i % 10 === 0 ? 'auth.bad_credentials' : 'publish.summary',
        subject: {
          clientId: `meter-${i % 10_000}`,
          ip: `10.1.${(i >> 8) & 255}.${i & 255}`,
          port: 30_000 + (i % 20_000),
          protocolVersion: 4,
        },
        mqtt: {
          packetType: 'publish',
          topic: `devices/meter-${i % 10_000}/telemetry`,
          qos: 1,
          payloadSize: 180,
        },
      }),
    );
  }
  return out;
}

/** CPU time (user + system, all threads) of another process so far, in ms. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

interface Measured {
  rate: number;
  seconds: number;
  clientUs: number;
  serverUs: number;
}

/** Time `run`, with this process's and nats-server's CPU per event. */
async function measure(n: number, serverPid: number, run: () => Promise<void>): Promise<Measured> {
  const cpu0 = process.cpuUsage();
  const srv0 = processCpuMs(serverPid);
  const t0 = performance.now();
  await run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    rate: n / seconds,
    seconds,
    clientUs: (cpu.user + cpu.system) / n,
    serverUs: ((processCpuMs(serverPid) - srv0) * 1000) / n,
  };
}

function describe(m: Measured): string {
  return (
    `${Math.round(m.rate)} events/s (${m.seconds.toFixed(2)} s); CPU per event: ` +
    `publisher ${m.clientUs.toFixed(2)} µs, nats-server ${m.serverUs.toFixed(2)} µs`
  );
}

/** Every event as a complete HPUB frame, back to back in one buffer; `ends[i]` is where frame i ends. */
function encodeFrames(batch: DecisionEventV1[], inbox: string): { bytes: Buffer; ends: number[] } {
  const parts: Buffer[] = [];
  const ends: number[] = [];
  let at = 0;
  for (let i = 0; i < batch.length; i++) {
    const ev = batch[i] as DecisionEventV1;
    const data = Buffer.from(JSON.stringify(ev));
    const hdr = Buffer.from(`NATS/1.0\r\nNats-Msg-Id: ${ev.id}\r\n\r\n`);
    const proto = Buffer.from(
      `HPUB ${eventSubject(ev.kind)} ${inbox}.${i} ${hdr.length} ${hdr.length + data.length}\r\n`,
    );
    parts.push(proto, hdr, data, Buffer.from('\r\n'));
    at += proto.length + hdr.length + data.length + 2;
    ends.push(at);
  }
  return { bytes: Buffer.concat(parts, at), ends };
}

/**
 * The floor: pre-encoded frames written straight to a socket, at most WINDOW unacknowledged, each
 * JetStream ack read (a plain `{"stream":…}` answer, else the run fails). No JSON.stringify, no
 * encoding, no bookkeeping per event: what nats-server alone needs for a deduplicated publish.
 */
class FloorClient {
  private readonly sock: Socket;
  private acked = 0;
  private sent = 0;
  private tail = '';
  private ready?: () => void;
  private finished?: () => void;
  private failed?: (err: Error) => void;
  private frames: { bytes: Buffer; ends: number[] } = { bytes: Buffer.alloc(0), ends: [] };

  constructor(
    port: number,
    private readonly inbox: string,
  ) {
    this.sock = connect(port, '127.0.0.1');
    this.sock.setNoDelay(true);
    this.sock.on('data', (chunk: Buffer) => this.onData(chunk));
    this.sock.on('error', (err) => this.failed?.(err));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.ready = resolve;
      this.failed = reject;
      this.sock.write(
        'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"protocol":1}\r\n' +
          `SUB ${this.inbox}.* 1\r\nPING\r\n`,
      );
    });
  }

  run(frames: { bytes: Buffer; ends: number[] }): Promise<void> {
    this.frames = frames;
    return new Promise<void>((resolve, reject) => {
      this.finished = resolve;
      this.failed = reject;
      this.pump();
    });
  }

  close(): void {
    this.sock.destroy();
  }

  private pump(): void {
    const { bytes, ends } = this.frames;
    const upTo = Math.min(ends.length, this.acked + WINDOW);
    if (upTo <= this.sent) return;
    const from = this.sent === 0 ? 0 : (ends[this.sent - 1] as number);
    this.sock.write(bytes.subarray(from, ends[upTo - 1] as number));
    this.sent = upTo;
  }

  private onData(chunk: Buffer): void {
    const s = this.tail + chunk.toString('latin1');
    let i = 0;
    for (;;) {
      const nl = s.indexOf('\r\n', i);
      if (nl < 0) break;
      if (s.startsWith('MSG ', i)) {
        const len = Number(s.slice(s.lastIndexOf(' ', nl) + 1, nl));
        if (nl + 2 + len + 2 > s.length) break;
        const body = s.slice(nl + 2, nl + 2 + len);
        if (!body.startsWith('{"stream"') || body.includes('error') || body.includes('duplicate')) {
          this.failed?.(new Error(`floor: unexpected JetStream answer ${body}`));
          return;
        }
        this.acked += 1;
        i = nl + 2 + len + 2;
        continue;
      }
      const line = s.slice(i, nl);
      i = nl + 2;
      if (line === 'PING') this.sock.write('PONG\r\n');
      else if (line === 'PONG') this.ready?.();
      else if (line.startsWith('-ERR')) this.failed?.(new Error(`floor: ${line}`));
    }
    this.tail = s.slice(i);
    if (this.finished === undefined) return;
    if (this.acked >= this.frames.ends.length) this.finished();
    else this.pump();
  }
}

/**
 * Called after every 4,096 events. Lets acks in (a real node interleaves publishing with socket I/O the
 * same way), and keeps the producer's backlog under four in-flight windows: this loop makes events far
 * faster than any node, and left alone it piles them up in the publisher's queue until the queue passes
 * `maxQueued` and the publisher (as designed) spools to disk. A backlog of 16,384 events is still over
 * 0.1 s of work at the measured rates, so the pipeline never waits for the producer.
 */
async function produced(publisher: EventPublisher): Promise<void> {
  await new Promise((r) => setImmediate(r));
  while (publisher.getStats().queued > 4 * WINDOW) await new Promise((r) => setTimeout(r, 1));
}

interface Node {
  server: NatsServer;
  pid: number;
  nc: NatsConnection;
  stop(): Promise<void>;
}

/** A nats-server of its own with the streams, warmed up with WARM events (JIT, first block files). */
async function freshNode(dir: string): Promise<Node> {
  const server = await startNats({ dir: `${dir}/nats`, mqttPort: 0 });
  const pid = server.child.pid;
  if (pid === undefined) throw new Error('nats-server has no pid');
  const nc = await connectNats(natsConfigSchema.parse({ servers: [server.url] }));
  await ensureStreams(nc, streamsConfigSchema.parse({}));
  const warm = new EventPublisher({
    nc,
    name: 'warm',
    dataDir: dir,
    config: publisherConfigSchema.parse({}),
  });
  for (const ev of events(WARM)) warm.publish(ev);
  await warm.flush(60_000);
  await warm.close();
  return {
    server,
    pid,
    nc,
    async stop() {
      await nc.close();
      await server.stop();
    },
  };
}

async function main(): Promise<void> {
  const t = tempDir('sentinel-bench-ingest-');
  // The publisher and the floor each get a fresh nats-server: JetStream's cost per message grows with
  // the ids in the stream's duplicate window, so the second of two phases on one server would pay more.
  const node = await freshNode(`${t.dir}/a`);
  const { nc, pid: serverPid } = node;
  try {
    progress(SUITE, `nats-server ${node.server.url}, file storage in a temp dir; ${N} events per phase`);

    const batch = events(N);
    progress(SUITE, 'phase 1: JetStream through EventPublisher');
    const publisher = new EventPublisher({
      nc,
      name: 'bench',
      dataDir: `${t.dir}/a`,
      config: publisherConfigSchema.parse({}),
    });
    let flushed = false;
    const js = await measure(N, serverPid, async () => {
      for (let i = 0; i < batch.length; i++) {
        publisher.publish(batch[i] as DecisionEventV1);
        if ((i & 4095) === 4095) await produced(publisher);
      }
      flushed = await publisher.flush(120_000);
    });
    const stats = publisher.getStats();
    await publisher.close();
    if (!flushed || stats.spooled > 0 || stats.published !== N)
      progress(SUITE, `warning: ${stats.published} acknowledged, ${stats.spooled} spooled during the run`);
    progress(SUITE, `  ${describe(js)}`);

    progress(
      SUITE,
      'phase 2: the floor — ready HPUB frames straight to a socket, acks counted (own nats-server)',
    );
    const floorNode = await freshNode(`${t.dir}/b`);
    let floor: Measured;
    try {
      const floorInbox = '_FLOOR.bench';
      const floorFrames = encodeFrames(events(N), floorInbox);
      const floorClient = new FloorClient(floorNode.server.port, floorInbox);
      await floorClient.start();
      floor = await measure(N, floorNode.pid, () => floorClient.run(floorFrames));
      floorClient.close();
    } finally {
      await floorNode.stop();
    }
    progress(SUITE, `  ${describe(floor)}`);
    progress(SUITE, 'phase 3: plain core NATS publish (no JetStream)');
    const coreSubject = 'bench.core.events';
    const core = await measure(N, serverPid, async () => {
      for (let i = 0; i < batch.length; i++) {
        const ev = batch[i] as DecisionEventV1;
        nc.publish(coreSubject, JSON.stringify(ev));
        if ((i & 4095) === 4095) await new Promise((r) => setImmediate(r));
      }
      await nc.flush();
    });
    progress(SUITE, `  ${Math.round(core.rate)} events/s (${core.seconds.toFixed(2)} s)`);

    progress(SUITE, 'phase 4: DurableConsumer reading SENTINEL_EVENTS (validate + ack)');
    const expected = N + WARM;
    let seen = 0;
    const consumer = new DurableConsumer({
      nc,
      stream: STREAMS.events,
      durable: 'bench-reader',
      batchSize: 1000,
      validate: validateDecisionEvent,
      handle: async (records) => {
        seen += records.length;
        if (seen >= expected) consumer.stop();
      },
    });
    await consumer.ensure();
    const started = performance.now();
    await consumer.run();
    const consumeSeconds = (performance.now() - started) / 1000;
    const consumeRate = seen / consumeSeconds;
    progress(SUITE, `  ${Math.round(consumeRate)} events/s (${consumeSeconds.toFixed(2)} s, ${seen} events)`);

    metric(SUITE, 'publish_events_per_s', js.rate, 'events/s');
    metric(SUITE, 'publish_cpu_us_per_event', js.clientUs, 'µs');
    metric(SUITE, 'publish_server_cpu_us_per_event', js.serverUs, 'µs');
    metric(SUITE, 'publish_floor_events_per_s', floor.rate, 'events/s');
    metric(SUITE, 'publish_floor_cpu_us_per_event', floor.clientUs, 'µs');
    metric(SUITE, 'publish_floor_server_cpu_us_per_event', floor.serverUs, 'µs');
    metric(SUITE, 'publish_ratio_vs_floor', js.rate / floor.rate, 'ratio');
    metric(SUITE, 'core_nats_events_per_s', core.rate, 'events/s');
    metric(SUITE, 'publish_ratio_vs_core_nats', js.rate / core.rate, 'ratio');
    metric(SUITE, 'consume_events_per_s', consumeRate, 'events/s');
  } finally {
    await node.stop();
    t.cleanup();
  }
}

await main();
