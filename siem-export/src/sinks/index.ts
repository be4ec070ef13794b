// The sink registry: one factory per SinkKind, so a kind without its sink fails to compile.
import type { SinkConfig, SinkKind } from '../config.ts';
import { createFileSink } from './file.ts';
import { createKafkaSink } from './kafka.ts';
import { createSplunkHecSink } from './splunk-hec.ts';
import { createSyslogTcpSink } from './syslog-tcp.ts';
import { createSyslogTlsSink } from './syslog-tls.ts';
import { createSyslogUdpSink } from './syslog-udp.ts';
import type { Sink, SinkContext, SinkFactory } from './types.ts';
import { createWebhookSink } from './webhook.ts';

export const sinkFactories: { [K in SinkKind]: SinkFactory<K> } = {
  'syslog-udp': createSyslogUdpSink,
  'syslog-tcp': createSyslogTcpSink,
  'syslog-tls': createSyslogTlsSink,
  webhook: createWebhookSink,
  'splunk-hec': createSplunkHecSink,
  kafka: createKafkaSink,
  file: createFileSink,
};

export function createSink(cfg: SinkConfig, ctx: SinkContext): Promise<Sink> {
  const factory = sinkFactories[cfg.kind] as SinkFactory<typeof cfg.kind>;
  return factory(cfg as never, ctx);
}
