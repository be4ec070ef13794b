// Syslog over TLS (RFC 5425, port 6514): the receiver's certificate is verified against the configured CA
// and name; an optional client certificate authenticates Sentinel to the receiver.
import { readFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import { ExportError, ExportErrorCode } from '../errors.ts';
import { StreamSyslogSink } from './syslog-stream.ts';
import type { SinkFactory } from './types.ts';

async function pem(path: string | undefined, what: string): Promise<Buffer | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path);
  } catch (err) {
    // The path is named; the content (a key) never is.
    throw new ExportError(ExportErrorCode.Setup, `cannot read the TLS ${what} file ${path}`, { cause: err });
  }
}

export const createSyslogTlsSink: SinkFactory<'syslog-tls'> = async (cfg, ctx) => {
  const [ca, cert, key] = await Promise.all([
    pem(cfg.ca, 'CA'),
    pem(cfg.cert, 'certificate'),
    pem(cfg.key, 'key'),
  ]);
  const opts: ConnectionOptions = {
    host: cfg.host,
    port: cfg.port,
    // Node verifies the certificate against servername when set, else against host (IP SANs included).
    ...(cfg.servername ? { servername: cfg.servername } : {}),
    rejectUnauthorized: cfg.verify,
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
  };
  return new StreamSyslogSink(
    `tls://${cfg.host}:${cfg.port}`,
    () => connect(opts),
    'secureConnect',
    cfg.framing,
    ctx,
  );
};
