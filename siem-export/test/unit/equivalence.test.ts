// The per-record fast paths against the implementations they replaced (test/reference/), byte for byte:
// the CEF formatter (plain string building, per-options header prefix and labels), the RFC 5424 header
// (timestamp text per second, APP-NAME and PROCID once per sink), the whole encoder for every syslog
// framing of every format, and the framing of a batch into one buffer. Inputs: the golden records, the
// benchmark's kind of records, and seeded hostile records and options (pipes, backslashes, equals signs,
// line breaks, controls, non-ASCII, lone surrogates, values longer than the cut).
import { describe, expect, it } from 'vitest';
import { makeEvent, REASONS } from '@sentinel/ingest';
import type { DecisionEventV1, ReasonCode } from '@sentinel/ingest';
import type { Encoded, ExportRecord, FormatOptions, SinkConfig } from '../../src/index.ts';
import {
  DEFAULT_FORMAT_OPTIONS,
  FORMAT_KINDS,
  formatters,
  frameStream,
  frameStreamBytes,
  StreamFramer,
  header5424,
  makeEncoder,
  sinkConfigSchema,
} from '../../src/index.ts';
import { isoTimestamp } from '../../src/format/rfc5424.ts';
import { goldenOptions, goldenRecords } from '../fixtures.ts';
import { hostileEvent, hostileIncident, hostileString, rng } from '../hostile.ts';
import { formatCef as referenceCef } from '../reference/cef.ts';
import { makeEncoder as referenceEncoder } from '../reference/encode.ts';
import { header5424 as referenceHeader5424 } from '../reference/rfc5424.ts';

const RUNS = 400;

/** The benchmark's records: five reason codes, many clients, addresses and topics. */
function benchEvent(i: number): DecisionEventV1 {
  const reasons = Object.keys(REASONS) as ReasonCode[];
  return makeEvent({
    node: `edge-${i % 3}`,
    reason: reasons[i % reasons.length] as ReasonCode,
    subject: {
      clientId: `dev-${i % 5000}`,
      username: `user-${i % 300}`,
      ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      port: 1024 + (i % 60000),
    },
    mqtt: { packetType: 'publish', topic: `plant/line${i % 12}/dev-${i % 5000}/telemetry`, qos: 1 },
    message: `decision ${i}`,
  });
}

/** Hostile options: every string a sink could be configured with, and cuts short enough to bite. */
function hostileOptions(r: () => number): FormatOptions {
  return {
    ...DEFAULT_FORMAT_OPTIONS,
    vendor: hostileString(r),
    product: hostileString(r),
    version: hostileString(r, 3),
    hostname: hostileString(r),
    appName: r() < 0.5 ? 'sentinel' : hostileString(r),
    procId: r() < 0.5 ? String(Math.floor(r() * 99999)) : hostileString(r, 2),
    facility: Math.floor(r() * 24),
    maxValueLength: r() < 0.3 ? 1 + Math.floor(r() * 40) : 1023,
  };
}

function cases(seed: number): { rec: ExportRecord; o: FormatOptions }[] {
  const r = rng(seed);
  const out: { rec: ExportRecord; o: FormatOptions }[] = [];
  for (const rec of goldenRecords) out.push({ rec, o: goldenOptions });
  for (let i = 0; i < RUNS; i++) {
    // Runs of records sharing options, as a sink has them, with options changing between runs.
    const o = i % 4 === 0 ? goldenOptions : hostileOptions(r);
    out.push({ rec: { type: 'event', value: benchEvent(i) }, o });
    out.push({ rec: { type: 'event', value: hostileEvent(r, i) }, o });
    out.push({ rec: { type: 'incident', value: hostileIncident(r, i) }, o });
  }
  return out;
}

function syslogConfigs(): SinkConfig[] {
  const out: SinkConfig[] = [];
  for (const format of FORMAT_KINDS) {
    for (const header of ['rfc5424', 'rfc3164', 'none'] as const) {
      out.push(sinkConfigSchema.parse({ name: 's', kind: 'syslog-tcp', format, header }));
    }
    out.push(sinkConfigSchema.parse({ name: 'f', kind: 'file', format, path: 'x.ndjson' }));
  }
  return out;
}

