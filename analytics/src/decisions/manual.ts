// Manual bans and unbans, for the api and the command line: they take the same path as automatic ones
// (allowlist, escalation, SENTINEL_DECISIONS, the bans bucket), with origin "manual" and the analyst's
// token name as actor.
import type { NatsConnection } from '@nats-io/nats-core';
import { EventPublisher, ensureStreams, silentLogger } from '@sentinel/ingest';
import type { BanDecisionV1, IdentityScope, Logger, PublisherConfig, StreamsConfig } from '@sentinel/ingest';
import type { AnalyticsConfig } from '../config.ts';
import type { Store } from '../store/store.ts';
import { Allowlist } from './allowlist.ts';
import { DecisionEngine } from './engine.ts';

export interface OpenDecisionsOptions {
  nc: NatsConnection;
  analytics: AnalyticsConfig;
  streams: StreamsConfig;
  publisher: PublisherConfig;
  /** The publisher spool lives under it. */
  dataDir: string;
  /** Unique per process: names the publisher spool. */
  name?: string;
  replicas?: number;
  store?: Store;
  log?: Logger;
}

/** A started decision engine with its own publisher; stop() it, then close the publisher it returns. */
export async function openDecisions(
  o: OpenDecisionsOptions,
): Promise<{ decisions: DecisionEngine; close(): Promise<void> }> {
  const { bans } = await ensureStreams(o.nc, o.streams, o.replicas ?? 1);
  const publisher = new EventPublisher({
    nc: o.nc,
    name: o.name ?? 'decisions',
    dataDir: o.dataDir,
    config: o.publisher,
    log: o.log ?? silentLogger,
  });
  const decisions = new DecisionEngine({
    kv: bans,
    publisher,
    policy: o.analytics.bans,
    allowlist: new Allowlist(o.analytics.allowlist),
    ...(o.store ? { store: o.store } : {}),
    offenseLookbackDays: o.analytics.retentionDays,
    ...(o.log ? { log: o.log } : {}),
  });
  await decisions.start();
  return {
    decisions,
    close: async () => {
      await decisions.stop();
      await publisher.close();
    },
  };
}

export interface ManualBan {
  scope: IdentityScope;
  value: string;
  /** Token name of the analyst. */
  actor: string;
  /** Fixed length; unset = the escalation policy decides. */
  durationS?: number;
  reason?: string;
}

export interface ManualUnban {
  scope: IdentityScope;
  value: string;
  actor: string;
  reason?: string;
}

export function manualBan(decisions: DecisionEngine, req: ManualBan): Promise<BanDecisionV1> {
  return decisions.ban({
    scope: req.scope,
    value: req.value,
    origin: 'manual',
    reason: req.reason ?? 'manual',
    actor: req.actor,
    ...(req.durationS !== undefined ? { durationS: req.durationS } : {}),
  });
}

export function manualUnban(decisions: DecisionEngine, req: ManualUnban): Promise<BanDecisionV1 | undefined> {
  return decisions.unban({
    scope: req.scope,
    value: req.value,
    origin: 'manual',
    reason: req.reason ?? 'manual',
    actor: req.actor,
  });
}
