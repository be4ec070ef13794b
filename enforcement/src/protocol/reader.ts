// Bounds-checked reading of MQTT data types (spec section 1.5) from one framed packet. Every read past
// the end or of an ill-formed string raises a Violation through violate(); nothing else throws.
import { isUtf8 } from 'node:buffer';
import { violate } from './violation.ts';

export class Reader {
  pos: number;
  end: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    end: number,
  ) {
    this.pos = start;
    this.end = end;
  }

  get left(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n)
      violate('protocol.malformed', 'MQTT-1.5', `${what} runs past the end of the packet`);
  }

  u8(what = 'byte'): number {
    this.need(1, what);
    return this.buf[this.pos++] as number;
  }

  u16(what = 'two-byte integer'): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what = 'four-byte integer'): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Variable byte integer, at most four bytes [MQTT-1.5.5-1]. */
  varint(what = 'variable byte integer'): number {
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.u8(what);
      value += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return value;
      mul *= 128;
    }
    return violate('protocol.malformed', 'MQTT-1.5.5-1', `${what} longer than four bytes`);
  }

  binary(what = 'binary data'): Buffer {
    const n = this.u16(what);
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** UTF-8 string: well-formed, no surrogates [MQTT-1.5.3-1], no U+0000 [MQTT-1.5.3-2]. */
  utf8(what = 'string'): string {
    const n = this.u16(what);
    this.need(n, what);
    const buf = this.buf;
    const start = this.pos;
    const end = start + n;
    this.pos = end;
    // Most topics and ids are ASCII: bytes 0x01..0x7F are well-formed UTF-8 as they stand and decode one
    // to one, so one scan replaces the validator, the U+0000 search and the view they need.
    let i = start;
    while (i < end) {
      const c = buf[i] as number;
      if (c === 0 || c > 0x7f) break;
      i++;
    }
    if (i === end) return buf.toString('latin1', start, end);
    const b = buf.subarray(start, end);
    if (!isUtf8(b)) violate('protocol.invalid_utf8', 'MQTT-1.5.3-1', `${what} is not well-formed UTF-8`);
    if (b.indexOf(0) !== -1) violate('protocol.invalid_utf8', 'MQTT-1.5.3-2', `${what} contains U+0000`);
    return b.toString('utf8');
  }

  rest(): Buffer {
    const b = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return b;
  }
}
