// Syslog over a byte stream (TCP, TLS): one connection kept open, written in batches, framed with RFC 6587
// octet counting ("<length> <message>", the default, also what RFC 5425 requires for TLS) or newline
// framing for receivers that only know that. A lost connection changes the epoch so the runner sends
// unconfirmed records again; the runner's backoff paces reconnects.
import type { Socket } from 'node:net';
import { ExportError, ExportErrorCode } from '../errors.ts';
import type { BatchFramer, Encoded, Sink, SinkContext } from './types.ts';

export type Framing = 'octet-counting' | 'newline';

/** RFC 6587 section 3.4.1 (octet counting) or 3.4.2 (non-transparent framing with LF). */
export function frameStream(batch: readonly Encoded[], framing: Framing): string {
  let out = '';
  if (framing === 'newline') {
    for (const e of batch) out += e.text + '\n';
  } else {
    for (const e of batch) out += `${Buffer.byteLength(e.text, 'utf8')} ${e.text}`;
  }
  return out;
}

function decimalDigits(n: number): number {
  let d = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) d++;
  return d;
}

/**
 * Frames records into bytes one at a time, as they are encoded, so a batch's texts need not be kept until
 * it is written: each is encoded to UTF-8 once, into a buffer reused from batch to batch, and take() copies
 * the batch out at its exact size. With octet counting the text is written where its length prefix will
 * end if the byte count has as many digits as the character count (always, for ASCII), and moved along in
 * the rare case it has more. Same bytes as `Buffer.from(frameStream(batch, framing))`.
 */
export class StreamFramer implements BatchFramer {
  private buf: Buffer;
  private pos = 0;

  constructor(
    private readonly framing: Framing,
    capacity = 1 << 20,
  ) {
    this.buf = Buffer.allocUnsafeSlow(capacity);
  }

  add(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; the prefix at most 16 digits and a space.
    this.room(text.length * 3 + 17);
    const buf = this.buf;
    if (this.framing === 'newline') {
      this.pos += buf.write(text, this.pos, 'utf8');
      buf[this.pos++] = 0x0a;
      return;
    }
    const guess = decimalDigits(text.length);
    const start = this.pos + guess + 1;
    const bytes = buf.write(text, start, 'utf8');
    const digits = decimalDigits(bytes);
    if (digits !== guess) buf.copyWithin(this.pos + digits + 1, start, start + bytes);
    this.pos += buf.write(String(bytes), this.pos, 'latin1');
    buf[this.pos++] = 0x20;
    this.pos += bytes;
  }

  /** The framed records added since the last take(). */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }

  private room(need: number): void {
    if (this.buf.length - this.pos >= need) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + need));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}

/** frameStream() as bytes. */
export function frameStreamBytes(batch: readonly Encoded[], framing: Framing): Buffer {
  let chars = 0;
  for (const e of batch) chars += e.text.length + 12;
  const f = new StreamFramer(framing, chars);
  for (const e of batch) f.add(e.text);
  return f.take();
}

export class StreamSyslogSink implements Sink {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private epoch = 0;
  private closed = false;

  constructor(
    private readonly what: string,
    private readonly open: () => Socket,
    /** 'connect' for TCP, 'secureConnect' for TLS. */
    private readonly readyEvent: 'connect' | 'secureConnect',
    private readonly framing: Framing,
    private readonly ctx: SinkContext,
  ) {}

  connectionEpoch(): number {
    return this.epoch;
  }

  async send(batch: readonly Encoded[], expectEpoch?: number): Promise<number> {
    return this.sendFramed(frameStreamBytes(batch, this.framing), expectEpoch);
  }

  framer(): BatchFramer {
    return new StreamFramer(this.framing);
  }

  async sendFramed(data: Buffer, expectEpoch?: number): Promise<number> {
    const socket = await this.connection();
    if (expectEpoch !== undefined && expectEpoch !== this.epoch) {
      throw new ExportError(
        ExportErrorCode.Stale,
        `${this.what}: reconnected since the last unconfirmed write`,
      );
    }
    // Taken before the write: a loss noticed later bumps the epoch and marks this batch for resending.
    const epoch = this.epoch;
    await new Promise<void>((resolve, reject) => {
      socket.write(data, (err) => (err ? reject(this.unavailable(err)) : resolve()));
    });
    if (this.socket !== socket) throw this.unavailable(new Error('connection lost during write'));
    return epoch;
  }

  private connection(): Promise<Socket> {
    if (this.closed)
      return Promise.reject(new ExportError(ExportErrorCode.Closed, `${this.what} sink closed`));
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private connect(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = this.open();
      s.setNoDelay(false);
      s.setKeepAlive(true, 30_000);
      const fail = (err: Error): void => {
        s.destroy();
        reject(this.unavailable(err));
      };
      s.once('error', fail);
      s.once(this.readyEvent, () => {
        s.off('error', fail);
        this.epoch++;
        this.socket = s;
        this.ctx.log.info('connected', { target: this.what, epoch: this.epoch });
        // Nothing is expected back; reading keeps 'end' (the receiver closed) visible.
        s.on('data', () => undefined);
        const lost = (err?: Error): void => {
          if (this.socket !== s) return;
          this.socket = undefined;
          this.epoch++;
          this.ctx.log.warn('connection lost', {
            target: this.what,
            error: err?.message ?? 'closed by receiver',
          });
          s.destroy();
        };
        s.on('error', lost);
        s.on('end', () => lost());
        s.on('close', () => lost());
        resolve(s);
      });
    });
  }

  private unavailable(err: Error): ExportError {
    return new ExportError(ExportErrorCode.Unavailable, `${this.what}: ${err.message}`, { cause: err });
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.socket;
    this.socket = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.end(() => resolve());
      setTimeout(resolve, 1000).unref();
    });
    s.destroy();
  }
}
