// What the routes work with. startApi() assembles it from configuration; tests may assemble it too.
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { AnalyticsConfig, DecisionEngine, DetectionRule, Store } from '@sentinel/analytics';
import type { Logger } from '@sentinel/ingest';
import type { Registry } from 'prom-client';
import type { ActionRecorder } from './actions.ts';
import type { TokenStore } from './auth/tokens.ts';
import type { ApiConfig } from './config.ts';
import type { ApiMetrics } from './metrics.ts';
import type { Quarantine } from './quarantine.ts';
import type { ReportSigner } from './reports/sign.ts';
import type { ConfigFacts } from './reports/types.ts';

export interface ApiDeps {
  config: ApiConfig;
  analytics: AnalyticsConfig;
  store: Store;
  nc: NatsConnection;
  tokens: TokenStore;
  actions: ActionRecorder;
  decisions: DecisionEngine;
  bans: KV;
  rules: readonly DetectionRule[];
  quarantine: Quarantine;
  signer: ReportSigner | undefined;
  /** What the running configuration says, for compliance checks. */
  facts: ConfigFacts;
  /** The effective configuration with secrets removed (GET /config). */
  redactedConfig: Record<string, unknown>;
  metrics: ApiMetrics;
  /** Every registry /metrics serves besides the api's and the default one. */
  registries: readonly Registry[];
  log: Logger;
  now: () => number;
}
