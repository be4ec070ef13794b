// The embedded store on its own: migrations, retention, the per-minute views and the score formula,
// checked against a computation by hand.
import { join } from 'node:path';
import { makeEvent } from '@sentinel/ingest';
import type { ConsumedRecord, DecisionEventV1, ReasonCode } from '@sentinel/ingest';
import type { IngestedEvent } from '@sentinel/analytics';
import { tempDir } from '@sentinel/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChdbStore,
  EventWriter,
  applyRetention,
  ingestedEvent,
  migrate,
  minuteCounts,
  strikeCounts,
  threatScores,
} from '@sentinel/analytics';

const MINUTE = 60_000;
const AS_OF = Math.floor(Date.now() / MINUTE) * MINUTE; // minute-aligned: ages are exact
const t = tempDir('sentinel-store-');
let store: ChdbStore;

beforeAll(async () => {
  store = new ChdbStore(join(t.dir, 'chdb'));
  await migrate(store);
});
afterAll(async () => {
  await store.close();
  t.cleanup();
});

function ev(ip: string, reason: ReasonCode, minutesAgo: number, severity?: number): DecisionEventV1 {
  return makeEvent({
    node: 'edge-1',
    reason,
    subject: { ip, clientId: `c-${ip}` },
    ts: AS_OF - minutesAgo * MINUTE,
    ...(severity !== undefined ? { severity } : {}),
  });
}

const rec = (e: DecisionEventV1, i: number, deliveryCount = 1): ConsumedRecord<IngestedEvent> => ({
  value: ingestedEvent(e, true),
  subject: 'x',
  seq: i + 1,
  deliveryCount,
});

describe('embedded chDB store', () => {
  it('migrations are recorded once and retention changes only the TTL', async () => {
    expect((await migrate(store)).applied).toEqual([]);
    expect(await applyRetention(store, 30)).toBe(false); // the migration's default
    expect(await applyRetention(store, 9)).toBe(true);
    const [row] = await store.query<{ engine_full: string }>(
      "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'events_v1'",
    );
    expect(row?.engine_full).toContain('toIntervalDay(9)');
    await expect(applyRetention(store, 1.5)).rejects.toThrow(/positive integer/);
  });

  it('the threat score is 100(1 − e^(−W/scale)) with W = Σ (severity/10)² · 2^(−age/halfLife)', async () => {
    const ip = '192.0.2.200';
    const events = [
      ev(ip, 'inspect.cmdi', 0), // severity 9, age 0
      ev(ip, 'auth.bad_credentials', 60), // severity 5, one half-life ago
      ev(ip, 'auth.bad_credentials', 60),
      ev(ip, 'publish.summary', 1), // severity 0: no weight
      ev(ip, 'threat.replay', 600), // severity 8, 10 half-lives: past the horizon of 8
    ];
    await new EventWriter(store).write(events.map((e, i) => rec(e, i)));
    const w = 0.81 + 2 * 0.25 * 0.5;
    const [score] = await threatScores(
      store,
      { halfLifeS: 3600, scale: 5, asOf: AS_OF },
      { scope: 'ip', identity: ip },
    );
    expect(score?.weight).toBeCloseTo(w, 9);
    expect(score?.score).toBe(Math.round(100 * (1 - Math.exp(-w / 5))));
  });

  it('per-minute counts and strikes count each event once, by kind, decision and severity, within the window', async () => {
    const ip = '192.0.2.201';
    const events = [
      ev(ip, 'auth.bad_credentials', 2),
      ev(ip, 'auth.bad_credentials', 2),
      ev(ip, 'auth.ok', 2),
      ev(ip, 'rate.per_ip', 1),
      ev(ip, 'anomaly.baseline_rate', 1, 2), // flagged, below the strike severity
      ev(ip, 'auth.bad_credentials', 90), // outside a one-hour window
    ];
    const writer = new EventWriter(store);
    await writer.write(events.map((e, i) => rec(e, i)));
    // the whole batch redelivered: nothing new is stored, nothing counted twice
    expect((await writer.write(events.map((e, i) => rec(e, i, 2)))).fresh).toEqual([]);

    const counts = await minuteCounts(store, {
      scope: 'ip',
      identity: ip,
      from: AS_OF - 5 * MINUTE,
      to: AS_OF,
    });
    expect(counts.map((c) => [c.kind, c.decision, c.severity, c.events])).toEqual([
      ['auth', 'allow', 0, 1],
      ['auth', 'deny', 5, 2],
      ['anomaly', 'flag', 2, 1],
      ['rate_limit', 'deny', 5, 1],
    ]);
    const strikes = await strikeCounts(store, {
      windowS: 3600,
      minSeverity: 3,
      asOf: AS_OF,
      scope: 'ip',
      identity: ip,
    });
    expect(strikes).toEqual([{ scope: 'ip', identity: ip, strikes: 3 }]);
    const wide = await strikeCounts(store, {
      windowS: 7200,
      minSeverity: 0,
      asOf: AS_OF,
      scope: 'ip',
      identity: ip,
    });
    expect(wide[0]?.strikes).toBe(5);
  });
});
