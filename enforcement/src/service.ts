// The enforcement node assembled with its real collaborators: NATS for events (EventPublisher with its
// disk spool) and bans (the KV follower feeding the penalty box), the HTTP auth callout, TLS files (the
// development certificate when none are configured). Used by `sentinel enforce`, `sentinel up` and the
// cluster workers.
import { join } from 'node:path';
import { connectNats, EventPublisher, silentLogger } from '@sentinel/ingest';
import type { DecisionEventV1, Logger, NatsConfig, PublisherConfig } from '@sentinel/ingest';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import type { EnforcementConfig } from './config.ts';
import { createInspector } from './inspection/factory.ts';
import type { SentinelInspector } from './inspection/inspector.ts';
import type { SessionRegistry } from './inspection/threats/identity.ts';
import { createNodeMetrics } from './metrics.ts';
import { EnforcementNode } from './node.ts';
import type { NodePorts } from './node.ts';
import { HttpAuthenticator } from './policy/auth.ts';
import { followBans } from './policy/ban-follower.ts';
import type { BanFollower } from './policy/ban-follower.ts';
import { MemoryPenaltyBox } from './policy/penalty-box.ts';
import type { PublishInspector } from './session/pipeline.ts';
import { startCluster } from './transport/cluster.ts';
import type { WorkerSpec } from './transport/cluster.ts';
import { ensureDevCertificate } from './transport/devcert.ts';
import type { TlsFiles } from './transport/listeners.ts';

export interface EnforcementServiceOptions {
  config: EnforcementConfig;
  nats: NatsConfig;
  publisher: PublisherConfig;
  /** Local state: event spool, development certificates. */
  dataDir: string;
  nodeName: string;
  log?: Logger;
  inspector?: PublishInspector;
  /** Set in cluster workers: sockets come from the primary; nothing listens here. */
  worker?: { index: number; count: number };
  /** The live-session registry inspection checks identities against; default: this process's own. */
  sessions?: SessionRegistry;
}

export interface EnforcementService {
  node: EnforcementNode;
  ports: NodePorts;
  publisher: EventPublisher;
  nc: NatsConnection;
  stop(): Promise<void>;
}

/** TLS files from config, or the development CA and server certificate under <dataDir>/tls. */
export async function resolveTlsFiles(
  cfg: EnforcementConfig,
  dataDir: string,
): Promise<TlsFiles | undefined> {
  if (!cfg.tls.enabled) return undefined;
  if (cfg.tls.certFile && cfg.tls.keyFile) {
    return {
      cert: cfg.tls.certFile,
      key: cfg.tls.keyFile,
      ...(cfg.tls.caFile ? { ca: cfg.tls.caFile } : {}),
    };
  }
  const dev = await ensureDevCertificate(join(dataDir, 'tls'));
  return { cert: dev.cert, key: dev.key, ca: cfg.tls.caFile || dev.caCert };
}

export async function startEnforcementService(opts: EnforcementServiceOptions): Promise<EnforcementService> {
  const cfg = opts.config;
  const log = (opts.log ?? silentLogger).child({ component: 'enforcement' });
  const nc = await connectNats(opts.nats, { component: 'enforcement' });
  const suffix = opts.worker ? `-w${opts.worker.index}` : '';
  const publisher = new EventPublisher({
    nc,
    name: `enforcement-${opts.nodeName}${suffix}`,
    dataDir: opts.dataDir,
    config: opts.publisher,
    log,
  });
  const box = new MemoryPenaltyBox(cfg.penaltyBox.allowlist);
  let follower: BanFollower | undefined;
  let auth: HttpAuthenticator | undefined;
  let inspector: SentinelInspector | undefined;
  try {
    follower = await followBans(nc, box, { log, pruneIntervalMs: cfg.penaltyBox.pruneIntervalMs });
    if (cfg.auth.url) auth = new HttpAuthenticator({ config: cfg.auth, log });
    const tls = await resolveTlsFiles(cfg, opts.dataDir);
    const metrics = createNodeMetrics();
    const emit = (e: DecisionEventV1): void => publisher.publish(e);
    if (!opts.inspector && cfg.inspection.enabled) {
      inspector = createInspector({
        config: cfg.inspection,
        node: opts.nodeName,
        js: jetstream(nc),
        emit,
        log,
        registry: metrics.registry,
        ...(opts.sessions ? { sessions: opts.sessions } : {}),
      });
    }
    const plugged = opts.inspector ?? inspector;
    const node = new EnforcementNode(cfg, opts.nodeName, {
      emit,
      metrics,
      penaltyBox: box,
      log,
      ...(auth ? { authenticator: auth } : {}),
      ...(tls ? { tls } : {}),
      ...(plugged ? { inspector: plugged } : {}),
      ...(opts.worker ? { workerCount: opts.worker.count } : {}),
    });
    if (opts.worker) await node.startEmbedded();
    const ports = opts.worker ? {} : await node.listen();
    return {
      node,
      ports,
      publisher,
      nc,
      async stop() {
        await node.stop();
        await inspector?.close();
        await follower?.stop();
        await auth?.close();
        await publisher.close();
        await nc.close();
      },
    };
  } catch (err) {
    await inspector?.close();
    await follower?.stop();
    await auth?.close();
    await publisher.close();
    await nc.close();
    throw err;
  }
}

export interface RunningEnforcement {
  ports: NodePorts;
  /** Worker processes (1 when the node runs in this process). */
  workers: number;
  /** The in-process node, when there are no workers. */
  service?: EnforcementService;
  stop(): Promise<void>;
}

/** Run the node: in this process (workers = 1) or as a primary with IP-affine worker processes. */
export async function runEnforcement(
  opts: EnforcementServiceOptions & { logLevel?: WorkerSpec['logLevel'] },
): Promise<RunningEnforcement> {
  const cfg = opts.config;
  if (cfg.workers <= 1) {
    const service = await startEnforcementService(opts);
    return { ports: service.ports, workers: 1, service, stop: () => service.stop() };
  }
  // Certificates are made once here, not raced by the workers.
  const tls = await resolveTlsFiles(cfg, opts.dataDir);
  const config: EnforcementConfig = tls
    ? { ...cfg, tls: { ...cfg.tls, certFile: tls.cert, keyFile: tls.key, caFile: tls.ca ?? '' } }
    : cfg;
  const handle = await startCluster(
    {
      config,
      nats: opts.nats,
      publisher: opts.publisher,
      dataDir: opts.dataDir,
      nodeName: opts.nodeName,
      logLevel: opts.logLevel ?? 'info',
    },
    opts.log,
  );
  return { ports: handle.ports, workers: cfg.workers, stop: () => handle.stop() };
}
