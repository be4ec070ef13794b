// The inspection stage assembled from configuration: the engine (rules loaded now: a bad rule file at
// start is an error the caller reports), rule-file watching with logged reloads and refusals, and the
// quarantine store when a JetStream client is given.
import type { Registry } from 'prom-client';
import { silentLogger } from '@sentinel/ingest';
import type { DecisionEventV1, Logger } from '@sentinel/ingest';
import type { InspectionConfig } from './config.ts';
import { InspectionEngine } from './engine.ts';
import { SentinelInspector } from './inspector.ts';
import { inspectionMetrics } from './metrics.ts';
import { QuarantineStore } from './quarantine.ts';
import type { QuarantinePublisher } from './quarantine.ts';
import type { SessionRegistry } from './threats/identity.ts';

export interface CreateInspectorOptions {
  config: InspectionConfig;
  /** This node's name (events, quarantine subjects, session registry). */
  node: string;
  /** JetStream client for SENTINEL_QUARANTINE (`jetstream(nc)`); without it quarantined messages are dropped. */
  js?: QuarantinePublisher;
  emit?: (event: DecisionEventV1) => void;
  log?: Logger;
  /** Prometheus registry for the inspection metrics. */
  registry?: Registry;
  /** A shared session registry (see README); default: this process. */
  sessions?: SessionRegistry;
}

export function createInspector(opts: CreateInspectorOptions): SentinelInspector {
  const log = (opts.log ?? silentLogger).child({ component: 'inspection' });
  const metrics = opts.registry ? inspectionMetrics(opts.registry) : undefined;
  const engine = new InspectionEngine({
    config: opts.config,
    node: opts.node,
    ...(metrics ? { metrics } : {}),
    ...(opts.sessions ? { registry: opts.sessions } : {}),
    onRulesReloaded: (rules) =>
      log.info('signature rules reloaded', { file: rules.source, rules: rules.summary }),
    onRulesRefused: (err) =>
      log.error('changed rule file refused; the previous rules stay active', {
        file: err.file,
        rule: err.ruleId,
        problem: err.problem,
      }),
  });
  engine.start();
  log.info('payload inspection ready', { rules: engine.rules.summary, file: engine.rulesFile });
  return new SentinelInspector({
    engine,
    node: opts.node,
    log,
    ...(opts.emit ? { emit: opts.emit } : {}),
    ...(opts.js
      ? { quarantine: new QuarantineStore({ js: opts.js, node: opts.node, ...(metrics ? { metrics } : {}) }) }
      : {}),
  });
}
