// `sentinel bridge`: the core broker and the customer origin joined by two pipes (out: core -> origin,
// in: origin -> core) over four connections, so that a pipe waiting for one broker's PUBACK never holds up
// the packets of the other direction.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { silentLogger } from '@sentinel/ingest';
import type { Logger } from '@sentinel/ingest';
import type { BridgeConfig } from './config.ts';
import { BridgeConnection } from './connection.ts';
import type { Role, Side } from './connection.ts';
import { compileRules } from './mapping.ts';
import type { Direction } from './mapping.ts';
import { createBridgeMetrics } from './metrics.ts';
import type { BridgeMetrics } from './metrics.ts';
import { Pipe } from './pipe.ts';

export interface BridgeOptions {
  config: BridgeConfig;
  metrics?: BridgeMetrics;
  log?: Logger;
  /** [0, 1) source for backoff jitter (tests pass a fixed one). */
  random?: () => number;
}

export interface Bridge {
  metrics: BridgeMetrics;
  /** URL of /metrics when `metrics.port` is set. */
  metricsUrl: string | undefined;
  /** True while all four connections are up. */
  connected(): boolean;
  stop(): Promise<void>;
}

function serveMetrics(metrics: BridgeMetrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** Start the bridge; connections come up in the background and keep retrying with backoff. */
export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  const c = opts.config;
  const metrics = opts.metrics ?? createBridgeMetrics();
  const log = opts.log ?? silentLogger;
  const random = opts.random ?? Math.random;
  const rules = compileRules(c.rules);
  for (const d of ['out', 'in'] as const) metrics.ingested.inc({ direction: d }, 0);
  for (const d of ['out', 'in'] as const) metrics.persisted.inc({ direction: d }, 0);

  const pipes = new Map<Direction, Pipe>();
  const connect = (side: Side, role: Role, direction: Direction): BridgeConnection =>
    new BridgeConnection({
      side,
      role,
      broker: side === 'core' ? c.core : c.origin,
      window: c.window,
      backoff: c.backoff,
      metrics,
      log,
      random,
      ...(role === 'sub' ? { onConnect: (client) => pipes.get(direction)?.subscribe(client) } : {}),
    });
  const coreSub = connect('core', 'sub', 'out');
  const originPub = connect('origin', 'pub', 'out');
  const originSub = connect('origin', 'sub', 'in');
  const corePub = connect('core', 'pub', 'in');
  const common = {
    rules,
    deploymentId: c.deploymentId,
    window: c.window,
    backoff: c.backoff,
    metrics,
    log,
    random,
  };
  pipes.set(
    'out',
    new Pipe({
      ...common,
      direction: 'out',
      source: coreSub,
      destination: originPub,
      destinationVersion: c.origin.protocolVersion,
    }),
  );
  pipes.set(
    'in',
    new Pipe({
      ...common,
      direction: 'in',
      source: originSub,
      destination: corePub,
      destinationVersion: c.core.protocolVersion,
    }),
  );
  // A subscriber may have connected before its pipe existed.
  if (coreSub.connected) pipes.get('out')?.subscribe(coreSub.client);
  if (originSub.connected) pipes.get('in')?.subscribe(originSub.client);

  const server = c.metrics.port > 0 ? await serveMetrics(metrics, c.metrics.host, c.metrics.port) : undefined;
  const connections = [coreSub, originPub, originSub, corePub];
  log.info('bridge started', { core: c.core.url, origin: c.origin.url, rules: rules.length });
  return {
    metrics,
    metricsUrl: server ? `http://${c.metrics.host}:${c.metrics.port}/metrics` : undefined,
    connected: () => connections.every((x) => x.connected),
    async stop() {
      for (const p of pipes.values()) p.stop();
      await Promise.all(connections.map((x) => x.stop()));
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    },
  };
}
