// `sentinel inject`: attack a running stack (the demo, or `sentinel up`) with real MQTT clients and show
// what Sentinel decided for each scenario: the decision events, the incident with its MITRE technique,
// and the ban. Each scenario attacks from its own loopback address and plays its own device, so one
// scenario's ban cannot hide another's detection.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { MqttClient } from 'mqtt';
import {
  BANS_BUCKET,
  banKey,
  connectNats,
  STREAMS,
  technique,
  validateBanDecision,
  validateDecisionEvent,
  validateIncident,
} from '@sentinel/ingest';
import type { DecisionEventV1, IncidentV1 } from '@sentinel/ingest';
import {
  connackCode,
  connectDevice,
  loopbackAddress,
  openAuthDb,
  populateDevices,
  readCredentials,
  sleep,
} from '@sentinel/infra';
import type { SentinelConfig } from '../config.ts';
import type { DeviceCredential } from './protocol.ts';

/** Attackers connect from 127.66.0.0/16, apart from the demo fleet. */
const ATTACK_BLOCK = 66;
const INJECT_PREFIX = 'inject-';
/** PUBLISHes of the rate anomaly: more than the PUBLISH tier's default burst of 500 per client. */
const PUBLISH_BURST = 800;

interface Ctx {
  port: number;
  nc: NatsConnection;
  creds: DeviceCredential[];
  /** A fresh source address per call. */
  address(): string;
}

interface Identity {
  ip?: string;
  clientId?: string;
}

interface Scenario {
  name: string;
  /** The incident rules of which one must open. */
  rules: string[];
  run(ctx: Ctx): Promise<{ identity: Identity; what: string; after?: () => Promise<string> }>;
}

export interface ScenarioOutcome {
  name: string;
  what: string;
  events: Record<string, number>;
  incident?: IncidentV1;
  ban?: string;
  after?: string;
  detected: boolean;
}

function device(ctx: Ctx, i: number): DeviceCredential {
  const d = ctx.creds[i];
  if (!d) throw new Error(`inject needs device ${i + 1} of its ${ctx.creds.length} credentials`);
  return d;
}

async function connectAs(
  ctx: Ctx,
  d: DeviceCredential,
  from: string,
  version: 4 | 5 = 4,
): Promise<MqttClient> {
  return connectDevice({
    port: ctx.port,
    from,
    clientId: d.clientId,
    username: d.username,
    password: d.secret,
    protocolVersion: version,
  });
}

