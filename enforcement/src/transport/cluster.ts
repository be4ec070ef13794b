// Several worker processes behind the same ports. node:cluster's own balancing is round-robin, which
// would scatter one source IP across workers and let it multiply its per-IP budgets by the worker count.
// So the primary accepts every connection itself (paused, no byte read), hashes the source IP, and passes
// the socket handle to the worker that owns that hash: all connections of an IP meet the same per-IP and
// CONNECT buckets. The global tier is divided by the worker count in each worker.
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AggregatorRegistry } from 'prom-client';
import { silentLogger } from '@sentinel/ingest';
import type { Logger, NatsConfig, PublisherConfig } from '@sentinel/ingest';
import type { EnforcementConfig } from '../config.ts';
import { EnforcementError, EnforcementErrorCode, ListenError } from '../errors.ts';
import type { NodePorts } from '../node.ts';
import type { ListenerKind } from './listeners.ts';
import { normalizeIp } from './peer.ts';
import { isSessionRegistryMessage, SessionRelay } from '../inspection/threats/shared-registry.ts';
import type { SessionRegistryMessage } from '../inspection/threats/shared-registry.ts';

/** What a worker needs to start: plain data, passed through the environment. */
export interface WorkerSpec {
  config: EnforcementConfig;
  nats: NatsConfig;
  publisher: PublisherConfig;
  dataDir: string;
  nodeName: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export const WORKER_ENV = 'SENTINEL_INTERNAL_ENFORCEMENT_WORKER';

export type WorkerMessage = { type: 'ready' } | { type: 'failed'; error: string } | SessionRegistryMessage;
export type PrimaryMessage =
  { type: 'socket'; kind: ListenerKind } | { type: 'stop' } | SessionRegistryMessage;

/** FNV-1a of the address: stable across restarts, so an IP keeps its worker. */
export function ipShard(ip: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < ip.length; i++) {
    h ^= ip.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % n;
}

export interface ClusterHandle {
  ports: NodePorts;
  workers(): number;
  stop(): Promise<void>;
}

function workerEntry(): string {
  return fileURLToPath(new URL('./cluster-worker.ts', import.meta.url));
}

function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

/**
 * Under a burst of thousands of handle passes, Node 20's IPC layer can receive one handle
 * acknowledgement more than it expects and fail an internal assertion in the primary, at the top of
 * its acknowledgement handler before it changes any state. Losing the primary would drop every
 * connection of every worker, so that one assertion is logged and survived; anything else still crashes.
 */
function surviveHandleAckAssertion(log: Logger): () => void {
  const guard = (err: Error & { code?: string }): void => {
    if (err.code === 'ERR_INTERNAL_ASSERTION' && (err.stack ?? '').includes('internal/child_process')) {
      log.warn('duplicate IPC handle acknowledgement ignored (Node internal assertion)');
      return;
    }
    process.off('uncaughtException', guard);
    throw err;
  };
  process.on('uncaughtException', guard);
  return () => process.off('uncaughtException', guard);
}

export async function startCluster(spec: WorkerSpec, log: Logger = silentLogger): Promise<ClusterHandle> {
  const count = spec.config.workers;
  const unguard = surviveHandleAckAssertion(log);
  cluster.setupPrimary({ exec: workerEntry(), execArgv: ['--import', tsxLoader()] });
  const workers: (Worker | undefined)[] = new Array(count).fill(undefined);
  let stopping = false;
  // Live sessions per worker, relayed so every worker checks identities against the whole node.
  const relay = new SessionRelay();
  const toOthers = (from: number, m: SessionRegistryMessage): void => {
    workers.forEach((w, i) => {
      if (i !== from && w?.isConnected()) w.send(m);
    });
  };

  const fork = (index: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const w = cluster.fork({ [WORKER_ENV]: JSON.stringify({ index, count, spec }) });
      workers[index] = w;
      w.on('message', (m: WorkerMessage) => {
        if (isSessionRegistryMessage(m)) {
          const out = relay.fromWorker(index, m);
          if (out) toOthers(index, out);
          return;
        }
        if (m.type === 'ready') {
          w.send(relay.snapshotFor(index));
          resolve();
        }
        if (m.type === 'failed')
          reject(
            new EnforcementError(EnforcementErrorCode.Worker, `worker ${index} failed to start: ${m.error}`),
          );
      });
      w.on('exit', (code, signal) => {
        if (workers[index] === w) workers[index] = undefined;
        if (stopping) return;
        for (const m of relay.workerGone(index)) toOthers(index, m);
        log.warn('enforcement worker exited; starting a new one', { index, code, signal });
        setTimeout(
          () =>
            void fork(index).catch((err: unknown) =>
              log.error('worker restart failed', { index, error: String(err) }),
            ),
          500,
        );
      });
    });
  try {
    await Promise.all(Array.from({ length: count }, (_, i) => fork(i)));
  } catch (err) {
    stopping = true;
    for (const w of workers) w?.kill();
    throw err;
  }

