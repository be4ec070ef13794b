// Syslog over UDP (RFC 5426): one datagram per message, each held to maxMessageBytes. A longer message is
// cut at a character boundary and ends in TRUNCATION_MARK, so an analyst sees that something is missing.
// UDP has no acknowledgement: a record counts as delivered once the datagram left.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { ExportError, ExportErrorCode } from '../errors.ts';
import { utf8Prefix } from '../format/text.ts';
import type { Encoded, SinkFactory } from './types.ts';

export const TRUNCATION_MARK = '…[truncated]';
const MARK_BYTES = Buffer.byteLength(TRUNCATION_MARK);

/** The message as it fits in `maxBytes`; `cut` says whether anything was removed. */
export function fitDatagram(text: string, maxBytes: number): { text: string; cut: boolean } {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return { text, cut: false };
  let head = utf8Prefix(text, maxBytes - MARK_BYTES);
  // Never leave half an escape sequence (a lone trailing backslash) before the mark.
  const trailing = /\\+$/.exec(head)?.[0].length ?? 0;
  if (trailing % 2 === 1) head = head.slice(0, -1);
  return { text: head + TRUNCATION_MARK, cut: true };
}

/** Waits as needed so that calls come at most `perSecond` times a second, in bursts of up to 16. */
export function pacer(perSecond: number, now: () => number = () => performance.now()): () => Promise<void> {
  if (perSecond <= 0) return () => Promise.resolve();
  const interval = 1000 / perSecond;
  let next = now();
  return async () => {
    const t = now();
    // Allow a small burst, but never let unused time pile up into a large one.
    next = Math.max(next, t - interval * 16);
    next += interval;
    if (next > t + 1) await new Promise((r) => setTimeout(r, next - t));
  };
}

export const createSyslogUdpSink: SinkFactory<'syslog-udp'> = async (cfg, ctx) => {
  const socket: Socket = createSocket(isIPv6(cfg.host) ? 'udp6' : 'udp4');
  socket.on('error', (err) => ctx.log.warn('udp socket error', { error: err.message }));
  socket.unref();
  const sendOne = (e: Encoded): Promise<void> => {
    const { text, cut } = fitDatagram(e.text, cfg.maxMessageBytes);
    if (cut) ctx.onTruncated?.(1);
    return new Promise((resolve, reject) => {
      socket.send(text, cfg.port, cfg.host, (err) =>
        err
          ? reject(
              new ExportError(ExportErrorCode.Unavailable, `udp ${cfg.host}:${cfg.port}: ${err.message}`, {
                cause: err,
              }),
            )
          : resolve(),
      );
    });
  };
  const pace = pacer(cfg.maxPerSecond);
  return {
    async send(batch) {
      for (const e of batch) {
        await pace();
        await sendOne(e);
      }
    },
    async close() {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
};
