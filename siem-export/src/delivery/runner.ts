// Runs sinks: each sink gets its own transport, its own durable consumer per stream and its own loop,
// supervised apart, so a sink that is down (or slow) never holds back another. This is the one place
// where filters, retries, metrics and dead-lettering meet the sinks (see loop.ts); sinks only move bytes.
import type { NatsConnection } from '@nats-io/nats-core';
import { silentLogger, supervise } from '@sentinel/ingest';
import type { Logger } from '@sentinel/ingest';
import type { Registry } from 'prom-client';
import type { ExportConfig, SinkConfig } from '../config.ts';
import { createSink } from '../sinks/index.ts';
import type { Sink } from '../sinks/types.ts';
import { makeEncoder } from './encode.ts';
import { SourceLoop } from './loop.ts';
import { exportMetrics } from './metrics.ts';
import type { ExportMetrics } from './metrics.ts';
import { sourcesFor } from './source.ts';

export interface SinkRunnerOptions {
  nc: NatsConnection;
  cfg: SinkConfig;
  metrics?: ExportMetrics;
  log?: Logger;
  /** A ready sink instead of the configured transport (tests of the wrapper with a scripted sink). */
  sink?: Sink;
}

export class SinkRunner {
  readonly name: string;
  private sink: Sink | undefined;
  private loops: SourceLoop[] = [];
  private tasks: Promise<void>[] = [];
  private abort = new AbortController();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly metrics: ExportMetrics;
  private readonly log: Logger;

  constructor(private readonly o: SinkRunnerOptions) {
    this.name = o.cfg.name;
    this.metrics = o.metrics ?? exportMetrics();
    this.log = (o.log ?? silentLogger).child({ component: 'export', sink: o.cfg.name, kind: o.cfg.kind });
  }

  /** Create the transport and the durable consumers, then run until stop(). */
  async start(): Promise<void> {
    const { cfg } = this.o;
    const label = { sink: cfg.name };
    this.sink =
      this.o.sink ??
      (await createSink(cfg, { log: this.log, onTruncated: (n) => this.metrics.truncated.inc(label, n) }));
    const encode = makeEncoder(cfg);
    for (const source of sourcesFor(cfg)) {
      const loop = new SourceLoop({
        nc: this.o.nc,
        cfg,
        source,
        sink: this.sink,
        encode,
        metrics: this.metrics,
        log: this.log.child({ stream: source.stream }),
        exclusive: (fn) => this.exclusive(fn),
      });
      await loop.ensure();
      this.loops.push(loop);
      this.tasks.push(
        supervise(() => loop.run(), {
          name: `export sink ${cfg.name} (${source.stream})`,
          log: this.log,
          signal: this.abort.signal,
        }),
      );
    }
    this.log.info('sink started', { format: cfg.format, streams: this.loops.length });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    for (const l of this.loops) l.stop();
    await Promise.allSettled(this.tasks);
    await this.sink
      ?.close()
      .catch((err: unknown) => this.log.warn('closing the sink failed', { error: err }));
  }
}

export interface ExporterOptions {
  nc: NatsConnection;
  config: ExportConfig;
  registry?: Registry;
  log?: Logger;
}

/** Every configured sink, started and stopped together, each on its own. */
export class Exporter {
  readonly runners: SinkRunner[];
  readonly metrics: ExportMetrics;

  constructor(o: ExporterOptions) {
    this.metrics = exportMetrics(o.registry);
    this.runners = o.config.sinks.map(
      (cfg) => new SinkRunner({ nc: o.nc, cfg, metrics: this.metrics, ...(o.log ? { log: o.log } : {}) }),
    );
  }

  async start(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }
}
