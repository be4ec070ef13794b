// The analytics process is a real child (`sentinel analytics`), killed with SIGKILL while batches are in
// flight, restarted, killed again; afterwards every event is stored exactly once, the incidents and bans
// are what the attacks warrant, and `sentinel analytics rebuild` derives the same incidents and scores.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { STREAMS, banKey, makeEvent } from '@sentinel/ingest';
import type { BanDecisionV1, DecisionEventV1 } from '@sentinel/ingest';
import { waitFor } from '@sentinel/infra';
import { afterEach, describe, expect, it } from 'vitest';
import { ChdbStore, countEvents, listIncidents, threatScores } from '@sentinel/analytics';
import type { IncidentSummary, ThreatScore } from '@sentinel/analytics';
import { badLogin, startKit } from './kit.ts';
import type { Kit } from './kit.ts';

const SENTINEL = fileURLToPath(new URL('../../../bin/sentinel.mjs', import.meta.url));

let kit: Kit | undefined;
const children: ChildProcess[] = [];
const logs = new WeakMap<ChildProcess, () => string>();
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await kit?.close();
  kit = undefined;
});

function sentinel(k: Kit, args: string[]): ChildProcess {
  const child = spawn(process.execPath, [SENTINEL, ...args], {
    cwd: k.dir,
    env: {
      ...process.env,
      SENTINEL_NATS_SERVERS: k.nats.servers.join(','),
      SENTINEL_DATA_DIR: join(k.dir, 'data'),
      SENTINEL_LOG_LEVEL: 'warn',
      SENTINEL_ANALYTICS_BATCH_MAX_EVENTS: '250',
      SENTINEL_ANALYTICS_BATCH_MAX_WAIT_MS: '20',
      SENTINEL_ANALYTICS_BATCH_ACK_WAIT_MS: '1500',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  logs.set(child, () => err);
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

async function consumerState(k: Kit): Promise<{ acked: number; pending: number; deliveries: number }> {
  const jsm = await jetstreamManager(k.nc);
  try {
    const info = await jsm.consumers.info(STREAMS.events, 'analytics');
    // every delivery, redeliveries included, takes a consumer sequence
    return {
      acked: info.ack_floor.stream_seq,
      pending: info.num_ack_pending,
      deliveries: info.delivered.consumer_seq,
    };
  } catch {
    return { acked: 0, pending: 0, deliveries: 0 };
  }
}

/** Kill the child the moment it holds delivered but unacknowledged records past `afterAcked`. */
async function killMidBatch(k: Kit, child: ChildProcess, afterAcked: number): Promise<void> {
  await waitFor(
    `a batch in flight after ${afterAcked} acks`,
    async () => {
      const s = await consumerState(k);
      return s.acked >= afterAcked && s.pending > 0;
    },
    { timeoutMs: 60_000, intervalMs: 2 },
  );
  child.kill('SIGKILL');
  await exited(child);
}

function traffic(): { events: DecisionEventV1[]; attackers: string[] } {
  const events: DecisionEventV1[] = [];
  const attackers = Array.from({ length: 6 }, (_, i) => `198.51.100.${i + 10}`);
  const t0 = Date.now() - 120_000;
  for (let i = 0; i < 6000; i++) {
    events.push(
      makeEvent({
        node: 'edge-1',
        reason: i % 10 === 0 ? 'rate.per_ip' : 'publish.summary',
        subject: { ip: `10.1.${(i >> 8) & 15}.${i & 255}`, clientId: `dev-${i % 400}` },
        mqtt: { packetType: 'publish', messages: 10, bytes: 1000, intervalMs: 10_000 },
        ts: t0 + i * 10,
      }),
    );
    // each attacker fails 10 logins, 500 ms apart, spread through the traffic
    const a = Math.floor(i / 1000);
    if (i % 100 === 50 && attackers[a]) events.push(badLogin(attackers[a], `user${i % 1000}`, t0 + i * 10));
  }
  return { events, attackers };
}

/**
 * Incidents as a rebuild must reproduce them: rule, identity, first and last seen, count, severity,
 * status, technique and the event sample. Not the incident id: after a SIGKILL, redelivery can hand an
 * incident's earliest event over after the events that opened it, and the id is fixed when the incident
 * opens (a known gap, see analytics/README.md).
 */
function comparable(list: IncidentSummary[]): unknown[] {
  return list
    .map(({ incidentId: _id, ...i }) => ({ ...i, eventIds: [...i.eventIds].sort() }))
    .sort((a, b) =>
      `${a.rule}|${a.identity}|${a.firstSeen}`.localeCompare(`${b.rule}|${b.identity}|${b.firstSeen}`),
    );
}

describe('analytics process crash and rebuild', () => {
  it('SIGKILL mid-batch twice loses no event, counts none twice, and a rebuild reproduces incidents and scores', async () => {
    kit = await startKit();
    const k = kit;
    const { events, attackers } = traffic();
    // a third of the traffic is waiting when analytics starts; the rest keeps arriving, so that there is
    // always a batch in flight to kill, however fast the machine
    const head = Math.floor(events.length / 3);
    for (const e of events.slice(0, head)) k.node.publish(e);
    expect(await k.node.flush()).toBe(true);
    const trickle = (async () => {
      for (let i = head; i < events.length; i += 50) {
        for (const e of events.slice(i, i + 50)) k.node.publish(e);
        await new Promise((r) => setTimeout(r, 15));
      }
      await k.node.flush();
    })();

    let child = sentinel(k, ['analytics']);
    await killMidBatch(k, child, 1000);
    child = sentinel(k, ['analytics']);
    await killMidBatch(k, child, 3500);
    child = sentinel(k, ['analytics']);
    await trickle;
    await waitFor('every event acknowledged', async () => (await consumerState(k)).acked === events.length, {
      timeoutMs: 90_000,
      intervalMs: 100,
    });
    const state = await consumerState(k);
    expect(state.deliveries).toBeGreaterThan(events.length); // the kills left batches to redeliver
    for (const ip of attackers) {
      const entry = await waitFor(
        `ban of ${ip}`,
        async () => (await k.bans.get(banKey('ip', ip))) ?? undefined,
      );
      expect(entry.json<BanDecisionV1>()).toMatchObject({ reason: 'auth.brute_force', offense: 1 });
    }
    child.kill('SIGTERM');
    const code = await exited(child);
    expect(code, logs.get(child)?.()).toBe(0);

    const asOf = Date.now();
    const store = new ChdbStore(join(k.dir, 'data', 'chdb'));
    let live: IncidentSummary[];
    let liveScores: ThreatScore[];
    try {
      expect(await countEvents(store)).toBe(events.length);
      const [raw] = await store.query<{ n: number }>('SELECT count() AS n FROM events_v1');
      expect(Number(raw?.n)).toBe(events.length); // not even an unmerged duplicate row
      const [perMinute] = await store.query<{ n: number }>(
        "SELECT sum(n) AS n FROM (SELECT uniqExactMerge(events) AS n FROM identity_minute_v1 WHERE scope = 'ip' GROUP BY identity, minute)",
      );
      expect(Number(perMinute?.n)).toBe(events.length);
      live = await listIncidents(store, { limit: 1000 });
      const brute = live.filter((i) => i.rule === 'auth.brute_force');
      expect(brute.map((i) => i.identity).sort()).toEqual([...attackers].sort());
      for (const inc of brute) expect(inc).toMatchObject({ eventCount: 10, technique: 'T1110' });
      // ten usernames from each attacker within ten minutes: password spraying as well
      expect(live.filter((i) => i.rule === 'auth.password_spraying')).toHaveLength(attackers.length);
      liveScores = await threatScores(store, { halfLifeS: 3600, scale: 5, asOf });
    } finally {
      await store.close();
    }

    const rb = sentinel(k, ['analytics', 'rebuild']);
    let out = '';
    rb.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    expect(await exited(rb)).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ events: events.length, skipped: 0 });

    const rebuilt = new ChdbStore(join(k.dir, 'data', 'chdb'));
    try {
      expect(await countEvents(rebuilt)).toBe(events.length);
      const all = await listIncidents(rebuilt, { limit: 1000 });
      expect(comparable(all)).toEqual(comparable(live));
      expect(await threatScores(rebuilt, { halfLifeS: 3600, scale: 5, asOf })).toEqual(liveScores);
      const [bans] = await rebuilt.query<{ n: number }>(
        "SELECT uniqExact(id) AS n FROM decisions_v1 WHERE action = 'ban'",
      );
      expect(Number(bans?.n)).toBe(attackers.length);
    } finally {
      await rebuilt.close();
    }
  }, 240_000); // three process starts, two kills and a rebuild: generous for a loaded CI machine
});
