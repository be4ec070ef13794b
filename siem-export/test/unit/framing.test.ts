// Property tests: records full of hostile strings (pipes, backslashes, equals signs, CR/LF, brackets,
// quotes, NUL and other controls, non-ASCII, emoji, very long values) are formatted and parsed back
// with the test's own parsers. The framing never breaks: one line per record, the expected field count
// and key set, and every value comes back as it went in (controls aside, which become U+FFFD).
import { describe, expect, it } from 'vitest';
import type { DecisionEventV1, IncidentV1 } from '@sentinel/ingest';
import type { ExportRecord, FormatOptions } from '../../src/index.ts';
import { DEFAULT_FORMAT_OPTIONS, formatters, RFC3164_MAX_BYTES, severity010 } from '../../src/index.ts';
import { expectedText, hostileEvent, hostileIncident, hostileString, rng } from '../hostile.ts';
import { parse3164, parse5424, parseCef, parseLeef, parseQuotedPairs } from '../parsers.ts';

const RUNS = 250;
const wide: FormatOptions = { ...DEFAULT_FORMAT_OPTIONS, maxValueLength: 1_000_000 };

function cases(seed: number): { rec: ExportRecord; o: FormatOptions }[] {
  const r = rng(seed);
  const out: { rec: ExportRecord; o: FormatOptions }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const o = { ...wide, vendor: hostileString(r), product: hostileString(r), hostname: hostileString(r) };
    out.push({ rec: { type: 'event', value: hostileEvent(r, i) }, o });
    out.push({ rec: { type: 'incident', value: hostileIncident(r, i) }, o });
  }
  return out;
}

function expectOneLine(line: string): void {
  expect(line).not.toMatch(/[\r\n]/);
}

const keep = (s: string): string => expectedText(s, '\t\n\r');
const flat = (s: string): string => expectedText(s, '');

function eventCefKeys(ev: DecisionEventV1): string[] {
  const k = ['rt', 'src', 'spt', 'suser', 'act', 'outcome', 'cat', 'deviceExternalId', 'externalId'];
  k.push('cs1', 'cs1Label', 'cs2', 'cs2Label');
  if (ev.rule?.technique) k.push('cs3', 'cs3Label');
  if (ev.rule?.technique === 'T1110') k.push('cs4', 'cs4Label');
  k.push('cs6', 'cs6Label', 'cn1', 'cn1Label', 'msg');
  return k;
}

function incidentCefKeys(inc: IncidentV1): string[] {
  const k = ['rt'];
  if (inc.identity.scope === 'ip') k.push('src');
  if (inc.identity.scope === 'username') k.push('suser');
  k.push('act', 'cat', 'cnt', 'start', 'end', 'externalId');
  if (inc.identity.scope === 'client_id') k.push('cs1', 'cs1Label');
  if (inc.technique) k.push('cs3', 'cs3Label');
  if (inc.tactic) k.push('cs4', 'cs4Label');
  k.push('cs5', 'cs5Label', 'cs6', 'cs6Label', 'msg');
  return k;
}

describe('CEF framing', () => {
  it('CEF - hostile values keep 7 header fields, the expected keys and their exact values', () => {
    for (const { rec, o } of cases(1)) {
      const line = formatters.cef(rec, o);
      expectOneLine(line);
      const p = parseCef(line);
      expect(p.header[0]).toBe('CEF:0');
      expect(p.header[1]).toBe(keep(o.vendor));
      expect(p.header[2]).toBe(keep(o.product));
      expect(p.header[6]).toBe(String(severity010(rec.value.severity)));
      if (rec.type === 'event') {
        const ev = rec.value;
        expect(p.keys).toEqual(eventCefKeys(ev));
        expect(p.header[4]).toBe(keep(ev.reason));
        expect(p.ext.get('cs1')).toBe(keep(ev.subject.clientId ?? ''));
        expect(p.ext.get('cs2')).toBe(keep(ev.mqtt?.topic ?? ''));
        expect(p.ext.get('suser')).toBe(keep(ev.subject.username ?? ''));
        expect(p.ext.get('src')).toBe(keep(ev.subject.ip ?? ''));
        expect(p.ext.get('deviceExternalId')).toBe(keep(ev.node));
        expect(p.ext.get('msg')).toBe(keep(ev.message ?? ''));
      } else {
        const inc = rec.value;
        expect(p.keys).toEqual(incidentCefKeys(inc));
        expect(p.header[5]).toBe(keep(inc.title));
        expect(p.ext.get('cs5')).toBe(keep(inc.incidentId));
        if (inc.tactic) expect(p.ext.get('cs4')).toBe(keep(inc.tactic));
      }
    }
  });

  it('CEF - a value longer than maxValueLength is cut and marked, and the record still parses', () => {
    const r = rng(7);
    const ev = hostileEvent(r, 0);
    ev.message = '=|\\\n'.repeat(2000);
    const p = parseCef(formatters.cef({ type: 'event', value: ev }, DEFAULT_FORMAT_OPTIONS));
    const msg = p.ext.get('msg') ?? '';
    expect(Array.from(msg)).toHaveLength(DEFAULT_FORMAT_OPTIONS.maxValueLength);
    expect(msg.endsWith('…')).toBe(true);
    expect(ev.message.startsWith(msg.slice(0, -1))).toBe(true);
  });
});