const scenarios: Scenario[] = [
  {
    name: 'authentication failures (brute force)',
    rules: ['auth.brute_force'],
    async run(ctx) {
      const ip = ctx.address();
      const d = device(ctx, 0);
      for (let i = 0; i < 8; i++) {
        await connackCode({
          port: ctx.port,
          from: ip,
          clientId: d.clientId,
          username: d.username,
          password: `guess-${i}`,
        });
      }
      return {
        identity: { ip },
        what: `8 wrong passwords for ${d.username} from ${ip}`,
        after: async () => {
          const code = await connackCode({
            port: ctx.port,
            from: ip,
            clientId: d.clientId,
            username: d.username,
            password: d.secret,
          });
          return code === 0
            ? 'next CONNECT with the right password: accepted (not banned!)'
            : `next CONNECT with the right password: refused (CONNACK ${code})`;
        },
      };
    },
  },
  {
    name: 'rate anomalies (PUBLISH and CONNECT bursts)',
    rules: ['dos.connect_flood_confirmed', 'dos.connect_flood'],
    async run(ctx) {
      const d = device(ctx, 1);
      // 800 PUBLISHes at once: past the client's PUBLISH burst (500), so the node drops the rest
      // (rate.publish) and the rate-limit tiers show the attack.
      const flooder = await connectAs(ctx, d, ctx.address());
      const topic = `devices/${d.clientId}/telemetry`;
      await Promise.all(
        Array.from({ length: PUBLISH_BURST }, (_, i) =>
          flooder.publishAsync(topic, `{"seq":${i}}`, { qos: 0 }).catch(() => undefined),
        ),
      );
      await flooder.endAsync(true);
      const ip = ctx.address();
      // About 500 CONNECTs a second for 4.5 s: past the node's per-source rate for longer than the 3 s that
      // make a flood.
      const attempts: Promise<number>[] = [];
      const until = Date.now() + 4500;
      while (Date.now() < until) {
        for (let i = 0; i < 5; i++) {
          attempts.push(
            connackCode({
              port: ctx.port,
              from: ip,
              clientId: d.clientId,
              username: d.username,
              password: d.secret,
            }).catch(() => -1),
          );
        }
        await sleep(10);
      }
      await Promise.all(attempts);
      return {
        identity: { ip, clientId: d.clientId },
        what: `${PUBLISH_BURST} PUBLISHes at once as ${d.clientId}, then ${attempts.length} CONNECTs in 4.5 s from ${ip}`,
      };
    },
  },
  {
    name: 'pattern violations (injection payloads)',
    rules: ['exploit.injection_payload'],
    async run(ctx) {
      const d = device(ctx, 2);
      const c = await connectAs(ctx, d, ctx.address());
      const topic = `devices/${d.clientId}/telemetry`;
      for (const p of [
        `{"name":"x' OR '1'='1"}`,
        '{"cmd":"; cat /etc/passwd"}',
        '<script>alert(1)</script>',
        '../../../etc/passwd',
      ]) {
        await c.publishAsync(topic, p, { qos: 1 }).catch(() => undefined);
      }
      await c.endAsync(true);
      return {
        identity: { clientId: d.clientId },
        what: `SQL, command, XSS and path traversal payloads from ${d.clientId}`,
      };
    },
  },
  {
    name: 'payload size anomaly',
    rules: ['anomaly.oversized_payload'],
    async run(ctx) {
      const d = device(ctx, 3);
      const c = await connectAs(ctx, d, ctx.address());
      const big = Buffer.alloc(20 * 1024, 'a');
      for (let i = 0; i < 4; i++) await c.publishAsync(`devices/${d.clientId}/telemetry`, big, { qos: 0 });
      await sleep(200);
      await c.endAsync(true);
      return { identity: { clientId: d.clientId }, what: `4 payloads of 20 KB from ${d.clientId}` };
    },
  },
  {
    name: 'high-entropy payloads',
    rules: ['anomaly.high_entropy_payload'],
    async run(ctx) {
      const d = device(ctx, 4);
      const c = await connectAs(ctx, d, ctx.address());
      for (let i = 0; i < 6; i++)
        await c.publishAsync(`devices/${d.clientId}/telemetry`, randomBytes(4096), { qos: 0 });
      await sleep(200);
      await c.endAsync(true);
      return { identity: { clientId: d.clientId }, what: `6 random 4 KB payloads from ${d.clientId}` };
    },
  },
  {
    name: 'wildcard topic scan',
    rules: ['discovery.wildcard_subscribe'],
    async run(ctx) {
      const d = device(ctx, 5);
      const c = await connectAs(ctx, d, ctx.address());
      for (const f of ['#', '+/#', '$SYS/#', 'clients/+/alerts'])
        await c.subscribeAsync(f, { qos: 1 }).catch(() => undefined);
      await c.endAsync(true);
      return {
        identity: { clientId: d.clientId },
        what: `SUBSCRIBE #, +/#, $SYS/#, clients/+/alerts as ${d.clientId}`,
      };
    },
  },
  {
    name: 'stolen client id',
    rules: ['identity.stolen_client_id'],
    async run(ctx) {
      const d = device(ctx, 6);
      const victim = await connectAs(ctx, d, ctx.address());
      const thief = ctx.address();
      const code = await connackCode({
        port: ctx.port,
        from: thief,
        clientId: d.clientId,
        username: d.username,
        password: d.secret,
      }).catch(() => -1);
      await victim.endAsync(true);
      return {
        identity: { clientId: d.clientId },
        what: `${d.clientId} connected, then the same client id from ${thief} (CONNACK ${code})`,
      };
    },
  },
];

function matches(ev: DecisionEventV1, id: Identity): boolean {
  return (
    (id.ip !== undefined && ev.subject.ip === id.ip) ||
    (id.clientId !== undefined && ev.subject.clientId === id.clientId)
  );
}

/** Records of a stream from `since` up to its last record when called (live streams never go quiet). */
async function readSince(nc: NatsConnection, stream: string, since: number): Promise<unknown[]> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const last = (await jsm.streams.info(stream)).state.last_seq;
  const out = new Map<number, unknown>();
  let from = new Date(since).toISOString();
  // An ephemeral ordered consumer can vanish on a busy server ("consumer not found"): start again from
  // the last record seen; the map drops what was read twice.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const c = await js.consumers.get(stream, {
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: from,
      });
      for (;;) {
        let got = 0;
        let done = false;
        for await (const m of await c.fetch({ max_messages: 1000, expires: 1000 })) {
          got += 1;
          from = m.timestamp;
          try {
            out.set(m.seq, m.json());
          } catch {
            // not ours to judge here
          }
          if (m.seq >= last || m.info.pending === 0) done = true;
        }
        if (done || got === 0) return [...out.values()];
      }
    } catch (err) {
      if (attempt === 2) throw err;
    }
  }
  return [...out.values()];
}

