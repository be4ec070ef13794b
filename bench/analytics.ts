// npm run bench -- analytics
// Analytics end to end on a private nats-server and embedded chDB:
//   incident_query_p95_ms   the incident list with filters, over 10 million stored events (generated with
//                           INSERT … SELECT FROM numbers() inside chDB) and 50,000 incidents
//   ingest_events_per_s     SENTINEL_EVENTS -> durable consumer -> dedupe check -> chDB insert -> rules
//   ingest_cpu_us_per_event  CPU time per ingested event: this process (event loop and chDB's threads) and
//                           nats-server, from process.cpuUsage() and /proc
//   chdb_insert_events_per_s the peer: the same rows inserted straight into chDB (no JetStream, no checks)
//                           as JSONEachRow; chdb_insert_tsv_events_per_s the same through the ingest path's
//                           TabSeparated lines
//   event_to_query_p99_ms   one event published -> visible to a query
//   attack_to_ban_p99_ms    the event completing a brute force published -> the ban in an enforcement
//                           node's penalty box (following the KV bucket); attack_to_ban_kv_*: in KV
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import {
  BANS_BUCKET,
  EventPublisher,
  connectNats,
  ensureStreams,
  makeEvent,
  natsConfigSchema,
  publisherConfigSchema,
  streamsConfigSchema,
  streamConfigs,
  banKey,
  validateDecisionEvent,
} from '@sentinel/ingest';
import type { DecisionEventV1 } from '@sentinel/ingest';
import { startNats, tempDir } from '@sentinel/infra';
import {
  ChdbStore,
  EVENT_COLUMNS,
  MIGRATIONS,
  analyticsConfigSchema,
  eventRow,
  eventTsv,
  listIncidents,
  migrate,
  startAnalytics,
} from '@sentinel/analytics';
import type { Store } from '@sentinel/analytics';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { headers as natsHeaders, nanos } from '@nats-io/nats-core';
import { MemoryPenaltyBox, followBans } from '@sentinel/enforcement';
import { metric, percentile, progress } from './_report.ts';

const SUITE = 'analytics';
const BACKGROUND = Math.max(1, Number(process.env.BENCH_ANALYTICS_EVENTS ?? 10_000_000));
const INGEST = 100_000;

function noise(i: number, ts: number): DecisionEventV1 {
  return makeEvent({
    node: 'edge-1',
    reason: i % 20 === 0 ? 'rate.per_ip' : 'publish.summary',
    subject: {
      ip: `10.2.${(i >> 8) & 255}.${i & 255}`,
      clientId: `dev-${i % 5000}`,
      username: `dev-${i % 5000}`,
    },
    mqtt: { packetType: 'publish', messages: 10, bytes: 2000, intervalMs: 10_000 },
    ts,
  });
}

