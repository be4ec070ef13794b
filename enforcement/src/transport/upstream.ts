// The connection to the core broker, one per proxied session.
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
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
  return () => plainUpstream(t.host, t.port);
}

/**
 * One read buffer for every plain upstream socket of the process. Without it each read allocates a fresh
 * 64 KiB backing store (malloc, then realloc down to the bytes read) and goes through the stream layer's
 * push/flow machinery; reading into this buffer instead skips both. Sharing it is safe because libuv hands
 * it to one socket's callback at a time and the callback copies the bytes out before it returns: what the
 * session forwards may still sit in a socket's write queue long after the next read reuses this buffer.
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * A plain TCP upstream whose reads land in `readBuffer`. The bytes are copied into a buffer of their own
 * (from Node's pool for small reads, such as a batch of acknowledgements) and emitted as 'data', so the
 * session sees the same stream events as before; pause/resume stop and start reading the socket.
 */
function plainUpstream(host: string, port: number): Duplex {
  const s = netConnect({ host, port, onread: { buffer: readBuffer, callback: onUpstreamRead } });
  s.setNoDelay(true);
  return s;
}

/**
 * The read callback of every plain upstream. Node calls it as a method of the socket that read, so one
 * function serves all of them and an idle connection carries no closure of its own. Returns true: keep
 * reading (the session pauses the socket itself when the device cannot take more).
 */
function onUpstreamRead(this: Socket, n: number, buf: Uint8Array): boolean {
  const chunk = Buffer.allocUnsafe(n);
  chunk.set(buf.subarray(0, n));
  this.emit('data', chunk);
  return true;
}
