// HpubWriter writes publish frames through nats.js internals. These tests run nats.js's own classes
// offline (a NatsConnectionImpl with a ProtocolHandler that never dials) and compare every byte the
// writer hands over with what nc.publish() with a Nats-Msg-Id header queues for the same publish. If a
// nats.js upgrade changes the internals or the frame format, they fail.
import { headers as natsHeaders } from '@nats-io/nats-core';
import type { NatsConnection } from '@nats-io/nats-core';
import { NatsConnectionImpl, ProtocolHandler } from '@nats-io/nats-core/internal';
import { describe, expect, it } from 'vitest';
import { HpubWriter, natsInternalsUsable } from '@sentinel/ingest';

interface Offline {
  nc: NatsConnection;
  proto: ProtocolHandler;
}

const MAX_PAYLOAD = 1024 * 1024;

/** A real nats.js connection object that is not connected: frames stay in its outbound buffer. */
function offline(maxPayload = MAX_PAYLOAD): Offline {
  const Impl = NatsConnectionImpl as unknown as new (opts: object) => NatsConnectionImpl;
  const nc = new Impl({ servers: '127.0.0.1:4222' });
  const proto = new ProtocolHandler(nc.options, nc);
  proto.info = { headers: true, max_payload: maxPayload } as ProtocolHandler['info'];
  nc.protocol = proto;
  return { nc: nc as unknown as NatsConnection, proto };
}

