// Versioned migrations. Each statement is idempotent (IF NOT EXISTS), each applied version is recorded in
// schema_migrations, so running migrate() again, or after a crash half-way through a version, is safe.
// The SQL is the single-node schema, shared by chDB and a single ClickHouse server; infra/clickhouse holds
// the cluster variant (ReplicatedMergeTree + Distributed).
import { AnalyticsError, AnalyticsErrorCode } from '../errors.ts';
import type { Store } from '../store/store.ts';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

/** Identities an event is about, as (scope, value) pairs; empty values are left out. */
const IDENTITIES =
  "arrayFilter(x -> x.2 != '', [('ip', ip), ('client_id', client_id), ('username', username), ('cert_fingerprint', cert_fingerprint)])";

/**
 * The SELECT of the per-minute view, over a source of events_v1 rows. The migrations create the view from
 * it; the writer runs it again over stored rows of a redelivered batch, because a crash between the insert
 * into events_v1 and the view's insert leaves the rows stored but not counted. The view keeps uniqExact
 * states of the event id, so feeding an event twice counts it once.
 */
export const MINUTE_VIEWS = {
  identity_minute_v1: (
    source: string,
  ): string => `SELECT ident.1 AS scope, ident.2 AS identity, toStartOfMinute(ts) AS minute, kind, decision, severity,
        uniqExactState(cityHash64(id)) AS events
      FROM ${source} ARRAY JOIN ${IDENTITIES} AS ident
      GROUP BY scope, identity, minute, kind, decision, severity`,
} as const;

/**
 * Strike counters as a plain view over the per-identity minute counts (migration 5): the events that are
 * not allowed and carry a severity, merged over kind and decision. An event has one kind and one decision,
 * so the union of the uniqExact states is the same set the separate materialized view counted, and every
 * insert feeds one view instead of two (the second one cost about a sixth of the insert's CPU).
 */
const STRIKES_VIEW = `SELECT scope, identity, minute, severity, uniqExactMergeState(events) AS strikes
      FROM identity_minute_v1
      WHERE decision != 'allow' AND severity > 0
      GROUP BY scope, identity, minute, severity`;

