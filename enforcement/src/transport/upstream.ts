// The connection to the core broker, one per proxied session.
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { UpstreamError } from '../errors.ts';

export interface UpstreamTarget {
  host: string;
  port: number;
  tls: boolean;
  insecure: boolean;
}

export function parseUpstream(url: string, insecure = false): UpstreamTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new UpstreamError(`upstream URL ${JSON.stringify(url)} is not a URL`, { url }, err);
  }
  if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:') {
    throw new UpstreamError(`upstream URL ${JSON.stringify(url)} must start with mqtt:// or mqtts://`, {
      url,
    });
  }
  const port = Number(u.port || (u.protocol === 'mqtts:' ? 8883 : 1883));
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port, tls: u.protocol === 'mqtts:', insecure };
}

/** A function that opens one upstream connection (errors arrive as 'error' then 'close'). */
export function upstreamConnector(t: UpstreamTarget): () => Duplex {
  if (t.tls) {
    return () => {
      const s = tlsConnect({
        host: t.host,
        port: t.port,
        servername: t.host,
        rejectUnauthorized: !t.insecure,
      });
      s.setNoDelay(true);
      return s;
    };
  }
  return () => {
    const s = netConnect({ host: t.host, port: t.port });
    s.setNoDelay(true);
    return s;
  };
}
