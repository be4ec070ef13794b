import { SUBJECTS, banKey, ulid } from '@sentinel/ingest';
import type { AnalystActionV1, BanDecisionV1 } from '@sentinel/ingest';
import { waitFor } from '@sentinel/infra';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AllowlistedError,
  incidentHistory,
  listIncidents,
  manualBan,
  manualUnban,
  startAnalytics,
} from '@sentinel/analytics';
import type { AnalyticsService } from '@sentinel/analytics';
import { analyticsConfig, badLogin, startKit } from './kit.ts';
import type { Kit } from './kit.ts';

let kit: Kit | undefined;
let svc: AnalyticsService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
  await kit?.close();
  kit = undefined;
});

async function start(k: Kit, patch: Record<string, unknown>): Promise<AnalyticsService> {
  return startAnalytics({
    analytics: analyticsConfig(patch),
    nats: k.nats,
    streams: k.streams,
    publisher: k.publisherCfg,
    dataDir: k.dir,
  });
}

async function activeBan(k: Kit, key: string): Promise<BanDecisionV1 | undefined> {
  const e = await k.bans.get(key);
  return e?.operation === 'PUT' ? e.json<BanDecisionV1>() : undefined;
}

async function storedDecisions(
  s: AnalyticsService,
  value: string,
): Promise<{ action: string; offense: number }[]> {
  const rows = await s.store.query<{ action: string; offense: number }>(
    'SELECT action, offense FROM decisions_v1 FINAL WHERE value = {v:String} ORDER BY ts, id',
    { v: value },
  );
  return rows.map((r) => ({ action: r.action, offense: Number(r.offense) }));
}

describe('ban decisions', () => {
  it('a repeat offender gets base × factor, the expired ban leaves KV, the allowlist is never banned', async () => {
    kit = await startKit();
    const k = kit;
    svc = await start(k, {
      bans: { baseS: 1, factor: 3, maxS: 100, jitterS: 0 },
      allowlist: ['ip:192.0.2.0/24'],
    });
    const attacker = '203.0.113.77';
    const key = banKey('ip', attacker);

    for (let i = 0; i < 5; i++) k.node.publish(badLogin(attacker, `a${i}`));
    const first = await waitFor('first ban', () => activeBan(k, key));
    expect(first).toMatchObject({ offense: 1, durationS: 1 });
    await waitFor('the expired ban deleted from KV', async () => (await activeBan(k, key)) === undefined, {
      timeoutMs: 5000,
    });

    // the attack goes on after the ban ended: same incident, second offense, 1 s × 3
    for (let i = 5; i < 10; i++) k.node.publish(badLogin(attacker, `a${i}`));
    const second = await waitFor('second ban', () => activeBan(k, key));
    expect(second).toMatchObject({ offense: 2, durationS: 3, incidentId: first.incidentId });
    await waitFor('decisions stored', async () => (await storedDecisions(svc!, attacker)).length === 4);
    expect(await storedDecisions(svc, attacker)).toEqual(
      [
        { action: 'ban', offense: 1 },
        { action: 'unban', offense: 0 },
        { action: 'ban', offense: 2 },
        { action: 'unban', offense: 0 },
      ].slice(0, 4),
    );

    const friend = '192.0.2.44';
    for (let i = 0; i < 6; i++) k.node.publish(badLogin(friend, `f${i}`));
    await waitFor(
      'the allowlisted incident',
      async () => (await listIncidents(svc!.store, { identity: friend })).length > 0,
    );
    expect(await activeBan(k, banKey('ip', friend))).toBeUndefined();
    await expect(
      manualBan(svc.decisions, { scope: 'ip', value: friend, actor: 'ops' }),
    ).rejects.toBeInstanceOf(AllowlistedError);
  });

  it('manual ban and unban go through the same path: KV, SENTINEL_DECISIONS, decisions_v1', async () => {
    kit = await startKit();
    const k = kit;
    svc = await start(k, {});
    const d = await manualBan(svc.decisions, {
      scope: 'client_id',
      value: 'meter-17',
      actor: 'alice',
      durationS: 120,
    });
    expect(d).toMatchObject({ origin: 'manual', actor: 'alice', durationS: 120, offense: 1, action: 'ban' });
    expect((await activeBan(k, banKey('client_id', 'meter-17')))?.id).toBe(d.id);
    const u = await manualUnban(svc.decisions, { scope: 'client_id', value: 'meter-17', actor: 'alice' });
    expect(u).toMatchObject({ action: 'unban', origin: 'manual', actor: 'alice' });
    expect(await activeBan(k, banKey('client_id', 'meter-17'))).toBeUndefined();
    expect(
      await manualUnban(svc.decisions, { scope: 'client_id', value: 'meter-17', actor: 'alice' }),
    ).toBeUndefined();
    await waitFor(
      'both decisions stored',
      async () => (await storedDecisions(svc!, 'meter-17')).length === 2,
    );
  });

  it('analyst actions on SENTINEL_ACTIONS move an incident to acknowledged and resolved, with history', async () => {
    kit = await startKit();
    const k = kit;
    svc = await start(k, {});
    for (let i = 0; i < 5; i++) k.node.publish(badLogin('203.0.113.90', `x${i}`));
    const [inc] = await waitFor('incident', async () => {
      const l = await listIncidents(svc!.store, { identity: '203.0.113.90' });
      return l.length > 0 ? l : undefined;
    });
    const act = (action: AnalystActionV1['action']): AnalystActionV1 => ({
      v: 1,
      id: ulid(),
      ts: Date.now(),
      action,
      actor: 'alice',
      role: 'analyst',
      target: inc!.incidentId,
    });
    k.node.publishRecord(`${SUBJECTS.actions}.incident`, act('incident.acknowledge'));
    await waitFor(
      'acknowledged',
      async () => (await listIncidents(svc!.store, { status: 'acknowledged' })).length === 1,
    );
    k.node.publishRecord(`${SUBJECTS.actions}.incident`, act('incident.resolve'));
    await waitFor(
      'resolved',
      async () => (await listIncidents(svc!.store, { status: 'resolved' })).length === 1,
    );
    expect(await listIncidents(svc.store, { status: 'new' })).toEqual([]);
    const history = await incidentHistory(svc.store, inc!.incidentId);
    expect(history.map((h) => (h.what === 'status' ? h.status : h.what))).toEqual([
      'update',
      'acknowledged',
      'resolved',
    ]);
  });
});