/** Migration 2's strike counter view, as it was created; migration 5 replaces it with STRIKES_VIEW. */
const STRIKES_MV_V2 = `SELECT ident.1 AS scope, ident.2 AS identity, toStartOfMinute(ts) AS minute, severity,
        uniqExactState(cityHash64(id)) AS strikes
      FROM events_v1 ARRAY JOIN ${IDENTITIES} AS ident
      WHERE decision != 'allow' AND severity > 0
      GROUP BY scope, identity, minute, severity`;

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'events_v1',
    statements: [
      `CREATE TABLE IF NOT EXISTS events_v1 (
        id String,
        ts DateTime64(3, 'UTC'),
        node LowCardinality(String),
        kind LowCardinality(String),
        decision LowCardinality(String),
        reason LowCardinality(String),
        severity UInt8,
        client_id String,
        username String,
        ip String,
        cert_fingerprint String,
        session_id String,
        transport LowCardinality(String),
        packet_type LowCardinality(String),
        topic String,
        payload_size UInt32,
        rule_id LowCardinality(String),
        technique LowCardinality(String),
        rule_values String,
        matched String,
        message String,
        stream_seq UInt64,
        ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMMDD(ts)
      ORDER BY (ts, id)
      TTL toDateTime(ts) + toIntervalDay(30)`,
    ],
  },
  {
    version: 2,
    name: 'per-identity minute counts and strike counters',
    statements: [
      // uniqExact over a 64-bit hash of the event id: a redelivered or re-published event is counted once
      `CREATE TABLE IF NOT EXISTS identity_minute_v1 (
        scope LowCardinality(String),
        identity String,
        minute DateTime('UTC'),
        kind LowCardinality(String),
        decision LowCardinality(String),
        severity UInt8,
        events AggregateFunction(uniqExact, UInt64)
      ) ENGINE = AggregatingMergeTree
      PARTITION BY toYYYYMMDD(minute)
      ORDER BY (scope, identity, minute, kind, decision, severity)
      TTL minute + toIntervalDay(30)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS identity_minute_mv TO identity_minute_v1 AS
      ${MINUTE_VIEWS.identity_minute_v1('events_v1')}`,
      `CREATE TABLE IF NOT EXISTS strikes_minute_v1 (
        scope LowCardinality(String),
        identity String,
        minute DateTime('UTC'),
        severity UInt8,
        strikes AggregateFunction(uniqExact, UInt64)
      ) ENGINE = AggregatingMergeTree
      PARTITION BY toYYYYMMDD(minute)
      ORDER BY (scope, identity, minute, severity)
      TTL minute + toIntervalDay(30)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS strikes_minute_mv TO strikes_minute_v1 AS
      ${STRIKES_MV_V2}`,
    ],
  },
  {
    version: 3,
    name: 'incidents, their status history, ban decisions',
    statements: [
      // one row per incident update: the history; the current state is the row with the highest count
      `CREATE TABLE IF NOT EXISTS incidents_v1 (
        id String,
        ts DateTime64(3, 'UTC'),
        incident_id String,
        rule LowCardinality(String),
        title String,
        severity UInt8,
        technique LowCardinality(String),
        tactic LowCardinality(String),
        scope LowCardinality(String),
        identity String,
        first_seen DateTime64(3, 'UTC'),
        last_seen DateTime64(3, 'UTC'),
        event_count UInt32,
        event_ids Array(String),
        remediation String
      ) ENGINE = ReplacingMergeTree
      ORDER BY (incident_id, id)`,
      `CREATE TABLE IF NOT EXISTS incident_status_v1 (
        action_id String,
        ts DateTime64(3, 'UTC'),
        incident_id String,
        status LowCardinality(String),
        actor String,
        assignee String,
        comment String
      ) ENGINE = ReplacingMergeTree
      ORDER BY (incident_id, ts, action_id)`,
      `CREATE TABLE IF NOT EXISTS decisions_v1 (
        id String,
        ts DateTime64(3, 'UTC'),
        action LowCardinality(String),
        scope LowCardinality(String),
        value String,
        duration_s UInt32,
        until DateTime64(3, 'UTC'),
        origin LowCardinality(String),
        reason String,
        offense UInt32,
        incident_id String,
        actor String
      ) ENGINE = ReplacingMergeTree
      ORDER BY (scope, value, ts, id)`,
    ],
  },
  {
    version: 4,
    name: 'current state of each incident',
    statements: [
      // the incident list reads one row per incident instead of grouping the whole update history
      `CREATE TABLE IF NOT EXISTS incident_current_v1 (
        id String,
        ts DateTime64(3, 'UTC'),
        incident_id String,
        rule LowCardinality(String),
        title String,
        severity UInt8,
        technique LowCardinality(String),
        tactic LowCardinality(String),
        scope LowCardinality(String),
        identity String,
        first_seen DateTime64(3, 'UTC'),
        last_seen DateTime64(3, 'UTC'),
        event_count UInt32,
        event_ids Array(String),
        remediation String
      ) ENGINE = ReplacingMergeTree(event_count)
      ORDER BY incident_id`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS incident_current_mv TO incident_current_v1 AS
      SELECT * FROM incidents_v1`,
    ],
  },
  {
    version: 5,
    name: 'strike counters as a view over the per-identity minute counts',
    statements: [
      // the old counters hold the same events as identity_minute_v1, which the view reads instead;
      // re-running after a crash half-way drops whichever of the two exists and creates the view again
      'DROP VIEW IF EXISTS strikes_minute_mv SYNC',
      'DROP TABLE IF EXISTS strikes_minute_v1 SYNC',
      `CREATE VIEW IF NOT EXISTS strikes_minute_v1 AS ${STRIKES_VIEW}`,
    ],
  },
];

/** Materialized views are dropped with their tables on rebuild; listed here, as constants. */
export const VIEWS = ['identity_minute_mv', 'strikes_minute_mv', 'incident_current_mv'] as const;

export interface MigrateResult {
  applied: number[];
  current: number;
}

export async function migrate(store: Store, migrations: Migration[] = MIGRATIONS): Promise<MigrateResult> {
  await store.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
  ) ENGINE = ReplacingMergeTree ORDER BY version`);
  const rows = await store.query<{ version: number }>('SELECT DISTINCT version FROM schema_migrations');
  const done = new Set(rows.map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    try {
      for (const sql of m.statements) await store.exec(sql);
    } catch (err) {
      throw new AnalyticsError(AnalyticsErrorCode.Migration, `migration ${m.version} (${m.name}) failed`, {
        cause: err,
        context: { version: m.version },
      });
    }
    await store.insert('schema_migrations', [{ version: m.version, name: m.name }]);
    applied.push(m.version);
  }
  return { applied, current: Math.max(0, ...migrations.map((m) => m.version)) };
}

/**
 * Event retention is a TTL in the table definition; DDL takes no bound parameters, so the value is a
 * validated integer rendered by the code, never text from input. Changing it only touches metadata.
 */
export async function applyRetention(store: Store, days: number): Promise<boolean> {
  if (!Number.isSafeInteger(days) || days <= 0) {
    throw new AnalyticsError(
      AnalyticsErrorCode.Migration,
      `retention days must be a positive integer, got ${days}`,
    );
  }
  const [row] = await store.query<{ engine_full: string }>(
    'SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = {t:String}',
    { t: 'events_v1' },
  );
  if (row?.engine_full.includes(`toIntervalDay(${days})`)) return false;
  await store.exec(
    `ALTER TABLE events_v1 MODIFY TTL toDateTime(ts) + toIntervalDay(${days}) SETTINGS materialize_ttl_after_modify = 0`,
  );
  return true;
}