/** 10 M events spread over the last 24 h and 50,000 incidents (3 updates each) with statuses. */
async function generate(store: Store, now: number): Promise<void> {
  await migrate(store, MIGRATIONS.slice(0, 1));
  const t0 = performance.now();
  await store.exec(
    `INSERT INTO events_v1 (id, ts, node, kind, decision, reason, severity, client_id, username, ip, stream_seq)
     SELECT concat('G', leftPad(toString(number), 25, '0')),
       fromUnixTimestamp64Milli(toInt64({now:Int64} - intDiv(number * 86400000, {n:UInt64}))),
       'edge-1', if(number % 10 = 0, 'auth', 'publish_summary'), if(number % 10 = 0, 'deny', 'allow'),
       if(number % 10 = 0, 'auth.bad_credentials', 'publish.summary'), if(number % 10 = 0, 5, 0),
       concat('dev-', toString(number % 50000)), concat('user', toString(number % 20000)),
       IPv4NumToString(toUInt32(167772160 + number % 100000)), number
     FROM numbers({n:UInt64})`,
    { now, n: BACKGROUND },
  );
  progress(SUITE, `generated ${BACKGROUND} events in ${Math.round(performance.now() - t0)} ms`);
  // merged now, so that merging the generated parts in the background does not land in the CPU time of
  // the ingest phase (it did: the same code measured 25 and 42 µs per event in back-to-back runs)
  const o0 = performance.now();
  await store.exec('OPTIMIZE TABLE events_v1 FINAL');
  progress(SUITE, `merged the generated parts in ${Math.round(performance.now() - o0)} ms`);
  // the views are created after the bulk load: they hold the live events only (the incident list does not read them)
  await migrate(store);
  const rules = [
    'auth.brute_force',
    'auth.password_spraying',
    'dos.connect_flood',
    'exploit.injection_payload',
    'command.replay',
  ];
  const techniques = ['T1110', 'T1110.003', 'T0814', 'T1190', 'T0855'];
  await store.exec(
    `INSERT INTO incidents_v1
     SELECT concat('U', leftPad(toString(number), 25, '0')) AS id,
       fromUnixTimestamp64Milli(toInt64({now:Int64} - intDiv(number * 86400000, {n:UInt64}))) AS ts,
       concat('I', leftPad(toString(intDiv(number, 3)), 25, '0')) AS incident_id,
       {rules:Array(String)}[1 + intDiv(number, 3) % 5] AS rule, 'Generated incident' AS title,
       toUInt8(4 + intDiv(number, 3) % 7) AS severity, {techniques:Array(String)}[1 + intDiv(number, 3) % 5] AS technique,
       'Credential Access' AS tactic, 'ip' AS scope, IPv4NumToString(toUInt32(167772160 + intDiv(number, 3) % 100000)) AS identity,
       ts - toIntervalSecond(60) AS first_seen, ts AS last_seen, toUInt32(5 + number % 3) AS event_count,
       [concat('G', leftPad(toString(number), 25, '0'))] AS event_ids, 'Ban the source.' AS remediation
     FROM numbers({n:UInt64})`,
    { now, n: 150_000, rules, techniques },
  );
  await store.exec(
    `INSERT INTO incident_status_v1
     SELECT concat('A', toString(number)), fromUnixTimestamp64Milli({now:Int64}),
       concat('I', leftPad(toString(number * 4), 25, '0')), if(number % 2 = 0, 'acknowledged', 'resolved'), 'bench', '', ''
     FROM numbers(10000)`,
    { now },
  );
}

/** CPU seconds (user + system) a process used so far, from /proc; 0 where /proc is not there. */
function procCpuS(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return 0;
  }
}

/**
 * The floor peers: the same consumer settings as the product's events consumer (AckPolicy all, 10,000 per
 * batch or 50 ms, one batch inserted while the next is collected, one ack per batch after its insert).
 * 'json' and 'tsv': the messages already hold events_v1 rows in the engine's format, so the payloads go to
 * chDB as they came (joined by line feeds): no JSON.parse, no validation, no rules, no dedupe lookup.
 * 'validated': the messages are decision events as the product gets them, and each is decoded, parsed and
 * checked with the contract validator — the work no implementation of the guarantees can skip — but its
 * row is one built before the clock (no row building, dedupe, rules or ack bookkeeping). Each does strictly
 * less than the product; what they reach is the most this machine gives the product.
 */
