// Entry of an enforcement worker process (forked by transport/cluster.ts). It runs the full node without
// listening: the primary passes each accepted socket with the listener it came in on.
import type { Socket } from 'node:net';
import { AggregatorRegistry } from 'prom-client';
import { createLogger } from '@sentinel/ingest';
import { isSessionRegistryMessage, SharedSessionRegistry } from '../inspection/threats/shared-registry.ts';
import { startEnforcementService } from '../service.ts';
import type { PrimaryMessage, WorkerMessage, WorkerSpec } from './cluster.ts';
import { WORKER_ENV } from './cluster.ts';

const send = (m: WorkerMessage): void => void process.send?.(m);

async function main(): Promise<void> {
  const { index, count, spec } = JSON.parse(process.env[WORKER_ENV] ?? '{}') as {
    index: number;
    count: number;
    spec: WorkerSpec;
  };
  const log = createLogger({ component: 'enforcement', worker: index }, spec.logLevel);
  // Live sessions of the whole node, kept in step through the primary: a stolen client id or a cloned
  // certificate from another address lands on another worker than the session it collides with.
  const sessions = new SharedSessionRegistry((m) => send(m));
  const svc = await startEnforcementService({
    config: spec.config,
    nats: spec.nats,
    publisher: spec.publisher,
    dataDir: spec.dataDir,
    nodeName: spec.nodeName,
    log,
    worker: { index, count },
    sessions,
  });
  // The primary's /metrics asks every worker for its registry and sums them.
  // (constructing one installs prom-client's worker-side listener; setRegistries alone does not)
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([svc.node.metrics.registry]);
  process.on('message', (m: PrimaryMessage, socket?: Socket) => {
    if (isSessionRegistryMessage(m)) return sessions.receive(m);
    if (m.type === 'socket' && socket) svc.node.inject(m.kind, socket);
    if (m.type === 'stop') void svc.stop().finally(() => process.exit(0));
  });
  send({ type: 'ready' });
}

main().catch((err: unknown) => {
  send({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