describe('fast paths give exactly the bytes of the implementations they replaced', () => {
  it('CEF - golden, benchmark and hostile records under hostile options format identically', () => {
    for (const { rec, o } of cases(11)) expect(formatters.cef(rec, o)).toBe(referenceCef(rec, o));
  });

  it('CEF - alternating options between calls never leaks one sink’s header into another’s', () => {
    const r = rng(12);
    const opts = [goldenOptions, hostileOptions(r), hostileOptions(r)];
    for (let i = 0; i < 300; i++) {
      const o = opts[i % opts.length] as FormatOptions;
      const rec: ExportRecord = { type: 'event', value: hostileEvent(r, i) };
      expect(formatters.cef(rec, o)).toBe(referenceCef(rec, o));
    }
  });

  it('RFC 5424 header - timestamps across the Date range, the same second repeated and hostile fields', () => {
    const r = rng(13);
    const times = [0, 999, 1000, 1_700_000_000_000, 253_402_300_799_999, 253_402_300_800_000, 8.64e15];
    for (let i = 0; i < 2000; i++) {
      const base = Math.floor(r() * 8.64e15);
      times.push(base, base + 1, base - (base % 1000), Math.floor(r() * 4e12));
    }
    for (const ts of times) {
      const h = {
        facility: Math.floor(r() * 30) - 3,
        severity: Math.floor(r() * 8),
        ts,
        hostname: r() < 0.5 ? 'edge-1' : hostileString(r),
        appName: r() < 0.7 ? 'sentinel' : hostileString(r),
        procId: r() < 0.7 ? '4242' : hostileString(r, 2),
        msgId: r() < 0.5 ? 'auth.bad_credentials' : hostileString(r),
      };
      expect(header5424(h)).toBe(referenceHeader5424(h));
      expect(isoTimestamp(ts)).toBe(new Date(ts).toISOString());
    }
  });

  it('RFC 5424 header - times outside the cache (fractions, negatives, past the Date range) behave like Date', () => {
    for (const ts of [1.5, 999.999, -1, -1001, 8.64e15 + 1, 9e15, Number.NaN, Infinity]) {
      let expected: string | Error;
      try {
        expected = new Date(ts).toISOString();
      } catch (err) {
        expected = err as Error;
      }
      if (expected instanceof Error) expect(() => isoTimestamp(ts)).toThrow(RangeError);
      else expect(isoTimestamp(ts)).toBe(expected);
    }
  });

  it('encoder - every format under every syslog header and as file lines encodes identically', () => {
    const all = cases(14);
    for (const cfg of syslogConfigs()) {
      const fast = new Map<FormatOptions, (rec: ExportRecord) => Encoded>();
      const slow = new Map<FormatOptions, (rec: ExportRecord) => Encoded>();
      for (const { rec, o } of all) {
        if (!fast.has(o)) {
          fast.set(o, makeEncoder(cfg, o));
          slow.set(o, referenceEncoder(cfg, o));
        }
        const a = (fast.get(o) as (rec: ExportRecord) => Encoded)(rec);
        const b = (slow.get(o) as (rec: ExportRecord) => Encoded)(rec);
        expect(a).toEqual(b);
      }
    }
  });

  it('framing - one buffer per batch holds exactly the bytes of the framed string, both framings', () => {
    const r = rng(15);
    const pieces = ['a', 'é', '日', '🚨', '\ud800', '\udc00', '\n', ' ', '0'];
    for (let round = 0; round < 60; round++) {
      const batch: Encoded[] = [];
      for (let i = 0; i < 40; i++) {
        // Lengths around the digit boundaries (9/10, 99/100, 999/1000) where multi-byte characters
        // give the byte count more digits than the character count.
        const n = [0, 1, 8, 9, 10, 33, 98, 99, 100, 333, 998, 999, 1000, 4000][Math.floor(r() * 14)] ?? 0;
        let text = '';
        for (let k = 0; k < n; k++) text += r() < 0.8 ? 'x' : (pieces[Math.floor(r() * pieces.length)] ?? '');
        batch.push({ id: String(i), ts: 0, key: '', text, json: false });
      }
      for (const framing of ['octet-counting', 'newline'] as const) {
        const expected = Buffer.from(frameStream(batch, framing), 'utf8');
        expect(frameStreamBytes(batch, framing).equals(expected)).toBe(true);
      }
    }
  });

  it('framing - one framer reused batch after batch, from a tiny buffer, gives each batch exactly its bytes', () => {
    const r = rng(16);
    for (const framing of ['octet-counting', 'newline'] as const) {
      const framer = new StreamFramer(framing, 8);
      for (let round = 0; round < 50; round++) {
        const batch: Encoded[] = [];
        const n = Math.floor(r() * 30);
        for (let i = 0; i < n; i++) {
          batch.push({ id: '', ts: 0, key: '', text: hostileString(r), json: false });
          framer.add((batch[i] as Encoded).text);
        }
        const expected = Buffer.from(frameStream(batch, framing), 'utf8');
        expect(framer.take().equals(expected)).toBe(true);
      }
    }
  });

  it('framing - a batch larger than the reusable buffer grows it and still frames exactly', () => {
    const big = 'é'.repeat(700_000);
    const batch: Encoded[] = [big, 'tail', big].map((text) => ({
      id: '',
      ts: 0,
      key: '',
      text,
      json: false,
    }));
    const expected = Buffer.from(frameStream(batch, 'octet-counting'), 'utf8');
    expect(frameStreamBytes(batch, 'octet-counting').equals(expected)).toBe(true);
    const small: Encoded[] = [{ id: '', ts: 0, key: '', text: 'ok', json: false }];
    expect(frameStreamBytes(small, 'octet-counting').toString()).toBe('2 ok');
  });
});
