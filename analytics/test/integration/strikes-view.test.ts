// Migration 5 replaces the strike counters' own materialized view with a plain view over the per-identity
// minute counts. A store written under migration 2 answers every strike query the same after it.
import { join } from 'node:path';
import { REASONS, makeEvent } from '@sentinel/ingest';
import type { ConsumedRecord, DecisionEventV1, ReasonCode } from '@sentinel/ingest';
import type { IngestedEvent } from '@sentinel/analytics';
import { tempDir } from '@sentinel/infra';
import { describe, expect, it } from 'vitest';
import {
  ChdbStore,
  EventWriter,
  MIGRATIONS,
  ingestedEvent,
  migrate,
  strikeCounts,
} from '@sentinel/analytics';

const MINUTE = 60_000;
const AS_OF = Math.floor(Date.now() / MINUTE) * MINUTE;

const rec = (e: DecisionEventV1, i: number, deliveryCount = 1): ConsumedRecord<IngestedEvent> => ({
  value: ingestedEvent(e, true),
  subject: 'x',
  seq: i + 1,
  deliveryCount,
});

describe('strike counters', () => {
  it('strike counts read through the view over the per-identity counts (migration 5) equal those the separate materialized view of migration 2 kept', async () => {
    const t2 = tempDir('sentinel-strikes-');
    const old = new ChdbStore(join(t2.dir, 'chdb'));
    try {
      await migrate(
        old,
        MIGRATIONS.filter((m) => m.version <= 4),
      );
      let seed = 7;
      const rnd = (n: number): number => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed % n;
      };
      const reasons = Object.keys(REASONS) as ReasonCode[];
      const events = Array.from({ length: 3000 }, () =>
        makeEvent({
          node: 'edge-1',
          reason: reasons[rnd(reasons.length)] as ReasonCode,
          subject: {
            ip: `198.51.100.${rnd(20)}`,
            clientId: `c-${rnd(30)}`,
            ...(rnd(2) === 0 ? { username: `u-${rnd(10)}` } : {}),
          },
          ts: AS_OF - rnd(180) * MINUTE - rnd(MINUTE),
        }),
      );
      const writer = new EventWriter(old);
      for (let i = 0; i < events.length; i += 500) {
        await writer.write(events.slice(i, i + 500).map((e, k) => rec(e, i + k)));
      }
      // a redelivered batch is counted once by both
      await writer.write(events.slice(0, 500).map((e, k) => rec(e, k, 2)));
      const queries = [
        { windowS: 3600, minSeverity: 3 },
        { windowS: 7200, minSeverity: 0 },
        { windowS: 11_000, minSeverity: 6, scope: 'ip' as const },
        { windowS: 11_000, minSeverity: 1, scope: 'username' as const, identity: 'u-3' },
      ];
      const before = [];
      for (const q of queries) before.push(await strikeCounts(old, { ...q, asOf: AS_OF, limit: 1000 }));
      expect(before[1]?.length).toBeGreaterThan(20);
      expect((await migrate(old)).applied).toEqual([5]);
      const [kind] = await old.query<{ engine: string }>(
        "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = 'strikes_minute_v1'",
      );
      expect(kind?.engine).toBe('View');
      for (const [i, q] of queries.entries()) {
        expect(await strikeCounts(old, { ...q, asOf: AS_OF, limit: 1000 })).toEqual(before[i]);
      }
    } finally {
      await old.close();
      t2.cleanup();
    }
  });
});
