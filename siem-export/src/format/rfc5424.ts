// RFC 5424 syslog:
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID PARAM="VALUE" ...] BOM MSG
// PRI = facility * 8 + severity (section 6.2.1); TIMESTAMP is RFC 3339 in UTC with milliseconds
// (6.2.3); header fields are PRINTUSASCII with their length limits (6.2.4–6.2.7: HOSTNAME 255,
// APP-NAME 48, PROCID 128, MSGID 32); SD-NAMEs exclude '=', ' ', ']' and '"' and are at most 32
// characters (6.3.2); PARAM-VALUE escapes '"', '\' and ']' (6.3.3); a UTF-8 MSG starts with the BOM
// (6.4). Control characters, line breaks included, become U+FFFD so a record is always one line.
import { commonFields, hostOf, syslogSeverity } from './fields.ts';
import type { CommonFields } from './fields.ts';
import { cut, dropAllControls, printUsAscii } from './text.ts';
import type { Formatter, FormatOptions } from './types.ts';

const BOM = '\ufeff';
const SD_NAME_BANNED = '= ]"';

export function sdParamValue(s: string): string {
  return dropAllControls(s).replace(/["\\\]]/g, (c) => `\\${c}`);
}

export function sdName(s: string): string {
  return printUsAscii(s, 32, SD_NAME_BANNED);
}

export function pri(facility: number, severity: number): string {
  return `<${Math.min(23, Math.max(0, Math.trunc(facility))) * 8 + severity}>`;
}

export interface Syslog5424Header {
  facility: number;
  /** Syslog severity 0–7. */
  severity: number;
  ts: number;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
}

/** `.000Z` … `.999Z`: the millisecond tails of RFC 3339 timestamps. */
const MS_TAILS = Array.from({ length: 1000 }, (_, ms) => `.${String(ms).padStart(3, '0')}Z`);
/** The last millisecond a Date can hold (ECMA-262 TimeClip). */
const MAX_DATE_MS = 8.64e15;
let isoSecond = Number.NaN;
let isoSecondText = '';

/**
 * `new Date(ts).toISOString()`, with the part up to the second worked out once per second: records come
 * in time order, so consecutive ones mostly share it.
 */
export function isoTimestamp(ts: number): string {
  // Fractions, negative times and times past the Date range take Date's own path (and its RangeError).
  if (!Number.isSafeInteger(ts) || ts < 0 || ts > MAX_DATE_MS) return new Date(ts).toISOString();
  const ms = ts % 1000;
  const second = ts - ms;
  if (second !== isoSecond) {
    const text = new Date(second).toISOString();
    isoSecondText = text.slice(0, -5); // without ".000Z"
    isoSecond = second;
  }
  return isoSecondText + (MS_TAILS[ms] as string);
}

let appProcFor: { appName: string; procId: string; text: string } | undefined;

/** APP-NAME and PROCID: the same for every record of a sink, so restricted and cut once. */
function appProc(appName: string, procId: string): string {
  const c = appProcFor;
  if (c !== undefined && c.appName === appName && c.procId === procId) return c.text;
  const text = `${printUsAscii(appName, 48)} ${printUsAscii(procId, 128)}`;
  appProcFor = { appName, procId, text };
  return text;
}

/** The header of a 5424 message, each field cut to its limit and restricted to PRINTUSASCII. */
export function header5424(h: Syslog5424Header): string {
  return `${pri(h.facility, h.severity)}1 ${isoTimestamp(h.ts)} ${printUsAscii(h.hostname, 255)} ${appProc(h.appName, h.procId)} ${printUsAscii(h.msgId, 32)}`;
}

function sdElement(f: CommonFields, o: FormatOptions): string {
  const params: [string, string | number | undefined][] = [
    ['id', f.id],
    ['category', f.category],
    ['action', f.action],
    ['severity', f.severity],
    ['node', f.node],
    ['src', f.srcIp],
    ['spt', f.srcPort],
    ['user', f.user],
    ['clientId', f.clientId],
    ['topic', f.topic],
    ['technique', f.technique],
    ['tactic', f.tactic],
    ['incidentId', f.incidentId],
    ['ruleId', f.ruleId],
    ['score', f.score],
    ['count', f.count],
  ];
  let out = `[${sdName(o.sdId)}`;
  for (const [k, v] of params) {
    if (v === undefined) continue;
    const value = typeof v === 'number' ? String(v) : sdParamValue(cut(v, o.maxValueLength));
    out += ` ${k}="${value}"`;
  }
  return `${out}]`;
}

/**
 * A whole 5424 message around an arbitrary MSG (also used to carry CEF, LEEF or JSON over syslog, where
 * `bom` is off: such payloads are MSG-ANY, and several SIEM parsers expect "CEF:0" as the first bytes).
 */
export function frame5424(h: Syslog5424Header, sd: string, msg: string, bom = true): string {
  return `${header5424(h)} ${sd} ${bom ? BOM : ''}${oneLine(msg)}`;
}

/** CEF, LEEF and JSON payloads are one line already; only a stray CR or LF would break the framing. */
function oneLine(msg: string): string {
  return msg.includes('\n') || msg.includes('\r') ? dropAllControls(msg) : msg;
}

export function headerFor(f: CommonFields, o: FormatOptions): Syslog5424Header {
  return {
    facility: o.facility,
    severity: syslogSeverity(f.severity),
    ts: f.ts,
    hostname: hostOf(f, o.hostname),
    appName: o.appName,
    procId: o.procId,
    msgId: f.classId,
  };
}

export const formatRfc5424: Formatter = (rec, o, fields) => {
  const f = fields ?? commonFields(rec);
  return frame5424(headerFor(f, o), sdElement(f, o), dropAllControls(cut(f.message, o.maxValueLength)));
};