async function floorPeer(
  nc: NatsConnection,
  streamsCfg: ReturnType<typeof streamsConfigSchema.parse>,
  store: ChdbStore,
  natsPid: number | undefined,
  kind: 'json' | 'tsv' | 'validated',
  payloads: string[],
  rows?: Buffer[],
): Promise<{ perS: number; cpuUs: number; natsUs: number }> {
  const format = kind === 'json' ? 'JSONEachRow' : 'TabSeparated';
  const tag = kind;
  const stream = `BENCH_FLOOR_${tag.toUpperCase()}`;
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    ...streamConfigs(streamsCfg, 1).events,
    name: stream,
    subjects: [`bench.floor.${tag}.>`],
    description: 'benchmark floor peer',
  });
  const enc = new TextEncoder();
  for (let i = 0; i < payloads.length; i++) {
    const h = natsHeaders();
    h.set('Nats-Msg-Id', `floor-${tag}-${i}`);
    nc.publish(`bench.floor.${tag}.publish_summary`, enc.encode(payloads[i]), { headers: h });
    if (i % 5000 === 4999) await nc.flush();
  }
  await nc.flush();
  await timeUntil(async () => (await jsm.streams.info(stream)).state.messages >= payloads.length, 20);
  await jsm.consumers.add(stream, {
    durable_name: 'floor',
    ack_policy: AckPolicy.All,
    ack_wait: nanos(30_000),
    max_ack_pending: 40_000,
  });
  const consumer = await jetstream(nc).consumers.get(stream, 'floor');
  const NL = Buffer.from('\n');
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const nats0 = procCpuS(natsPid);
  const messages = await consumer.consume({ max_messages: 20_000, expires: 1000 });
  let parts: Uint8Array[] = [];
  let last: JsMsg | undefined;
  let inflight: Promise<void> = Promise.resolve();
  let failed: unknown;
  const flush = async (): Promise<void> => {
    if (parts.length === 0) return;
    const body = Buffer.concat(parts);
    const ackMe = last;
    parts = [];
    last = undefined;
    await inflight;
    inflight = store
      .insertRaw('events_v1', format, body, format === 'TabSeparated' ? EVENT_COLUMNS : undefined)
      .then(() => ackMe?.ack())
      .catch((err: unknown) => {
        failed = err;
      });
  };
  let timer: NodeJS.Timeout | undefined;
  const decoder = new TextDecoder();
  let received = 0;
  const done = (async () => {
    for await (const m of messages) {
      if (parts.length === 0) timer = setTimeout(() => void flush(), 50);
      if (rows) {
        // one consumer on a fresh stream with nothing redelivered: the n-th message is the n-th event
        const v = validateDecisionEvent(JSON.parse(decoder.decode(m.data)));
        if (!v.ok) {
          failed = new Error(`floor: event ${received} did not validate`);
          break;
        }
        parts.push(rows[received] as Buffer, NL);
      } else parts.push(m.data, NL);
      received += 1;
      last = m;
      if (parts.length >= 20_000) {
        clearTimeout(timer);
        await flush();
      }
    }
  })();
  await timeUntil(
    async () =>
      failed !== undefined ||
      (await jsm.consumers.info(stream, 'floor')).ack_floor.stream_seq >= payloads.length,
    20,
  );
  const s = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const natsUs = ((procCpuS(natsPid) - nats0) * 1e6) / payloads.length;
  clearTimeout(timer);
  messages.stop();
  await done;
  await inflight;
  if (failed !== undefined) throw failed as Error;
  await jsm.streams.delete(stream);
  return { perS: payloads.length / s, cpuUs: (cpu.user + cpu.system) / payloads.length, natsUs };
}

async function timeUntil(probe: () => Promise<boolean>, stepMs = 2): Promise<void> {
  // a probe that throws (the durable not created yet) counts as not yet
  while (!(await probe().catch(() => false))) await new Promise((r) => setTimeout(r, stepMs));
}

