// The analytics process: store and migrations, the events pipeline on a durable consumer, the decisions
// and actions consumers, the decision engine following the bans bucket. Each consumer runs supervised.
import type { NatsConnection } from '@nats-io/nats-core';
import {
  DurableConsumer,
  EventPublisher,
  STREAMS,
  SUBJECTS,
  connectNats,
  ensureStreams,
  ingestMetrics,
  silentLogger,
  supervise,
  validateAnalystAction,
  validateBanDecision,
} from '@sentinel/ingest';
import type { IncidentStatus, Logger, NatsConfig, PublisherConfig, StreamsConfig } from '@sentinel/ingest';
import type { Registry } from 'prom-client';
import type { AnalyticsConfig } from './config.ts';
import { storeActions, storeDecisions } from './consumers.ts';
import { Allowlist } from './decisions/allowlist.ts';
import { DecisionEngine } from './decisions/engine.ts';
import { analyticsMetrics } from './metrics.ts';
import { Pipeline } from './pipeline.ts';
import { restoreState } from './restore.ts';
import { DetectionEngine } from './rules/engine.ts';
import { loadRules } from './rules/load.ts';
import type { DetectionRule } from './rules/types.ts';
import { applyRetention, migrate } from './schema/migrations.ts';
import { openStore } from './store/open.ts';
import type { Store } from './store/store.ts';

export interface AnalyticsOptions {
  analytics: AnalyticsConfig;
  nats: NatsConfig;
  streams: StreamsConfig;
  publisher: PublisherConfig;
  /** Absolute data directory (chDB data and the publisher spool live below it). */
  dataDir: string;
  rules?: DetectionRule[];
  /** An open store to use instead of the configured one (tests, the api in one process). */
  store?: Store;
  registry?: Registry;
  log?: Logger;
}

export interface AnalyticsService {
  store: Store;
  engine: DetectionEngine;
  decisions: DecisionEngine;
  nc: NatsConnection;
  /** Resolves when the service stops; rejects only on an unrecoverable start problem. */
  stop(): Promise<void>;
}

export async function startAnalytics(o: AnalyticsOptions): Promise<AnalyticsService> {
  const log = (o.log ?? silentLogger).child({ component: 'analytics' });
  const metrics = analyticsMetrics(o.registry);
  const store = o.store ?? openStore(o.analytics, o.dataDir);
  await migrate(store);
  await applyRetention(store, o.analytics.retentionDays);
  const nc = await connectNats(o.nats, { component: 'analytics' });
  const { bans } = await ensureStreams(nc, o.streams, o.nats.replicas);
  const ingestM = ingestMetrics(metrics.registry);
  const publisher = new EventPublisher({
    nc,
    name: 'analytics',
    dataDir: o.dataDir,
    config: o.publisher,
    metrics: ingestM,
    log,
  });
  const decisions = new DecisionEngine({
    kv: bans,
    publisher,
    policy: o.analytics.bans,
    allowlist: new Allowlist(o.analytics.allowlist),
    store,
    offenseLookbackDays: o.analytics.retentionDays,
    metrics,
    log,
  });
  await decisions.start();
  const engine = new DetectionEngine(o.rules ?? loadRules(o.analytics.rulesFile));
  const statuses = new Map<string, IncidentStatus>();
  const pipeline = new Pipeline({ store, engine, publisher, decisions, statuses, metrics, log });

  const restored = await restoreState(store, engine, statuses);
  for (const inc of engine.openIncidents()) {
    // an incident stored before a crash whose ban never made it into the bucket
    if (inc.rule.ban !== false && inc.bannedUntil === 0 && !decisions.isBanned(inc.scope, inc.value)) {
      restored.output.bans.push(inc);
    }
  }
  await pipeline.apply(restored.output);
  log.info('rule state restored', { incidents: restored.incidents, events: restored.events });

  const b = o.analytics.batch;
  const common = { nc, metrics: ingestM, log, ackWaitMs: b.ackWaitMs, maxWaitMs: b.maxWaitMs };
  const consumers = [
    new DurableConsumer({
      ...common,
      stream: STREAMS.events,
      durable: o.analytics.durable,
      validate: pipeline.validate,
      batchSize: b.maxEvents,
      // one ack per stored batch; the writer checks records marked as possibly seen against the store
      ackAll: true,
      handle: (batch) => pipeline.handle(batch),
    }),
    new DurableConsumer({
      ...common,
      stream: STREAMS.decisions,
      durable: `${o.analytics.durable}-decisions`,
      validate: validateBanDecision,
      batchSize: 500,
      handle: storeDecisions(store, decisions),
    }),
    new DurableConsumer({
      ...common,
      stream: STREAMS.actions,
      durable: `${o.analytics.durable}-actions`,
      filterSubjects: [`${SUBJECTS.actions}.>`],
      validate: validateAnalystAction,
      batchSize: 500,
      handle: storeActions(store, statuses),
    }),
  ];
  const abort = new AbortController();
  const names = ['events', 'decisions', 'actions'];
  const runs = consumers.map((c, i) =>
    supervise(() => c.run(), { name: `analytics ${names[i] ?? ''} consumer`, log, signal: abort.signal }),
  );
  const retry = setInterval(() => void pipeline.retry().catch(() => undefined), 2000);
  retry.unref();

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      abort.abort();
      clearInterval(retry);
      for (const c of consumers) c.stop();
      await Promise.allSettled(runs);
      await decisions.stop();
      await publisher.close();
      await nc.close();
      if (!o.store) await store.close();
    })());
  return { store, engine, decisions, nc, stop };
}