describe('LEEF framing', () => {
  for (const delim of ['^', '\t', '|']) {
    it(`LEEF - with delimiter ${JSON.stringify(delim)} hostile values keep the header and every attribute`, () => {
      for (const { rec, o } of cases(2)) {
        const line = formatters.leef(rec, { ...o, leefDelimiter: delim });
        expectOneLine(line);
        const p = parseLeef(line);
        expect(p.header[0]).toBe('LEEF:2.0');
        expect(p.delimiter).toBe(delim);
        expect(p.header[1]).toBe(keep(o.vendor));
        expect(new Set(p.keys).size).toBe(p.keys.length);
        expect(p.attrs.get('sev')).toBe(String(severity010(rec.value.severity)));
        if (rec.type === 'event') {
          const ev = rec.value;
          expect(p.header[4]).toBe(keep(ev.reason));
          expect(p.attrs.get('clientId')).toBe(keep(ev.subject.clientId ?? ''));
          expect(p.attrs.get('topic')).toBe(keep(ev.mqtt?.topic ?? ''));
          expect(p.attrs.get('usrName')).toBe(keep(ev.subject.username ?? ''));
          expect(p.attrs.get('msg')).toBe(keep(ev.message ?? ''));
          expect(p.keys.slice(0, 4)).toEqual(['devTime', 'devTimeFormat', 'cat', 'sev']);
        } else {
          expect(p.attrs.get('incidentId')).toBe(keep(rec.value.incidentId));
        }
      }
    });
  }
});

describe('RFC 5424 framing', () => {
  it('RFC 5424 - hostile values keep the header limits, one SD-ELEMENT with exact PARAM-VALUEs, BOM and MSG', () => {
    for (const { rec, o } of cases(3)) {
      const line = formatters.rfc5424(rec, { ...o, sdId: hostileString(rng(rec.value.ts)) || 'x' });
      expectOneLine(line);
      const p = parse5424(line);
      expect(p.pri % 8).toBeLessThanOrEqual(7);
      expect(Math.floor(p.pri / 8)).toBe(o.facility);
      expect(p.timestamp).toBe(new Date(rec.value.ts).toISOString());
      expect(p.sdId.length).toBeLessThanOrEqual(32);
      expect(p.params.get('id')).toBe(rec.value.id);
      if (rec.type === 'event') {
        const ev = rec.value;
        expect(p.params.get('clientId')).toBe(flat(ev.subject.clientId ?? ''));
        expect(p.params.get('topic')).toBe(flat(ev.mqtt?.topic ?? ''));
        expect(p.params.get('user')).toBe(flat(ev.subject.username ?? ''));
        expect(p.params.get('node')).toBe(flat(ev.node));
        expect(p.msg).toBe(flat(ev.message ?? ''));
      } else {
        expect(p.params.get('incidentId')).toBe(flat(rec.value.incidentId));
        expect(p.msg).toBe(flat(rec.value.title));
      }
    }
  });
});

describe('RFC 3164 framing', () => {
  it('RFC 3164 - hostile values stay within 1024 bytes on one line and round-trip when not cut', () => {
    let whole = 0;
    for (const { rec, o } of cases(4)) {
      const line = formatters.rfc3164(rec, o);
      expectOneLine(line);
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(RFC3164_MAX_BYTES);
      const p = parse3164(line);
      expect(p.pri).toBeLessThan(192);
      if (Buffer.byteLength(line) >= RFC3164_MAX_BYTES - 3) {
        expect(line.endsWith('…')).toBe(true);
        continue;
      }
      whole++;
      const pairs = parseQuotedPairs(p.msg);
      expect(pairs.get('id')).toBe(rec.value.id);
      if (rec.type === 'event') {
        expect(pairs.get('clientId')).toBe(flat(rec.value.subject.clientId ?? ''));
        expect(pairs.get('msg')).toBe(flat(rec.value.message ?? ''));
      } else {
        expect(pairs.get('msg')).toBe(flat(rec.value.title));
      }
    }
    expect(whole).toBeGreaterThan(RUNS / 4);
  });
});

describe('JSON and OCSF framing', () => {
  it('JSON - each record is one line that parses back to the record unchanged', () => {
    for (const { rec, o } of cases(5)) {
      const line = formatters.json(rec, o);
      expectOneLine(line);
      expect(JSON.parse(line)).toEqual(rec.value);
    }
  });

  it('OCSF - each record is one line of JSON with a known class and the record id as metadata.uid', () => {
    for (const { rec, o } of cases(6)) {
      const line = formatters.ocsf(rec, o);
      expectOneLine(line);
      const doc = JSON.parse(line) as { class_uid: number; type_uid: number; metadata: { uid: string } };
      expect([3002, 4001, 2004]).toContain(doc.class_uid);
      expect(Math.floor(doc.type_uid / 100)).toBe(doc.class_uid);
      expect(doc.metadata.uid).toBe(rec.value.id);
      if (rec.type === 'incident') expect(doc.class_uid).toBe(2004);
    }
  });
});