async function main(): Promise<void> {
  const t = tempDir('sentinel-bench-analytics-');
  const now = Date.now();
  const dataDir = join(t.dir, 'data');
  const cfg = analyticsConfigSchema.parse({ batch: { maxEvents: 10_000, maxWaitMs: 50 } });

  progress(SUITE, `generating ${BACKGROUND} stored events inside chDB ...`);
  const gen = new ChdbStore(join(dataDir, cfg.chdbDir));
  await generate(gen, now);
  await gen.close();

  const server = await startNats({ dir: join(t.dir, 'nats'), mqttPort: 0 });
  const nats = natsConfigSchema.parse({ servers: [server.url] });
  const streams = streamsConfigSchema.parse({});
  const pubCfg = publisherConfigSchema.parse({});
  const nc = await connectNats(nats, { component: 'bench' });
  await ensureStreams(nc, streams);
  const node = new EventPublisher({ nc, name: 'bench-node', dataDir: t.dir, config: pubCfg });
  try {
    progress(SUITE, `publishing ${INGEST} events to SENTINEL_EVENTS ...`);
    for (let i = 0; i < INGEST; i++) node.publish(noise(i, now - 60_000 + Math.floor(i / 10)));
    await node.flush(120_000);

    const booting = performance.now();
    const svc = await startAnalytics({ analytics: cfg, nats, streams, publisher: pubCfg, dataDir });
    metric(SUITE, 'service_start_ms', performance.now() - booting, 'ms', {
      note: 'migrations check + rule state restore',
    });
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    const natsCpu0 = procCpuS(server.child.pid);
    const jsm = await jetstreamManager(nc);
    await timeUntil(
      async () => (await jsm.consumers.info('SENTINEL_EVENTS', 'analytics')).ack_floor.stream_seq >= INGEST,
      20,
    );
    const ingestS = (performance.now() - started) / 1000;
    metric(SUITE, 'ingest_events_per_s', INGEST / ingestS, 'events/s', { events: INGEST });
    const cpu = process.cpuUsage(cpu0);
    metric(SUITE, 'ingest_cpu_us_per_event', (cpu.user + cpu.system) / INGEST, 'us', {
      process: 'analytics (event loop + chDB threads; this process also runs the bench)',
      natsServerUs: Math.round(((procCpuS(server.child.pid) - natsCpu0) * 1e6) / INGEST),
    });

    const rows = Array.from({ length: INGEST }, (_, i) => eventRow(noise(i + INGEST, now), i));
    const p0 = performance.now();
    for (let i = 0; i < rows.length; i += 10_000)
      await svc.store.insert('events_v1', rows.slice(i, i + 10_000));
    metric(SUITE, 'chdb_insert_events_per_s', INGEST / ((performance.now() - p0) / 1000), 'events/s');
    const lines = Array.from({ length: INGEST }, (_, i) => eventTsv(noise(i + 2 * INGEST, now), i));
    const t0 = performance.now();
    for (let i = 0; i < lines.length; i += 10_000)
      await svc.store.insertTsv('events_v1', EVENT_COLUMNS, lines.slice(i, i + 10_000));
    metric(SUITE, 'chdb_insert_tsv_events_per_s', INGEST / ((performance.now() - t0) / 1000), 'events/s');

    progress(SUITE, 'floor peers: JetStream -> chDB with the payloads inserted as they come ...');
    const floors = [
      ['json', (i: number) => JSON.stringify(eventRow(noise(i + 3 * INGEST, now), i))],
      ['tsv', (i: number) => eventTsv(noise(i + 4 * INGEST, now), i)],
      ['validated', (i: number) => JSON.stringify(noise(i + 5 * INGEST, now))],
    ] as const;
    for (const [kind, make] of floors) {
      const payloads = Array.from({ length: INGEST }, (_, i) => make(i));
      const rows =
        kind === 'validated'
          ? payloads.map((p, i) => Buffer.from(eventTsv(JSON.parse(p) as DecisionEventV1, i + 1)))
          : undefined;
      const f = await floorPeer(nc, streams, svc.store as ChdbStore, server.child.pid, kind, payloads, rows);
      metric(SUITE, `floor_jetstream_${kind}_events_per_s`, f.perS, 'events/s', {
        cpuUsPerEvent: Math.round(f.cpuUs * 10) / 10,
        natsServerUs: Math.round(f.natsUs * 10) / 10,
        peer:
          kind === 'validated'
            ? 'same consumer settings, each event decoded, parsed and validated, rows built before the clock'
            : `same consumer settings, ${kind} rows inserted as they come, no parse/validation/rules`,
      });
    }

    progress(SUITE, 'event -> query latency ...');
    const visible: number[] = [];
    for (let i = 0; i < 100; i++) {
      const e = noise(900_000 + i, Date.now());
      const s = performance.now();
      node.publish(e);
      // every 10 ms: the probe shares the one chDB session with the writer, and a tighter loop would
      // queue in front of the very insert it waits for
      await timeUntil(async () => {
        // by time range and id, as the api looks events up (the table is ordered by (ts, id))
        const r = await svc.store.query(
          `SELECT 1 FROM events_v1 WHERE ts >= fromUnixTimestamp64Milli({from:Int64})
             AND ts <= fromUnixTimestamp64Milli({to:Int64}) AND id = {id:String} LIMIT 1`,
          { from: e.ts - 1000, to: e.ts + 1000, id: e.id },
        );
        return r.length > 0;
      }, 10);
      visible.push(performance.now() - s);
    }
    visible.sort((a, b) => a - b);
    metric(SUITE, 'event_to_query_p50_ms', percentile(visible, 50), 'ms');
    metric(SUITE, 'event_to_query_p99_ms', percentile(visible, 99), 'ms');

    progress(SUITE, 'attack -> ban latency ...');
    const bans = await new Kvm(nc).open(BANS_BUCKET);
    // an enforcement node's penalty box following the bucket, as a node does
    const box = new MemoryPenaltyBox();
    const follower = await followBans(nc, box);
    const atKv: number[] = [];
    const atNode: number[] = [];
    for (let a = 0; a < 40; a++) {
      const ip = `198.18.${a >> 8}.${a & 255}`;
      const fail = (n: number): DecisionEventV1 =>
        makeEvent({
          node: 'edge-1',
          reason: 'auth.bad_credentials',
          subject: { ip, username: `u${n}`, clientId: `c${n}` },
        });
      for (let n = 0; n < 4; n++) node.publish(fail(n));
      await node.flush();
      await new Promise((r) => setTimeout(r, 120));
      const s = performance.now();
      node.publish(fail(4));
      let kvAt = 0;
      let nodeAt = 0;
      while (kvAt === 0 || nodeAt === 0) {
        if (nodeAt === 0 && box.check({ ip }, Date.now())) nodeAt = performance.now();
        if (kvAt === 0 && (await bans.get(banKey('ip', ip)))?.operation === 'PUT') kvAt = performance.now();
        await new Promise((r) => setTimeout(r, 1));
      }
      atKv.push(kvAt - s);
      atNode.push(nodeAt - s);
    }
    await follower.stop();
    atKv.sort((a, b) => a - b);
    atNode.sort((a, b) => a - b);
    metric(SUITE, 'attack_to_ban_kv_p50_ms', percentile(atKv, 50), 'ms');
    metric(SUITE, 'attack_to_ban_kv_p99_ms', percentile(atKv, 99), 'ms');
    metric(SUITE, 'attack_to_ban_p50_ms', percentile(atNode, 50), 'ms', { at: 'enforcement penalty box' });
    metric(SUITE, 'attack_to_ban_p99_ms', percentile(atNode, 99), 'ms', { at: 'enforcement penalty box' });

    progress(SUITE, 'incident queries ...');
    const filters = [
      { status: 'new' as const, minSeverity: 7, limit: 50 },
      { technique: 'T1110', since: now - 3_600_000, limit: 50 },
      { rule: 'dos.connect_flood', status: 'acknowledged' as const, limit: 50 },
      { scope: 'ip' as const, identity: '10.0.1.44', limit: 50 },
    ];
    const took: number[] = [];
    for (let i = 0; i < 40; i++) {
      const s = performance.now();
      await listIncidents(svc.store, filters[i % filters.length]);
      took.push(performance.now() - s);
    }
    took.sort((a, b) => a - b);
    const [stored] = await svc.store.query<{ n: string }>('SELECT count() AS n FROM events_v1');
    metric(SUITE, 'incident_query_p95_ms', percentile(took, 95), 'ms', {
      storedEvents: Number(stored?.n),
      incidents: 50_000,
    });
    await svc.stop();
  } finally {
    await node.close();
    await nc.close();
    await server.stop();
    t.cleanup();
  }
}

await main();
