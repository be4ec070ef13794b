// The reader's UTF-8 strings take an ASCII fast path. It must give exactly what the full checks give —
// the same string, or the same violation — for any bytes: compared here with the plain implementation
// (validate, search for U+0000, decode) over random and hand-picked inputs.
import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { Reader } from '../../src/protocol/reader.ts';
import { ViolationSignal } from '../../src/protocol/violation.ts';
import type { Violation } from '../../src/protocol/violation.ts';

/** The plain implementation: a view, the validator, the U+0000 search, a UTF-8 decode. */
function plainUtf8(field: Buffer): string | Violation {
  if (field.length < 2) return { reason: 'protocol.malformed', clause: 'MQTT-1.5' };
  const n = field.readUInt16BE(0);
  if (field.length - 2 < n) return { reason: 'protocol.malformed', clause: 'MQTT-1.5' };
  const b = field.subarray(2, 2 + n);
  if (!isUtf8(b)) return { reason: 'protocol.invalid_utf8', clause: 'MQTT-1.5.3-1' };
  if (b.indexOf(0) !== -1) return { reason: 'protocol.invalid_utf8', clause: 'MQTT-1.5.3-2' };
  return b.toString('utf8');
}

function readerUtf8(field: Buffer, offset: number): { value: string | Violation; pos: number } {
  // The field sits inside a larger buffer, as a topic sits inside a read chunk.
  const host = Buffer.concat([Buffer.alloc(offset, 0x41), field, Buffer.from([0x7f, 0x00])]);
  const r = new Reader(host, offset, offset + field.length);
  try {
    return { value: r.utf8('topic name'), pos: r.pos - offset };
  } catch (err) {
    if (!(err instanceof ViolationSignal)) throw err;
    return { value: { reason: err.violation.reason, clause: err.violation.clause }, pos: -1 };
  }
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PIECES = ['devices/dev-1/telemetry', 'é', '€', '😀', '\u0001', '\u007f', '/', '+', '#', ' '];

/** Bytes of a field (two-byte length + content) drawn from ASCII, UTF-8, zeros and broken sequences. */
function randomField(rand: () => number): Buffer {
  const parts: Buffer[] = [];
  const count = Math.floor(rand() * 12);
  for (let i = 0; i < count; i++) {
    const x = rand();
    if (x < 0.5) parts.push(Buffer.from(PIECES[Math.floor(rand() * PIECES.length)] as string));
    else if (x < 0.6) parts.push(Buffer.from([0]));
    else if (x < 0.7)
      parts.push(Buffer.from([0x80 + Math.floor(rand() * 0x80)])); // a lone high byte
    else if (x < 0.75)
      parts.push(Buffer.from([0xed, 0xa0, 0x80])); // an encoded surrogate
    else if (x < 0.8)
      parts.push(Buffer.from([0xc0, 0xaf])); // an overlong encoding
    else parts.push(Buffer.from([Math.floor(rand() * 256)]));
  }
  const content = Buffer.concat(parts);
  const head = Buffer.alloc(2);
  // Mostly the true length; sometimes one that runs past the end.
  head.writeUInt16BE(rand() < 0.9 ? content.length : content.length + 1 + Math.floor(rand() * 4));
  return Buffer.concat([head, content]);
}

describe('protocol reader', () => {
  it('reader - UTF-8 strings: the ASCII fast path gives the same string or violation as the full checks on random bytes', () => {
    const rand = rng(7);
    let ascii = 0;
    for (let i = 0; i < 50_000; i++) {
      const field = randomField(rand);
      const expected = plainUtf8(field);
      const got = readerUtf8(field, Math.floor(rand() * 5));
      expect(got.value, field.toString('hex')).toEqual(expected);
      if (typeof expected === 'string') {
        expect(got.pos).toBe(field.length);
        if ([...expected].every((ch) => ch.charCodeAt(0) >= 1 && ch.charCodeAt(0) <= 0x7f)) ascii++;
      }
    }
    // Both paths were exercised.
    expect(ascii).toBeGreaterThan(1000);
  });

  it('reader - UTF-8 strings: edge cases match the full checks', () => {
    const cases = [
      Buffer.from([0, 0]),
      Buffer.from([0, 1, 0]),
      Buffer.from([0, 1, 0x7f]),
      Buffer.from([0, 1, 0x80]),
      Buffer.from([0, 2, 0x41, 0]),
      Buffer.from([0, 2, 0xc3, 0xa9]),
      Buffer.from([0, 3, 0x41, 0xc3, 0xa9]),
      Buffer.from([0, 3, 0x41, 0x00, 0xff]),
      Buffer.from([0, 5, 0x41]),
    ];
    for (const field of cases) {
      expect(readerUtf8(field, 3).value, field.toString('hex')).toEqual(plainUtf8(field));
    }
  });
});
