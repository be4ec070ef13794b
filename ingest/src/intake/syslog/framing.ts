// Syslog over TCP, RFC 6587: each frame is either octet-counted (`LEN SP MSG`, 3.4.1) or ends at a line
// feed (non-transparent framing, 3.4.2); a sender may mix them, so each frame is told apart by its first
// byte (a digit starts an octet count; a syslog message starts with '<'). The buffer never holds more than
// one frame of at most `maxMessageBytes` plus one read, so a sender cannot make a connection grow without bound.

export type FramingError = 'oversized_frame' | 'oversized_line' | 'bad_octet_count';

export interface FramerEvents {
  frame(msg: Buffer): void;
  /** `fatal`: the stream cannot be resynchronised and the connection must close. */
  error(kind: FramingError, fatal: boolean): void;
}

const LF = 0x0a;
const SP = 0x20;
const MAX_COUNT_DIGITS = 7; // RFC 6587 MSG-LEN is NONZERO-DIGIT *DIGIT; 7 digits covers any sane limit.

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

export class SyslogFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** Skipping the rest of an oversized line up to its line feed. */
  private discarding = false;
  private dead = false;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly on: FramerEvents,
  ) {}

  /** Bytes held between frames: at most maxMessageBytes + digits + one chunk. */
  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): void {
    if (this.dead) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.length > 0 && !this.dead) {
      if (!this.step()) break;
    }
  }

  /** One frame (or one discard); false when more bytes are needed. */
  private step(): boolean {
    if (this.discarding) return this.discard();
    if (!isDigit(this.buf[0])) return this.lineFramed();
    const counted = this.octetCounted();
    return counted === 'line' ? this.lineFramed() : counted;
  }

  private discard(): boolean {
    const lf = this.buf.indexOf(LF);
    if (lf < 0) {
      this.buf = Buffer.alloc(0);
      return false;
    }
    this.buf = this.buf.subarray(lf + 1);
    this.discarding = false;
    return true;
  }

  /** 'line' when the digits are not an octet count (a bare log line such as `1700000000: text`). */
  private octetCounted(): boolean | 'line' {
    let i = 0;
    while (i < this.buf.length && isDigit(this.buf[i]) && i <= MAX_COUNT_DIGITS) i++;
    if (i > MAX_COUNT_DIGITS || (i < this.buf.length && this.buf[i] !== SP)) return 'line';
    if (i === this.buf.length) return false; // the count is still arriving
    const len = Number(this.buf.toString('latin1', 0, i));
    if (len === 0) return this.fatal('bad_octet_count');
    if (len > this.maxMessageBytes) return this.fatal('oversized_frame');
    const end = i + 1 + len;
    if (this.buf.length < end) return false;
    const msg = this.buf.subarray(i + 1, end);
    this.buf = this.buf.subarray(end);
    this.on.frame(msg);
    return true;
  }

  private lineFramed(): boolean {
    // A line is only what the sender ends with LF; without one, wait, up to the message limit.
    const lf = this.buf.indexOf(LF);
    if (lf < 0) {
      if (this.buf.length > this.maxMessageBytes) {
        this.on.error('oversized_line', false);
        this.buf = Buffer.alloc(0);
        this.discarding = true;
      }
      return false;
    }
    if (lf > this.maxMessageBytes) {
      this.on.error('oversized_line', false);
    } else {
      const msg = this.buf.subarray(0, lf);
      if (msg.length > 0 && !(msg.length === 1 && msg[0] === 0x0d)) this.on.frame(msg);
    }
    this.buf = this.buf.subarray(lf + 1);
    return true;
  }

  private fatal(kind: FramingError): boolean {
    this.dead = true;
    this.buf = Buffer.alloc(0);
    this.on.error(kind, true);
    return false;
  }

  /** End of stream: a last line without its line feed is still a message (RFC 6587 senders may omit it). */
  end(): void {
    if (this.dead || this.discarding || this.buf.length === 0) return;
    if (!isDigit(this.buf[0]) && this.buf.length <= this.maxMessageBytes) this.on.frame(this.buf);
    this.buf = Buffer.alloc(0);
  }
}
