// The @clickhouse/client store path end to end: ClickHouseStore speaks ClickHouse's HTTP protocol to a
// ClickHouse engine (chDB behind the HTTP interface, see fixtures/clickhouse-http.ts), running the same
// migrations, writer and queries as the embedded path.
import { join } from 'node:path';
import { makeEvent } from '@sentinel/ingest';
import type { ConsumedRecord, DecisionEventV1 } from '@sentinel/ingest';
import type { IngestedEvent } from '@sentinel/analytics';
import { tempDir } from '@sentinel/infra';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClickHouseStore,
  EventWriter,
  StoreError,
  applyRetention,
  ingestedEvent,
  countEvents,
  migrate,
  strikeCounts,
  threatScores,
} from '@sentinel/analytics';
import { startClickHouseHttp } from './fixtures/clickhouse-http.ts';
import type { ClickHouseHttp } from './fixtures/clickhouse-http.ts';

let http: ClickHouseHttp | undefined;
let cleanup: (() => void) | undefined;
afterEach(async () => {
  await http?.close();
  http = undefined;
  cleanup?.();
});

function rec(e: DecisionEventV1, seq: number): ConsumedRecord<IngestedEvent> {
  return { value: ingestedEvent(e, true), subject: `sentinel.events.${e.kind}`, seq, deliveryCount: 1 };
}

describe('ClickHouse server path through @clickhouse/client', () => {
  it('migrates, writes with dedupe and answers the same queries as the embedded store', async () => {
    const t = tempDir('sentinel-ch-http-');
    cleanup = t.cleanup;
    http = await startClickHouseHttp(join(t.dir, 'chdb'));
    const store = new ClickHouseStore({ url: http.url, database: 'default', username: 'default' });
    try {
      expect((await migrate(store)).applied).toEqual([1, 2, 3, 4, 5]);
      expect((await migrate(store)).applied).toEqual([]);
      expect(await applyRetention(store, 7)).toBe(true);

      const now = Date.now();
      const hostileUser = "o'brien\\\t--";
      const events = Array.from({ length: 50 }, (_, i) =>
        makeEvent({
          node: 'edge-1',
          reason: i % 2 === 0 ? 'auth.bad_credentials' : 'publish.summary',
          subject: { ip: '203.0.113.50', username: hostileUser, clientId: `c${i}` },
          ts: now - 1000 + i,
        }),
      );
      const writer = new EventWriter(store);
      const first = await writer.write(events.map((e, i) => rec(e, i + 1)));
      expect(first.fresh).toHaveLength(50);
      // the same batch again, as after a crash between insert and ack
      const again = await writer.write(events.map((e, i) => ({ ...rec(e, i + 1), deliveryCount: 2 })));
      expect(again).toEqual({ fresh: [], duplicates: 50 });
      expect(await countEvents(store)).toBe(50);
      expect(await countEvents(store, { reason: 'auth.bad_credentials' })).toBe(25);

      const strikes = await strikeCounts(store, {
        windowS: 600,
        minSeverity: 3,
        scope: 'username',
        identity: hostileUser,
      });
      expect(strikes).toEqual([{ scope: 'username', identity: hostileUser, strikes: 25 }]);
      const [score] = await threatScores(
        store,
        { halfLifeS: 3600, scale: 5 },
        { scope: 'ip', identity: '203.0.113.50' },
      );
      // 25 × (5/10)² = 6.25 undecayed; score = 100 (1 − e^(−6.25/5)) = 71
      expect(score?.score).toBeGreaterThanOrEqual(70);
      expect(score?.score).toBeLessThanOrEqual(71);

      // values went as parameters: no request's SQL text contains the hostile username
      expect(http.requests.some((r) => r.sql.includes("o'brien"))).toBe(false);
      expect(http.requests.some((r) => Object.values(r.params).includes(hostileUser))).toBe(true);
      await expect(store.query('SELECT nope FROM events_v1')).rejects.toBeInstanceOf(StoreError);
    } finally {
      await store.close();
    }
  });
});
