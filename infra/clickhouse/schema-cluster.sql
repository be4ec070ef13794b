-- Sentinel analytics schema, cluster variant: for when one machine is not enough.
--
-- Each table exists twice: `<name>_local`, a ReplicatedMergeTree family table holding this shard's part
-- of the data (replicated between the shard's replicas through ClickHouse Keeper), and `<name>`, a
-- Distributed table over all shards with the same columns. Sentinel reads and writes the plain names, so
-- the SQL of analytics (analytics/src/schema/migrations.ts, analytics/src/queries) runs unchanged against
-- the cluster. The cluster is called `sentinel` here (see config.xml); {shard} and {replica} are macros.
--
-- Sharding: events by the hash of their id, so a redelivered event always lands on the shard that already
-- holds it and deduplication (the ReplacingMergeTree key, uniqExact in every count) stays exact; the
-- per-identity views follow the events of their shard, and uniqExactMerge over shards is exact because an
-- id lives on one shard only. Incidents and their status history are both sharded by incident id, so the
-- incident list's join runs shard-locally (distributed_product_mode = 'local' in config.xml).
--
-- Apply once with: clickhouse-client --multiquery < schema-cluster.sql
-- then point Sentinel at any node: SENTINEL_CLICKHOUSE_URL=http://ch-1:8123 and record the versions so
-- that `sentinel analytics migrate` does not try the single-node DDL:
--   INSERT INTO schema_migrations (version, name) VALUES (1, 'events_v1'), (2, 'per-identity minute counts and strike counters'), (3, 'incidents, their status history, ban decisions'), (4, 'current state of each incident'), (5, 'strike counters as a view over the per-identity minute counts');

CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER sentinel (
  version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/sentinel/schema_migrations', '{replica}')
ORDER BY version;

-- events ------------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS events_v1_local ON CLUSTER sentinel (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/sentinel/events_v1', '{replica}')
PARTITION BY toYYYYMMDD(ts)
ORDER BY (ts, id)
TTL toDateTime(ts) + toIntervalDay(30);

CREATE TABLE IF NOT EXISTS events_v1 ON CLUSTER sentinel AS events_v1_local
ENGINE = Distributed(sentinel, currentDatabase(), events_v1_local, cityHash64(id));

-- per-identity minute counts and strike counters (fed on each shard by its local events) ----------------

CREATE TABLE IF NOT EXISTS identity_minute_v1_local ON CLUSTER sentinel (
  scope LowCardinality(String),
  identity String,
  minute DateTime('UTC'),
  kind LowCardinality(String),
  decision LowCardinality(String),
  severity UInt8,
  events AggregateFunction(uniqExact, UInt64)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/sentinel/identity_minute_v1', '{replica}')
PARTITION BY toYYYYMMDD(minute)
ORDER BY (scope, identity, minute, kind, decision, severity)
TTL minute + toIntervalDay(30);

CREATE MATERIALIZED VIEW IF NOT EXISTS identity_minute_mv ON CLUSTER sentinel TO identity_minute_v1_local AS
SELECT ident.1 AS scope, ident.2 AS identity, toStartOfMinute(ts) AS minute, kind, decision, severity,
  uniqExactState(cityHash64(id)) AS events
FROM events_v1_local
ARRAY JOIN arrayFilter(x -> x.2 != '', [('ip', ip), ('client_id', client_id), ('username', username), ('cert_fingerprint', cert_fingerprint)]) AS ident
GROUP BY scope, identity, minute, kind, decision, severity;

-- uniqExactMerge across shards is exact: one event id lives on one shard only
CREATE TABLE IF NOT EXISTS identity_minute_v1 ON CLUSTER sentinel AS identity_minute_v1_local
ENGINE = Distributed(sentinel, currentDatabase(), identity_minute_v1_local);

-- strike counters: a plain view over the per-identity minute counts (the non-allow events with a severity),
-- so each insert feeds one materialized view, as in the single-node schema (migration 5)
CREATE VIEW IF NOT EXISTS strikes_minute_v1 ON CLUSTER sentinel AS
SELECT scope, identity, minute, severity, uniqExactMergeState(events) AS strikes
FROM identity_minute_v1
WHERE decision != 'allow' AND severity > 0
GROUP BY scope, identity, minute, severity;

-- incidents, status history, decisions ------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS incidents_v1_local ON CLUSTER sentinel (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/sentinel/incidents_v1', '{replica}')
ORDER BY (incident_id, id);

CREATE TABLE IF NOT EXISTS incidents_v1 ON CLUSTER sentinel AS incidents_v1_local
ENGINE = Distributed(sentinel, currentDatabase(), incidents_v1_local, cityHash64(incident_id));

CREATE TABLE IF NOT EXISTS incident_status_v1_local ON CLUSTER sentinel (
  action_id String,
  ts DateTime64(3, 'UTC'),
  incident_id String,
  status LowCardinality(String),
  actor String,
  assignee String,
  comment String
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/sentinel/incident_status_v1', '{replica}')
ORDER BY (incident_id, ts, action_id);

CREATE TABLE IF NOT EXISTS incident_status_v1 ON CLUSTER sentinel AS incident_status_v1_local
ENGINE = Distributed(sentinel, currentDatabase(), incident_status_v1_local, cityHash64(incident_id));

CREATE TABLE IF NOT EXISTS decisions_v1_local ON CLUSTER sentinel (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/sentinel/decisions_v1', '{replica}')
ORDER BY (scope, value, ts, id);

CREATE TABLE IF NOT EXISTS decisions_v1 ON CLUSTER sentinel AS decisions_v1_local
ENGINE = Distributed(sentinel, currentDatabase(), decisions_v1_local, cityHash64(scope, value));

-- current state of each incident (migration 4): co-sharded with incidents_v1 by incident id
CREATE TABLE IF NOT EXISTS incident_current_v1_local ON CLUSTER sentinel AS incidents_v1_local
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/sentinel/incident_current_v1', '{replica}', event_count)
ORDER BY incident_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS incident_current_mv ON CLUSTER sentinel TO incident_current_v1_local AS
SELECT * FROM incidents_v1_local;

CREATE TABLE IF NOT EXISTS incident_current_v1 ON CLUSTER sentinel AS incident_current_v1_local
ENGINE = Distributed(sentinel, currentDatabase(), incident_current_v1_local, cityHash64(incident_id));
