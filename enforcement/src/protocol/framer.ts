// The incremental MQTT framer: bytes in, whole packets out. A state machine that never touches a socket.
// It reads the fixed header (type, flags, remaining length) and refuses a packet whose declared size is
// above the limit as soon as the remaining length is known, before any of its body is buffered. A packet
// that arrives whole inside one chunk is passed on as a place in that chunk (`src`, `start`, `end`):
// neither copied nor wrapped in a Buffer view unless someone asks for `raw`.
import type { Violation } from './violation.ts';

export class Frame {
  private view: Buffer | undefined;

  constructor(
    /** Packet type, 1..15 (0 and reserved types are reported here too; the decoder rejects them). */
    readonly type: number,
    /** Low four bits of the first byte. */
    readonly flags: number,
    /** The bytes holding the packet: the read chunk it arrived in, or the framer's reassembly buffer. */
    readonly src: Buffer,
    /** Where the packet starts and ends in `src`. */
    readonly start: number,
    readonly end: number,
    /** Offset from `start` where the variable header starts. */
    readonly bodyStart: number,
  ) {}

  /** Whole packet size in bytes, fixed header included. */
  get length(): number {
    return this.end - this.start;
  }

  /** The whole packet, fixed header included, exactly as received (a view of `src`, made on first use). */
  get raw(): Buffer {
    return (this.view ??= this.src.subarray(this.start, this.end));
  }
}

/** Receives whole packets; an object with a method, so a session can be its own sink (no closure). */
export interface FrameSink {
  onFrame(frame: Frame): void;
}

const enum State {
  Header,
  Length,
  Body,
  Dead,
}

export class Framer {
  private state = State.Header;
  private first = 0;
  private length = 0;
  private mul = 1;
  private lenBytes = 0;
  private buf: Buffer | undefined;
  private filled = 0;

  /** @param maxPacketSize largest whole packet accepted, fixed header included, in bytes. */
  constructor(public maxPacketSize: number) {}

  /** True while part of a packet is held (used by the keep-alive and stall checks). */
  get partial(): boolean {
    return this.state !== State.Header;
  }

  /**
   * Feed bytes; `sink.onFrame` runs for each whole packet in order. Returns a Violation (and stops for good)
   * when the remaining length is malformed or the packet is too large.
   */
  push(chunk: Buffer, sink: FrameSink): Violation | undefined {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case State.Header: {
          // Fast path: the whole packet is in this chunk.
          const whole = this.tryWhole(chunk, i, sink);
          if (typeof whole === 'object') return this.die(whole);
          if (whole > 0) {
            i += whole;
            continue;
          }
          this.first = chunk[i++] as number;
          this.length = 0;
          this.mul = 1;
          this.lenBytes = 0;
          this.state = State.Length;
          break;
        }
        case State.Length: {
          const b = chunk[i++] as number;
          this.length += (b & 0x7f) * this.mul;
          this.mul *= 128;
          this.lenBytes++;
          if (b & 0x80) {
            // Remaining length is at most four bytes [MQTT-2.2.3]
            if (this.lenBytes === 4) return this.die(malformedLength());
            break;
          }
          const total = 1 + this.lenBytes + this.length;
          if (total > this.maxPacketSize) return this.die(tooLarge(total, this.maxPacketSize));
          this.buf = Buffer.allocUnsafe(total);
          this.buf[0] = this.first;
          writeLength(this.buf, this.length);
          this.filled = 1 + this.lenBytes;
          this.state = State.Body;
          if (this.filled === total) this.emit(sink);
          break;
        }
        case State.Body: {
          const buf = this.buf as Buffer;
          const take = Math.min(buf.length - this.filled, n - i);
          chunk.copy(buf, this.filled, i, i + take);
          this.filled += take;
          i += take;
          if (this.filled === buf.length) this.emit(sink);
          break;
        }
        case State.Dead:
          return undefined;
      }
    }
    return undefined;
  }

  /** Bytes consumed for a packet entirely inside `chunk` from `i`, 0 if it is not whole, or a Violation. */
  private tryWhole(chunk: Buffer, i: number, sink: FrameSink): number | Violation {
    const n = chunk.length;
    let len = 0;
    let mul = 1;
    let j = i + 1;
    for (let k = 0; ; k++) {
      if (j >= n) return 0;
      const b = chunk[j++] as number;
      len += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) break;
      if (k === 3) return malformedLength();
      mul *= 128;
    }
    const total = j - i + len;
    if (total > this.maxPacketSize) return tooLarge(total, this.maxPacketSize);
    if (i + total > n) return 0;
    const first = chunk[i] as number;
    sink.onFrame(new Frame(first >> 4, first & 0x0f, chunk, i, i + total, j - i));
    return total;
  }

  private emit(sink: FrameSink): void {
    const raw = this.buf as Buffer;
    this.buf = undefined;
    this.state = State.Header;
    sink.onFrame(new Frame(this.first >> 4, this.first & 0x0f, raw, 0, raw.length, 1 + this.lenBytes));
  }

  private die(v: Violation): Violation {
    this.state = State.Dead;
    this.buf = undefined;
    return v;
  }
}

function malformedLength(): Violation {
  return {
    reason: 'protocol.malformed_remaining_length',
    clause: 'MQTT-2.2.3',
    detail: 'remaining length longer than four bytes',
  };
}

function tooLarge(total: number, max: number): Violation {
  return {
    reason: 'protocol.packet_too_large',
    clause: 'MQTT-3.1.2-24',
    detail: `declared packet size ${total} above the limit ${max}`,
  };
}

/** Encode a remaining length at offset 1 of `buf`; returns the bytes written. */
export function writeLength(buf: Buffer, length: number, at = 1): number {
  let n = 0;
  let x = length;
  do {
    let b = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) b |= 0x80;
    buf[at + n++] = b;
  } while (x > 0);
  return n;
}

export function lengthBytes(length: number): number {
  return length < 128 ? 1 : length < 16_384 ? 2 : length < 2_097_152 ? 3 : 4;
}
