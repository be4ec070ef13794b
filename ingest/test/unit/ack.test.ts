// The byte scan for plain JetStream acknowledgements must never disagree with the full JSON reading.
import { describe, expect, it } from 'vitest';
import { AckReader, readAck } from '@sentinel/ingest';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);

/** The fast answer, if any, must be exactly the full reading's answer. */
function agrees(reader: AckReader, data: Uint8Array): boolean {
  const fast = reader.fastStream(data);
  if (fast === undefined) return true;
  const full = readAck(data);
  return full.ok && full.stream === fast && !full.duplicate;
}

const NAMES = ['SENTINEL_EVENTS', 'SENTINEL_INCIDENTS', 'S', 'a-b_c-9', 'X'.repeat(255)];

function plainAck(rnd: () => number): string {
  const name = NAMES[Math.floor(rnd() * NAMES.length)] as string;
  const seq = rnd() < 0.1 ? 0 : Math.floor(rnd() * 2 ** 53);
  // nats-server 2.9 writes a space before "seq"; newer servers may not
  return `{"stream":"${name}",${rnd() < 0.5 ? ' ' : ''}"seq":${seq}}`;
}

const HOSTILE = [
  '',
  '{}',
  '{"stream":"","seq":1}',
  '{"stream":"S","seq":}',
  '{"stream":"S","seq":01}',
  '{"stream":"S","seq":-1}',
  '{"stream":"S","seq":1.5}',
  '{"stream":"S","seq":1e3}',
  '{"stream":"S","seq":"1"}',
  '{"stream":"S","seq":1 }',
  '{"stream":"S","seq":1}\n',
  '{"stream":"S","seq":1}}',
  '{"stream":"S","seq":1,"duplicate":true}',
  '{"stream":"S","seq":1,"stream":"T"}',
  '{"stream":"S\\u0041","seq":1}',
  '{"stream":"S\\"","seq":1}',
  '{"stream":"S.T","seq":1}',
  '{"stream":"S T","seq":1}',
  '{"stream":"é","seq":1}',
  '{"stream" :"S","seq":1}',
  '{"stream":"S",  "seq":1}',
  '{"stream":"S",\t"seq":1}',
  '{"stream":"S" ,"seq":1}',
  '{"stream":"S", "seq": 1}',
  '{"stream":"S", "seq":1,"duplicate": true}',
  '{"stream":"S","domain":"hub","seq":1}',
  '{"error":{"code":503,"err_code":10077,"description":"no stream"}}',
  '{"stream":"S","seq":1,"error":{"code":400}}',
  '{"stream":"S","seq":99999999999999999999999}',
  '{"stream":"S","seq":123456789012345678901}',
  '["stream","S"]',
  'null',
  '{"stream":"S","seq":1',
  '{"stream":"S",',
  '{"stream":"SENTINEL_EVENTS","seq":12',
];

describe('JetStream publish acknowledgements', () => {
  it('the byte scan reads every plain acknowledgement, with the same stream as the JSON reading', () => {
    const rnd = seeded(3);
    const reader = new AckReader();
    for (let i = 0; i < 20_000; i++) {
      const text = plainAck(rnd);
      const fast = reader.fastStream(bytes(text));
      expect(fast, text).toBeDefined();
      expect(readAck(bytes(text))).toEqual({ ok: true, stream: fast, duplicate: false });
    }
  });

  it('the byte scan never answers where the JSON reading disagrees (hostile inputs)', () => {
    const reader = new AckReader();
    for (const text of HOSTILE) expect(agrees(reader, bytes(text)), text).toBe(true);
    // the shapes it must leave to the full reading
    for (const text of HOSTILE) {
      if (text.includes('"duplicate"') || text.includes('error')) {
        expect(reader.fastStream(bytes(text)), text).toBeUndefined();
      }
    }
  });

  it('the byte scan never answers where the JSON reading disagrees (random mutations of acknowledgements)', () => {
    const rnd = seeded(11);
    const reader = new AckReader();
    const alphabet = bytes(
      '{}[]":,.-_+ 0123456789eE\\ "streamseqduplicatetrueerrorSENTINEL_EVENTS\n\t\u00e9',
    );
    let answered = 0;
    for (let i = 0; i < 60_000; i++) {
      const b = Array.from(bytes(plainAck(rnd)));
      const edits = 1 + Math.floor(rnd() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rnd() * (b.length + 1));
        const r = rnd();
        const c = alphabet[Math.floor(rnd() * alphabet.length)] as number;
        if (r < 0.3) b.splice(at, 1);
        else if (r < 0.6) b.splice(at, 0, c);
        else if (r < 0.9) b[Math.min(at, b.length - 1)] = c;
        else b.splice(at); // truncated
      }
      const data = Uint8Array.from(b);
      if (!agrees(reader, data))
        expect.fail(`disagree on ${JSON.stringify(Buffer.from(data).toString('latin1'))}`);
      if (reader.fastStream(data) !== undefined) answered++;
    }
    expect(answered).toBeGreaterThan(1000); // mutations that keep the plain shape (a changed digit or name)
  });

  it('the byte scan never answers where the JSON reading disagrees (random bytes)', () => {
    const rnd = seeded(5);
    const reader = new AckReader();
    for (let i = 0; i < 20_000; i++) {
      const n = Math.floor(rnd() * 60);
      const data = new Uint8Array(n);
      for (let j = 0; j < n; j++) data[j] = Math.floor(rnd() * 256);
      if (rnd() < 0.5) data.set(bytes('{"stream":"').subarray(0, Math.min(11, n)));
      expect(agrees(reader, data)).toBe(true);
    }
  });

  it('keeps answering the right stream when acknowledgements of several streams interleave', () => {
    const reader = new AckReader();
    const order = ['A', 'B', 'A', 'SENTINEL_EVENTS', 'SENTINEL_EVENTZ', 'SENTINEL_EVENTS', 'A'];
    for (const [i, name] of order.entries()) {
      expect(reader.fastStream(bytes(`{"stream":"${name}", "seq":${i}}`))).toBe(name);
    }
  });

  it('the full reading names what failed: duplicates, errors, no responders, and non-JSON', () => {
    expect(readAck(bytes('{"stream":"S", "seq":4,"duplicate": true}'))).toEqual({
      ok: true,
      stream: 'S',
      duplicate: true,
    });
    const err =
      '{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"},"stream":"S","seq":0}';
    expect(readAck(bytes(err))).toEqual({ ok: false, reason: err });
    expect(readAck(new Uint8Array(0), 503)).toEqual({ ok: false, reason: 'no_responders' });
    expect(readAck(new Uint8Array(0), 408)).toEqual({ ok: false, reason: 'status_408' });
    expect(readAck(new Uint8Array(0))).toEqual({ ok: false, reason: 'status_unknown' });
    expect(readAck(bytes('x'.repeat(500)))).toEqual({ ok: false, reason: 'x'.repeat(200) });
  });
});
