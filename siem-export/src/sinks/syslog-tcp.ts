// Syslog over plain TCP (RFC 6587).
import { connect } from 'node:net';
import { StreamSyslogSink } from './syslog-stream.ts';
import type { SinkFactory } from './types.ts';

export const createSyslogTcpSink: SinkFactory<'syslog-tcp'> = async (cfg, ctx) =>
  new StreamSyslogSink(
    `tcp://${cfg.host}:${cfg.port}`,
    () => connect({ host: cfg.host, port: cfg.port }),
    'connect',
    cfg.framing,
    ctx,
  );