async function observe(
  ctx: Ctx,
  s: Scenario,
  started: number,
  identity: Identity,
): Promise<Omit<ScenarioOutcome, 'name' | 'what' | 'after'>> {
  const deadline = Date.now() + 10_000;
  let incident: IncidentV1 | undefined;
  const events: Record<string, number> = {};
  while (Date.now() < deadline && !incident) {
    await sleep(300);
    for (const raw of await readSince(ctx.nc, STREAMS.incidents, started)) {
      const v = validateIncident(raw);
      if (!v.ok || !s.rules.includes(v.value.rule)) continue;
      const idv = v.value.identity.value;
      if (idv === identity.ip || idv === identity.clientId) incident = v.value;
    }
  }
  for (const raw of await readSince(ctx.nc, STREAMS.events, started)) {
    const v = validateDecisionEvent(raw);
    if (v.ok && matches(v.value, identity)) events[v.value.reason] = (events[v.value.reason] ?? 0) + 1;
  }
  let ban: string | undefined;
  if (incident) {
    const kv = await new Kvm(ctx.nc).open(BANS_BUCKET);
    const entry = await kv.get(banKey(incident.identity.scope, incident.identity.value));
    if (entry && entry.operation === 'PUT') {
      const b = validateBanDecision(entry.json());
      if (b.ok) {
        ban = `${b.value.scope} ${b.value.value} for ${b.value.durationS} s (offense ${b.value.offense ?? 1}, until ${new Date(b.value.until).toISOString()})`;
      }
    }
  }
  return {
    events,
    ...(incident ? { incident } : {}),
    ...(ban ? { ban } : {}),
    detected: incident !== undefined,
  };
}

async function injectCredentials(config: SentinelConfig): Promise<DeviceCredential[]> {
  const file = resolve(config.dataDir, 'auth', 'inject-credentials.csv');
  const pool = await openAuthDb(config.authService.db);
  try {
    // Fresh secrets each run; the numbers move on so that earlier bans on client ids do not carry over.
    const start = 1 + (Math.floor(Date.now() / 1000) % 100_000) * 10;
    await populateDevices({ pool, count: scenarios.length, prefix: INJECT_PREFIX, start, file });
  } finally {
    await pool.end();
  }
  return readCredentials(file);
}

export async function runInject(
  config: SentinelConfig,
  only: string[],
  log: (line: string) => void,
): Promise<ScenarioOutcome[]> {
  const nc = await connectNats(config.nats, { component: 'inject' });
  const creds = await injectCredentials(config);
  let next = Math.floor(Math.random() * 50_000);
  const ctx: Ctx = {
    port: config.enforcement.tcp.port,
    nc,
    creds,
    address: () => loopbackAddress(ATTACK_BLOCK, next++),
  };
  const chosen = scenarios.filter(
    (s) => only.length === 0 || only.some((o) => s.name.includes(o) || s.rules.some((r) => r.includes(o))),
  );
  const outcomes: ScenarioOutcome[] = [];
  try {
    let i = 0;
    for (const s of chosen) {
      i += 1;
      const started = Date.now() - 50;
      const r = await s.run(ctx);
      log(`\n[${i}/${chosen.length}] ${s.name} — ${r.what}`);
      const o = await observe(ctx, s, started, r.identity);
      const after = r.after && o.detected ? await r.after() : undefined;
      const outcome: ScenarioOutcome = { name: s.name, what: r.what, ...o, ...(after ? { after } : {}) };
      outcomes.push(outcome);
      print(outcome, log);
    }
  } finally {
    await nc.close();
  }
  const detected = outcomes.filter((o) => o.detected).length;
  log(`\n${detected}/${outcomes.length} scenarios detected`);
  return outcomes;
}

function print(o: ScenarioOutcome, log: (line: string) => void): void {
  const ev = Object.entries(o.events)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${r} ×${n}`)
    .join(', ');
  log(`  events     ${ev || '(none)'}`);
  if (o.incident) {
    const t = technique(o.incident.technique);
    log(
      `  incident   ${o.incident.rule} "${o.incident.title}" ${o.incident.technique}${t ? ` ${t.name}` : ''} (${o.incident.tactic}), severity ${o.incident.severity}, ${o.incident.eventCount} events`,
    );
  } else log('  incident   none within 10 s');
  log(`  ban        ${o.ban ?? 'none'}`);
  if (o.after) log(`  then       ${o.after}`);
  log(`  ${o.detected ? '✓ detected' : '✗ NOT detected'}`);
}
