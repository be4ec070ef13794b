// The export process: connect to NATS, start every configured sink, and serve the sinks' Prometheus
// metrics on /metrics. Used by `sentinel export` and by `sentinel up`.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { connectNats } from '@sentinel/ingest';
import type { Logger, NatsConfig } from '@sentinel/ingest';
import { Registry } from 'prom-client';
import type { ExportConfig } from './config.ts';
import { Exporter } from './delivery/runner.ts';

export interface StartExportOptions {
  config: ExportConfig;
  nats: NatsConfig;
  log: Logger;
  /** Registry to add the export metrics to (default: a new one, served on config.metricsPort). */
  registry?: Registry;
}

export interface ExportService {
  exporter: Exporter;
  /** Where /metrics is served, if it is. */
  metricsUrl: string | undefined;
  stop(): Promise<void>;
}

function serveMetrics(registry: Registry, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

export async function startExport(o: StartExportOptions): Promise<ExportService> {
  const nc = await connectNats(o.nats, { component: 'export' });
  const registry = o.registry ?? new Registry();
  const exporter = new Exporter({ nc, config: o.config, registry, log: o.log });
  try {
    await exporter.start();
  } catch (err) {
    await exporter.stop().catch(() => undefined);
    await nc.close();
    throw err;
  }
  const port = o.config.metricsPort;
  const server =
    !o.registry && port > 0 && o.config.sinks.length > 0 ? await serveMetrics(registry, port) : undefined;
  for (const s of o.config.sinks)
    o.log.info('export sink running', { sink: s.name, kind: s.kind, format: s.format });
  return {
    exporter,
    metricsUrl: server ? `http://127.0.0.1:${port}/metrics` : undefined,
    async stop() {
      await exporter.stop();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await nc.drain().catch(() => nc.close());
    },
  };
}
