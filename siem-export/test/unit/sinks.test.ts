// The pure parts of the sinks: framing, datagram truncation, pacing, HTTP bodies, Kafka messages and
// the syslog header the encoder puts around CEF.
import { describe, expect, it } from 'vitest';
import {
  fitDatagram,
  frameStream,
  hecBody,
  kafkaMessages,
  makeEncoder,
  sinkConfigSchema,
  TRUNCATION_MARK,
  webhookBody,
} from '../../src/index.ts';
import type { Encoded } from '../../src/index.ts';
import { pacer } from '../../src/sinks/syslog-udp.ts';
import { bruteForce, incident } from '../fixtures.ts';
import { parse5424, parseCef } from '../parsers.ts';

const enc = (text: string, json = false): Encoded => ({
  id: 'id',
  ts: 1_700_000_000_123,
  key: 'k',
  text,
  json,
});

describe('syslog framing', () => {
  it('octet counting - each message is prefixed by its length in bytes, not characters (RFC 6587 3.4.1)', () => {
    expect(frameStream([enc('ab'), enc('ü🚨')], 'octet-counting')).toBe('2 ab6 ü🚨');
  });

  it('newline framing - each message ends with LF (RFC 6587 3.4.2)', () => {
    expect(frameStream([enc('a'), enc('b')], 'newline')).toBe('a\nb\n');
  });

  it('udp - a message over the limit is cut at a character boundary and ends in the truncation mark', () => {
    for (const max of [1472, 2048, 8192]) {
      const long = 'é'.repeat(max);
      const { text, cut } = fitDatagram(long, max);
      expect(cut).toBe(true);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(max);
      expect(text.endsWith(TRUNCATION_MARK)).toBe(true);
      expect(text).not.toContain('\ufffd');
    }
    expect(fitDatagram('short', 1472)).toEqual({ text: 'short', cut: false });
  });

  it('udp - a cut never leaves half a CEF escape before the mark', () => {
    const text = 'CEF:0|a|b|c|d|e|5|msg=' + 'x'.repeat(500) + '\\\\'.repeat(400);
    for (let max = 480; max < 1200; max += 7) {
      const out = fitDatagram(text, max).text;
      const body = out.slice(0, -TRUNCATION_MARK.length);
      expect((/\\+$/.exec(body)?.[0].length ?? 0) % 2).toBe(0);
    }
  });

  it('udp pacing - calls are spaced to the configured rate after a short burst', async () => {
    let t = 0;
    const pace = pacer(1000, () => t);
    const waits: number[] = [];
    const orig = globalThis.setTimeout;
    globalThis.setTimeout = ((fn: () => void, ms: number) => {
      waits.push(ms);
      t += ms;
      fn();
      return 0;
    }) as unknown as typeof setTimeout;
    try {
      for (let i = 0; i < 40; i++) await pace();
    } finally {
      globalThis.setTimeout = orig;
    }
    expect(t).toBeGreaterThanOrEqual(23);
    expect(t).toBeLessThanOrEqual(41);
  });
});

describe('HTTP bodies and Kafka messages', () => {
  it('webhook - JSON formats are embedded as objects, text formats as strings, in one array', () => {
    const body = webhookBody([enc('{"a":1}', true), enc('CEF:0|x|"y"')]);
    expect(JSON.parse(body)).toEqual([{ a: 1 }, 'CEF:0|x|"y"']);
  });

  it('splunk hec - one event object per record with time in seconds and the metadata fields', () => {
    const body = hecBody([enc('{"a":1}', true), enc('line')], {
      host: 'h',
      source: 's',
      sourcetype: 'st',
      index: 'i',
    });
    const parts = body.split(/(?<=\})(?=\{"time")/).map((p) => JSON.parse(p) as Record<string, unknown>);
    expect(parts).toEqual([
      { time: 1_700_000_000.123, host: 'h', source: 's', sourcetype: 'st', index: 'i', event: { a: 1 } },
      { time: 1_700_000_000.123, host: 'h', source: 's', sourcetype: 'st', index: 'i', event: 'line' },
    ]);
  });

  it('kafka - the identity is the key, the record the value, the record time the timestamp', () => {
    expect(kafkaMessages([enc('v')])).toEqual([{ key: 'k', value: 'v', timestamp: '1700000000123' }]);
  });
});

describe('encoder', () => {
  it('syslog sinks put an RFC 5424 header without BOM around CEF, and the CEF still parses', () => {
    const cfg = sinkConfigSchema.parse({
      name: 's',
      kind: 'syslog-tcp',
      format: 'cef',
      formatOptions: { hostname: 'h' },
    });
    const e = makeEncoder(cfg)({ type: 'event', value: bruteForce });
    expect(e.text.startsWith('<132>1 2026-11-03T07:05:09.042Z edge-1 sentinel ')).toBe(true);
    const cef = e.text.slice(e.text.indexOf(' - CEF:0|') + 3);
    expect(parseCef(cef).ext.get('externalId')).toBe(bruteForce.id);
    expect(e.key).toBe('meter-0042');
  });

  it('rfc5424 over syslog is not wrapped twice, and incidents are keyed by their identity', () => {
    const cfg = sinkConfigSchema.parse({ name: 's', kind: 'syslog-udp', format: 'rfc5424' });
    const e = makeEncoder(cfg)({ type: 'incident', value: incident });
    expect(parse5424(e.text).params.get('incidentId')).toBe(incident.incidentId);
    expect(e.key).toBe('192.0.2.10');
  });

  it('the rfc3164 header option gives a BSD syslog line around CEF', () => {
    const cfg = sinkConfigSchema.parse({ name: 's', kind: 'syslog-udp', format: 'cef', header: 'rfc3164' });
    const e = makeEncoder(cfg)({ type: 'event', value: bruteForce });
    expect(e.text).toMatch(/^<132>Nov {2}3 07:05:09 edge-1 sentinel\[\d+\]: CEF:0\|/);
  });
});
