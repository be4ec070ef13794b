// The enforcement node of one process: listeners, the shared pipeline, live sessions, metrics. It takes
// its collaborators (event sink, authenticator, penalty box, inspector) from the caller, so tests, the
// CLI and cluster workers assemble it the same way; `startEnforcementNode` in service.ts wires the real ones.
import type { Duplex } from 'node:stream';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { DecisionEventV1, Logger, ReasonCode } from '@sentinel/ingest';
import { silentLogger } from '@sentinel/ingest';
import type { EnforcementConfig } from './config.ts';
import { createNodeMetrics } from './metrics.ts';
import type { NodeMetrics } from './metrics.ts';
import { DEFAULT_DEVICE_ACL, toRateLimits } from './policy/config.ts';
import { TopicAclEngine } from './policy/acl.ts';
import { TokenBucketRateLimiter } from './policy/rate-limit.ts';
import type { AclEngine, Authenticator, PenaltyBox, RateLimiter } from './policy/types.ts';
import type { PeerInfo } from './session/context.ts';
import { peerSubject } from './session/context.ts';
import { Pipeline } from './session/pipeline.ts';
import type { PublishInspector } from './session/pipeline.ts';
import { ProxySession } from './session/proxy-session.ts';
import type { ProxyHost } from './session/proxy-session.ts';
import { SessionRegistry } from './session/registry.ts';
import { createListeners } from './transport/listeners.ts';
import type { ListenerKind, Listeners, TlsFiles } from './transport/listeners.ts';
import { EmbeddedBroker } from './transport/embedded.ts';
import { parseUpstream, upstreamConnector } from './transport/upstream.ts';
import { UpstreamLevel } from './session/translator.ts';

export interface NodeDeps {
  /** Where decision events go (an EventPublisher's publish in production). */
  emit(event: DecisionEventV1): void;
  authenticator?: Authenticator;
  penaltyBox?: PenaltyBox;
  inspector?: PublishInspector;
  /** Built from config when not given. */
  limiter?: RateLimiter;
  acl?: AclEngine;
  metrics?: NodeMetrics;
  log?: Logger;
  /** TLS certificate files (required when the TLS listener is enabled). */
  tls?: TlsFiles;
  /** Divide the process-wide tiers (global) by this many workers. */
  workerCount?: number;
}

export interface NodePorts {
  tcp?: number;
  tls?: number;
  ws?: number;
  metrics?: number;
}

export class EnforcementNode {
  readonly pipeline: Pipeline;
  readonly registry: SessionRegistry;
  readonly metrics: NodeMetrics;
  private readonly listeners: Listeners;
  private readonly host: ProxyHost;
  private readonly log: Logger;
  private metricsServer: Server | undefined;
  private embedded: EmbeddedBroker | undefined;
  private stopped = false;