  // One handle in flight per worker: the next socket is passed when the previous send completed.
  // Passing handles back to back over one IPC pipe under load let Node's handle acknowledgements get
  // out of step (an internal assertion in the primary); a queue per worker keeps them in step.
  const queues: { kind: ListenerKind; socket: Socket }[][] = Array.from({ length: count }, () => []);
  const busy: boolean[] = new Array(count).fill(false);
  const pump = (i: number): void => {
    const w = workers[i];
    const next = queues[i]?.shift();
    if (!next) return void (busy[i] = false);
    if (!w?.isConnected()) {
      next.socket.destroy();
      return pump(i);
    }
    busy[i] = true;
    w.send(
      { type: 'socket', kind: next.kind } satisfies PrimaryMessage,
      next.socket,
      { keepOpen: false },
      (err) => {
        if (err) next.socket.destroy();
        pump(i);
      },
    );
  };
  const route = (kind: ListenerKind, socket: Socket): void => {
    const ip = normalizeIp(socket.remoteAddress);
    const first = ipShard(ip, count);
    for (let k = 0; k < count; k++) {
      const i = (first + k) % count;
      if (!workers[i]?.isConnected()) continue;
      (queues[i] as { kind: ListenerKind; socket: Socket }[]).push({ kind, socket });
      if (!busy[i]) pump(i);
      return;
    }
    socket.destroy(); // no worker alive: refuse rather than queue
  };

  const servers: Server[] = [];
  const ports: NodePorts = {};
  const c = spec.config;
  const listeners: [ListenerKind, boolean, number][] = [
    ['tcp', c.tcp.enabled, c.tcp.port],
    ['tls', c.tls.enabled, c.tls.port],
    ['ws', c.ws.enabled, c.ws.port],
  ];
  for (const [kind, enabled, port] of listeners) {
    if (!enabled) continue;
    const srv = createServer({ pauseOnConnect: true }, (s) => route(kind, s));
    ports[kind] = await listen(srv, kind, port, c.host);
    servers.push(srv);
  }
  let metrics: HttpServer | undefined;
  if (c.metricsPort > 0) {
    const agg = new AggregatorRegistry();
    metrics = createHttpServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      agg.clusterMetrics().then(
        (text) => res.writeHead(200, { 'content-type': agg.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
    ports.metrics = await listen(metrics, 'metrics', c.metricsPort, c.host);
  }
  log.info('enforcement cluster listening', { ...ports, workers: count });
  return {
    ports,
    workers: () => workers.filter((w) => w?.isConnected()).length,
    async stop() {
      stopping = true;
      unguard();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      if (metrics) await new Promise<void>((r) => metrics?.close(() => r()));
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (!w || !w.isConnected()) return resolve();
              const kill = setTimeout(() => w.kill('SIGKILL'), 10_000);
              w.once('exit', () => (clearTimeout(kill), resolve()));
              w.send({ type: 'stop' } satisfies PrimaryMessage);
            }),
        ),
      );
    },
  };
}

function listen(srv: Server | HttpServer, kind: string, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    srv.once('error', (err) => reject(new ListenError(kind, port, err)));
    srv.listen(port, host, () => {
      const a = srv.address();
      resolve(a && typeof a === 'object' ? a.port : port);
    });
  });
}