function take(o: Offline): Buffer {
  return Buffer.from(o.proto.outbound.drain());
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const REPLY = '_INBOX.ABCDEFGHIJKLMNOPQRSTUV.';

interface Pub {
  /** the server's max_payload */
  max?: number;
  subject: string;
  seq: number;
  id: string;
  data: string;
}

type Outcome = { bytes: Buffer; outMsgs: number; outBytes: number } | { error: string };

function same(got: Outcome, want: Outcome): boolean {
  if ('error' in want || 'error' in got) return 'error' in want && 'error' in got && got.error === want.error;
  return got.bytes.equals(want.bytes) && got.outMsgs === want.outMsgs && got.outBytes === want.outBytes;
}

function show(o: Outcome): string {
  return 'error' in o
    ? o.error
    : `${o.outMsgs} msgs ${o.outBytes} B: ${o.bytes.subarray(0, 160).toString('latin1')}`;
}

/** What the publisher did before HpubWriter: nc.publish() with a headers object. */
function viaPublic(p: Pub): Outcome {
  const o = offline(p.max);
  try {
    const h = natsHeaders();
    h.set('Nats-Msg-Id', p.id);
    o.nc.publish(p.subject, p.data, { reply: `${REPLY}${p.seq}`, headers: h });
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
  return { bytes: take(o), outMsgs: o.proto.outMsgs, outBytes: o.proto.outBytes };
}

function viaWriter(p: Pub): Outcome {
  const o = offline(p.max);
  const w = new HpubWriter(o.nc, REPLY);
  expect(w.fast).toBe(true);
  try {
    w.publish(p.subject, p.seq, p.id, p.data);
    w.commit();
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
  return { bytes: take(o), outMsgs: o.proto.outMsgs, outBytes: o.proto.outBytes };
}

const CHARS = [
  'a',
  'Z',
  '0',
  '"',
  '\\',
  ' ',
  '\t',
  '\r',
  '\n',
  '{',
  '}',
  ':',
  'é',
  'ß',
  '€',
  '中',
  '😀',
  '\u0000',
  '\u007f',
  '\u00ff',
  '\ud800', // a lone surrogate: both encoders write U+FFFD
  '\udfff',
];

function randomText(rnd: () => number, max: number): string {
  const n = Math.floor(rnd() * max);
  let s = '';
  for (let i = 0; i < n; i++) {
    s +=
      rnd() < 0.7
        ? String.fromCharCode(32 + Math.floor(rnd() * 95))
        : CHARS[Math.floor(rnd() * CHARS.length)];
  }
  return s;
}

const ULID = '01JDXKZQ8M4T6V2R9B3C5N7P0W';

function randomPub(rnd: () => number): Pub {
  const subjects = [
    'sentinel.events.auth',
    'sentinel.events.publish_summary',
    'sentinel.incidents',
    'a',
    'bad subject',
    '',
    'tab\there',
    'sentinel.é',
  ];
  const r = rnd();
  const id =
    r < 0.5
      ? ULID.slice(0, 1 + Math.floor(rnd() * ULID.length))
      : r < 0.6
        ? ` ${ULID} `
        : r < 0.7
          ? `${ULID}\r\nX-Evil: 1`
          : r < 0.75
            ? ''
            : randomText(rnd, 40);
  const d = rnd();
  const data =
    d < 0.4
      ? JSON.stringify({ id, text: randomText(rnd, 300) })
      : d < 0.8
        ? randomText(rnd, 600)
        : d < 0.9
          ? 'x'.repeat(Math.floor(rnd() * 200_000))
          : 'y'.repeat(MAX_PAYLOAD - 40 + Math.floor(rnd() * 80));
  const seqs = [0, 1, 9, 10, 99, 100, 4095, 65_536, 2 ** 31, Number.MAX_SAFE_INTEGER];
  const seq = rnd() < 0.5 ? (seqs[Math.floor(rnd() * seqs.length)] as number) : Math.floor(rnd() * 1e9);
  const subject = subjects[Math.floor(rnd() * subjects.length)] as string;
  // now and then a small max_payload, so that frames near it are refused or taken by the fast path
  if (rnd() < 0.2) return { max: 300 + Math.floor(rnd() * 400), subject, seq, id, data: data.slice(0, 1000) };
  return { subject, seq, id, data };
}

describe('HpubWriter', () => {
  it('uses the nats.js internals it was written against (fails when nats.js changes them)', () => {
    const o = offline();
    expect(natsInternalsUsable(o.nc)).toBe(o.proto);
    expect(new HpubWriter(o.nc, REPLY).fast).toBe(true);
    expect(typeof ProtocolHandler.prototype.sendCommand).toBe('function');
    expect(typeof ProtocolHandler.prototype.publish).toBe('function');
  });

  it('queues exactly the bytes and counters nc.publish() with a Nats-Msg-Id header queues (random publishes)', () => {
    const rnd = seeded(42);
    let fastHits = 0;
    for (let i = 0; i < 2000; i++) {
      const p = randomPub(rnd);
      const want = viaPublic(p);
      const got = viaWriter(p);
      if (!same(got, want)) {
        expect(show(got), JSON.stringify({ ...p, data: p.data.slice(0, 80) })).toBe(show(want));
        expect.fail(
          `frames differ after the first 160 bytes: ${JSON.stringify({ ...p, data: p.data.slice(0, 80) })}`,
        );
      }
      if ('bytes' in want && /^[\x21-\x7e]+$/.test(p.id) && /^[\x21-\x7e]+$/.test(p.subject)) fastHits++;
    }
    expect(fastHits).toBeGreaterThan(300);
  });

  it('takes a frame exactly at max_payload and refuses one byte over it, as nc.publish() does', () => {
    const max = 500;
    const hlen = 27 + ULID.length;
    for (const fill of ['a', 'é', '€', '😀']) {
      const unit = Buffer.byteLength(fill);
      for (let bytes = max - hlen - 8; bytes <= max - hlen + 8; bytes++) {
        const data = fill.repeat(Math.floor(bytes / unit)) + 'b'.repeat(bytes % unit);
        const p: Pub = { max, subject: 'sentinel.events.auth', seq: 3, id: ULID, data };
        const want = viaPublic(p);
        expect('error' in want).toBe(hlen + bytes > max);
        expect(same(viaWriter(p), want), `${fill} ${bytes}`).toBe(true);
      }
    }
  });

  it('gives nats.js one byte stream equal to nc.publish() one by one, across batches and new slabs', () => {
    const rnd = seeded(7);
    const pubs: Pub[] = [];
    for (let i = 0; i < 3000; i++) {
      const id = i % 97 === 0 ? `has space ${i}` : `${ULID.slice(0, 20)}${i}`;
      const data = JSON.stringify({ id, note: randomText(rnd, 700) });
      pubs.push({
        subject: i % 5 === 0 ? 'sentinel.incidents' : 'sentinel.events.auth',
        seq: i + 1,
        id,
        data,
      });
    }
    const ref = offline();
    for (const p of pubs) {
      const h = natsHeaders();
      h.set('Nats-Msg-Id', p.id);
      ref.nc.publish(p.subject, p.data, { reply: `${REPLY}${p.seq}`, headers: h });
    }
    const o = offline();
    const w = new HpubWriter(o.nc, REPLY);
    for (let i = 0; i < pubs.length; i++) {
      const p = pubs[i] as Pub;
      w.publish(p.subject, p.seq, p.id, p.data);
      if (i % 333 === 0) w.commit();
    }
    w.commit();
    expect(take(o).equals(take(ref))).toBe(true);
    expect(o.proto.outMsgs).toBe(ref.proto.outMsgs);
    expect(o.proto.outBytes).toBe(ref.proto.outBytes);
  });

  it('hands frames over by itself in a microtask when nobody commits', async () => {
    const o = offline();
    const w = new HpubWriter(o.nc, REPLY);
    w.publish('sentinel.events.auth', 1, ULID, '{}');
    expect(o.proto.outbound.size()).toBe(0);
    await Promise.resolve();
    expect(take(o).toString('latin1')).toBe(
      `HPUB sentinel.events.auth ${REPLY}1 ${27 + ULID.length} ${29 + ULID.length}\r\n` +
        `NATS/1.0\r\nNats-Msg-Id: ${ULID}\r\n\r\n{}\r\n`,
    );
  });

  it('throws what nc.publish() throws on a closed connection, keeping earlier frames in order', () => {
    const o = offline();
    const w = new HpubWriter(o.nc, REPLY);
    w.publish('sentinel.events.auth', 1, ULID, '{"a":1}');
    (o.proto as unknown as { _closed: boolean })._closed = true;
    expect(() => w.publish('sentinel.events.auth', 2, ULID, '{"a":2}')).toThrow(/closed/i);
    expect(take(o).toString('latin1')).toContain('{"a":1}');
  });

  it('takes the public path when told not to use the internals, with the same bytes', () => {
    const p: Pub = { subject: 'sentinel.events.auth', seq: 12, id: ULID, data: '{"a":"€"}' };
    const o = offline();
    const w = new HpubWriter(o.nc, REPLY, false);
    expect(w.fast).toBe(false);
    w.publish(p.subject, p.seq, p.id, p.data);
    const want = viaPublic(p);
    expect('bytes' in want && take(o).equals(want.bytes)).toBe(true);
  });

  it('takes the public path when the internals are not there, with the same bytes', () => {
    const o = offline();
    const frames: Buffer[] = [];
    const nc = {
      isClosed: () => false,
      publish: (s: string, d: string, opts: object) => {
        o.nc.publish(s, d, opts);
        frames.push(take(o));
      },
    } as unknown as NatsConnection;
    expect(natsInternalsUsable(nc)).toBeUndefined();
    const w = new HpubWriter(nc, REPLY);
    expect(w.fast).toBe(false);
    w.publish('sentinel.events.auth', 5, ULID, '{"é":1}');
    const want = viaPublic({ subject: 'sentinel.events.auth', seq: 5, id: ULID, data: '{"é":1}' });
    expect('bytes' in want && frames[0]?.equals(want.bytes)).toBe(true);
  });
});