  constructor(
    readonly config: EnforcementConfig,
    readonly nodeName: string,
    private readonly deps: NodeDeps,
  ) {
    this.log = (deps.log ?? silentLogger).child({ component: 'enforcement', node: nodeName });
    this.metrics = deps.metrics ?? createNodeMetrics();
    const limits = toRateLimits(config.rateLimits);
    const workers = deps.workerCount ?? 1;
    // Sources are pinned to one worker (IP hash), so keyed tiers stay exact; the global bucket is split.
    if (workers > 1)
      limits.global = {
        rate: limits.global.rate / workers,
        burst: Math.max(1, Math.floor(limits.global.burst / workers)),
      };
    const limiter =
      deps.limiter ??
      new TokenBucketRateLimiter({ limits, maxBucketsPerTier: config.rateLimits.maxBucketsPerTier });
    const acl =
      deps.acl ??
      new TopicAclEngine({
        defaultRules: config.acl.default ?? DEFAULT_DEVICE_ACL,
        clients: config.acl.clients,
        users: config.acl.users,
        maxTemplates: config.acl.maxTemplates,
      });
    this.pipeline = new Pipeline(
      {
        node: nodeName,
        certBinding: config.certBinding,
        publishEvents: config.events.publish,
        allowEmptyClientId: config.protocol.allowEmptyClientId,
      },
      {
        limiter,
        acl,
        emit: deps.emit,
        metrics: this.metrics,
        ...(deps.authenticator ? { auth: deps.authenticator } : {}),
        ...(deps.penaltyBox ? { penalty: deps.penaltyBox } : {}),
        ...(deps.inspector ? { inspector: deps.inspector } : {}),
      },
    );
    this.registry = new SessionRegistry({
      pipeline: this.pipeline,
      tickMs: config.sweepMs,
      summaryIntervalMs: config.events.summaryIntervalMs,
    });
    if (deps.penaltyBox) this.registry.watchBans(deps.penaltyBox);
    const open = upstreamConnector(parseUpstream(config.upstream.url, config.upstream.insecure));
    const embedded = config.mode === 'embedded';
    this.host = {
      pipeline: this.pipeline,
      registry: this.registry,
      metrics: this.metrics,
      limits: {
        maxPacketSize: config.protocol.maxPacketSize,
        upstreamMaxPacketSize: config.upstream.maxPacketSize,
        connectTimeoutMs: config.protocol.connectTimeoutMs,
        keepAliveFactor: config.protocol.keepAliveFactor,
        allowMqtt31: config.protocol.allowMqtt31,
      },
      // Embedded mode: the in-process broker, started by listen()/startEmbedded() before any session.
      openUpstream: embedded ? (s) => (this.embedded as EmbeddedBroker).connect(s) : () => open(),
      // aedes speaks 3.1.1: MQTT 5 devices are translated from the first session in embedded mode.
      upstream: embedded
        ? new UpstreamLevel(4)
        : new UpstreamLevel(config.upstream.protocol, config.upstream.maxQos),
    };
    this.listeners = createListeners(config, deps.tls, {
      accept: (device, peer) => this.accept(device, peer),
      tlsRefused: (peer, reason, message) => this.tlsRefused(peer, reason, message),
    });
  }

  /** Bind the listeners (and /metrics when `withMetrics`); returns the bound ports. */
  async listen(withMetrics = true): Promise<NodePorts> {
    await this.startEmbedded();
    const ports: NodePorts = await this.listeners.listen();
    if (withMetrics && this.config.metricsPort > 0) ports.metrics = await this.serveMetrics();
    this.log.info('enforcement node listening', { ...ports, upstream: this.config.upstream.url });
    return ports;
  }

  /** Start the in-process broker of embedded mode (idempotent; a no-op in proxy mode). */
  async startEmbedded(): Promise<void> {
    if (this.config.mode === 'embedded' && !this.embedded)
      this.embedded = await EmbeddedBroker.create(this.nodeName);
  }

  /** A socket accepted by the cluster primary. */
  inject(kind: ListenerKind, socket: Socket): void {
    this.listeners.inject(kind, socket);
  }

  accept(device: Duplex, peer: PeerInfo): void {
    if (this.stopped) return void device.destroy();
    new ProxySession(device, peer, this.host);
  }

  private tlsRefused(peer: PeerInfo, reason: ReasonCode, message: string): void {
    this.pipeline.emitFor(peerSubject(peer, ''), { reason, message });
  }

  private serveMetrics(): Promise<number> {
    const reg = this.metrics.registry;
    const srv = createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      reg.metrics().then(
        (text) => res.writeHead(200, { 'content-type': reg.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
    this.metricsServer = srv;
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(this.config.metricsPort, this.config.host, () => {
        const a = srv.address();
        resolve(a && typeof a === 'object' ? a.port : this.config.metricsPort);
      });
    });
  }

  get sessions(): number {
    return this.registry.size;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.registry.closeAll();
    this.registry.stop();
    await this.listeners.close();
    if (this.metricsServer) await new Promise<void>((r) => this.metricsServer?.close(() => r()));
    await this.embedded?.close();
  }
}
