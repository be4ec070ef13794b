// The Prometheus recipe: the Debian package's server on a free loopback port with a configuration file the
// caller wrote, its TSDB and log under `dir`; resolves once /-/ready answers.
import { join } from 'node:path';
import { getFreePort } from './ports.ts';
import { SupervisedChild } from './process.ts';

export interface StartPrometheusOptions {
  /** Folder for the TSDB (`data/`) and the log. */
  dir: string;
  /** prometheus.yml to run with. */
  configFile: string;
  port?: number;
  binary?: string;
}

export interface PrometheusServer {
  url: string;
  port: number;
  child: SupervisedChild;
  stop(): Promise<void>;
}

export async function startPrometheus(o: StartPrometheusOptions): Promise<PrometheusServer> {
  const port = o.port ?? (await getFreePort());
  const url = `http://127.0.0.1:${port}`;
  const child = new SupervisedChild({
    name: 'prometheus',
    command: o.binary ?? 'prometheus',
    args: [
      `--config.file=${o.configFile}`,
      `--storage.tsdb.path=${join(o.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    logFile: join(o.dir, 'prometheus.log'),
    ready: async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true,
    readyTimeoutMs: 30_000,
    restart: false,
  });
  await child.start();
  return { url, port, child, stop: () => child.stop() };
}
