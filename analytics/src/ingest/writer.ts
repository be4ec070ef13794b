// Writes a consumed batch to events_v1 and returns the events that were not stored before.
//
// Exactly-once in query results rests on three layers: (1) when a batch holds redelivered records, ids
// already in the table are filtered out before the insert — a batch redelivered after a crash between
// insert and ack finds its events there, and the rules do not see them twice (a first delivery needs no
// lookup: JetStream's duplicate window already dropped re-sends of the same id);
// (2) events_v1 is a ReplacingMergeTree on (ts, id), so a duplicate that slipped in is merged away;
// (3) every count is uniqExact over the event id (the minute views keep uniqExact states), so even an
// unmerged duplicate is never counted twice.
import type { ConsumedRecord } from '@sentinel/ingest';
import { MINUTE_VIEWS } from '../schema/migrations.ts';
import type { Store } from '../store/store.ts';
import { EVENT_COLUMNS } from './rows.ts';
import type { IngestedEvent } from './rows.ts';

export interface WriteResult {
  fresh: ConsumedRecord<IngestedEvent>[];
  duplicates: number;
}

export class EventWriter {
  constructor(private readonly store: Store) {}

  async write(batch: readonly ConsumedRecord<IngestedEvent>[]): Promise<WriteResult> {
    const seen = new Set<string>();
    const unique: ConsumedRecord<IngestedEvent>[] = [];
    let redelivered = false;
    for (const r of batch) {
      if (r.deliveryCount > 1) redelivered = true;
      if (seen.has(r.value.id)) continue;
      seen.add(r.value.id);
      unique.push(r);
    }
    if (unique.length === 0) return { fresh: [], duplicates: batch.length };
    const stored = redelivered ? await this.storedIds(unique.map((r) => r.value)) : new Set<string>();
    const fresh = stored.size > 0 ? unique.filter((r) => !stored.has(r.value.id)) : unique;
    const lines: string[] = new Array<string>(fresh.length);
    for (let i = 0; i < fresh.length; i++) {
      const r = fresh[i] as ConsumedRecord<IngestedEvent>;
      lines[i] = `${r.value.line}\t${r.seq}`;
    }
    await this.store.insertTsv('events_v1', EVENT_COLUMNS, lines);
    if (stored.size > 0) await this.refeedViews(unique.filter((r) => stored.has(r.value.id)));
    return { fresh, duplicates: batch.length - fresh.length };
  }

  /**
   * A crash between the insert into events_v1 and the minute views' inserts leaves events stored but not
   * counted: feed the views again from the stored rows (their uniqExact states make a second feed harmless).
   */
  private async refeedViews(records: readonly ConsumedRecord<IngestedEvent>[]): Promise<void> {
    const { from, to } = span(records.map((r) => r.value));
    const ids = records.map((r) => r.value.id);
    const source = `(SELECT * FROM events_v1 FINAL
       WHERE ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts <= fromUnixTimestamp64Milli({to:Int64})
         AND id IN {ids:Array(String)})`;
    for (const [table, select] of Object.entries(MINUTE_VIEWS)) {
      await this.store.exec(`INSERT INTO ${table} ${select(source)}`, { from, to, ids });
    }
  }

  /** Ids of these events already in events_v1; the time range keeps the lookup on a few granules. */
  private async storedIds(events: readonly IngestedEvent[]): Promise<Set<string>> {
    const { from, to } = span(events);
    const rows = await this.store.query<{ id: string }>(
      `SELECT id FROM events_v1
       WHERE ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts <= fromUnixTimestamp64Milli({to:Int64})
         AND id IN {ids:Array(String)}`,
      { from, to, ids: events.map((e) => e.id) },
    );
    return new Set(rows.map((r) => r.id));
  }
}

function span(events: readonly { ts: number }[]): { from: number; to: number } {
  let from = Infinity;
  let to = -Infinity;
  for (const e of events) {
    if (e.ts < from) from = e.ts;
    if (e.ts > to) to = e.ts;
  }
  return { from, to };
}
