// `sentinel analytics rebuild`: empty the store and derive it again from the log. Events are replayed in
// stream order through the same writer and rules (without publishing or banning: those already happened
// and are in the log), decisions and analyst actions are replayed into their tables. Incident ids and
// update ids derive from the events, so the incidents come back identical.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  STREAMS,
  connectNats,
  ensureStreams,
  silentLogger,
  validateAnalystAction,
  validateBanDecision,
} from '@sentinel/ingest';
import type {
  ConsumedRecord,
  IncidentStatus,
  Logger,
  NatsConfig,
  StreamsConfig,
  Validated,
} from '@sentinel/ingest';
import type { AnalyticsConfig } from './config.ts';
import { storeActions, storeDecisions } from './consumers.ts';
import { AnalyticsError, AnalyticsErrorCode } from './errors.ts';
import { Pipeline } from './pipeline.ts';
import { DetectionEngine } from './rules/engine.ts';
import { loadRules } from './rules/load.ts';
import type { DetectionRule } from './rules/types.ts';
import { MIGRATIONS, VIEWS, applyRetention, migrate } from './schema/migrations.ts';
import { openStore } from './store/open.ts';
import type { Store } from './store/store.ts';
import { TABLES, assertTable } from './store/tables.ts';

export interface RebuildOptions {
  analytics: AnalyticsConfig;
  nats: NatsConfig;
  streams: StreamsConfig;
  dataDir: string;
  rules?: DetectionRule[];
  store?: Store;
  log?: Logger;
  batchSize?: number;
}

export interface RebuildResult {
  events: number;
  incidents: number;
  decisions: number;
  actions: number;
  skipped: number;
}

/** Drop every analytics table and view (allow-listed names only) and migrate from scratch. */
export async function resetStore(store: Store, retentionDays: number): Promise<void> {
  for (const v of VIEWS) await store.exec(`DROP VIEW IF EXISTS ${v} SYNC`);
  for (const t of Object.values(TABLES)) await store.exec(`DROP TABLE IF EXISTS ${assertTable(t)} SYNC`);
  await migrate(store, MIGRATIONS);
  await applyRetention(store, retentionDays);
}

export async function rebuild(o: RebuildOptions): Promise<RebuildResult> {
  const log = (o.log ?? silentLogger).child({ component: 'rebuild' });
  const store = o.store ?? openStore(o.analytics, o.dataDir);
  const nc = await connectNats(o.nats, { component: 'analytics-rebuild' });
  try {
    await ensureStreams(nc, o.streams, o.nats.replicas);
    await resetStore(store, o.analytics.retentionDays);
    const engine = new DetectionEngine(o.rules ?? loadRules(o.analytics.rulesFile));
    const statuses = new Map<string, IncidentStatus>();
    const pipeline = new Pipeline({ store, engine, statuses });
    const size = o.batchSize ?? 5000;
    const ev = await replay(nc, STREAMS.events, pipeline.validate, (b) => pipeline.handle(b), size);
    const incidents = statuses.size;
    log.info('events replayed', { ...ev, incidents });
    const dec = await replay(nc, STREAMS.decisions, validateBanDecision, storeDecisions(store), size);
    const act = await replay(nc, STREAMS.actions, validateAnalystAction, storeActions(store, statuses), size);
    return {
      events: ev.records,
      incidents,
      decisions: dec.records,
      actions: act.records,
      skipped: ev.skipped + dec.skipped + act.skipped,
    };
  } catch (err) {
    throw new AnalyticsError(AnalyticsErrorCode.Rebuild, `rebuild failed: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    await nc.close();
    if (!o.store) await store.close();
  }
}

/** Read a whole stream in order with an ordered consumer, until its last sequence (rechecked at the end). */
async function replay<T>(
  nc: NatsConnection,
  stream: string,
  validate: (input: unknown) => Validated<T>,
  handle: (batch: ConsumedRecord<T>[]) => Promise<void>,
  batchSize: number,
): Promise<{ records: number; skipped: number }> {
  const jsm = await jetstreamManager(nc);
  const consumer = await jetstream(nc).consumers.get(stream);
  let records = 0;
  let skipped = 0;
  let seq = 0;
  for (;;) {
    const last = (await jsm.streams.info(stream)).state.last_seq;
    if (seq >= last) break;
    while (seq < last) {
      const batch: ConsumedRecord<T>[] = [];
      const iter = await consumer.fetch({ max_messages: Math.min(batchSize, last - seq), expires: 2000 });
      let got = 0;
      for await (const m of iter) {
        got += 1;
        seq = m.seq;
        const v = validate(parseJson(m.data));
        if (v.ok) batch.push({ value: v.value, subject: m.subject, seq: m.seq, deliveryCount: 1 });
        else skipped += 1;
      }
      if (batch.length > 0) await handle(batch);
      records += batch.length;
      if (got === 0) break; // the rest was deleted by the stream's limits
    }
  }
  return { records, skipped };
}

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}
