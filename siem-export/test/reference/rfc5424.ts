// Reference copy: this formatter as it was before its fast paths, for the equivalence tests.
// RFC 5424 syslog:
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID PARAM="VALUE" ...] BOM MSG
// PRI = facility * 8 + severity (section 6.2.1); TIMESTAMP is RFC 3339 in UTC with milliseconds
// (6.2.3); header fields are PRINTUSASCII with their length limits (6.2.4–6.2.7: HOSTNAME 255,
// APP-NAME 48, PROCID 128, MSGID 32); SD-NAMEs exclude '=', ' ', ']' and '"' and are at most 32
// characters (6.3.2); PARAM-VALUE escapes '"', '\' and ']' (6.3.3); a UTF-8 MSG starts with the BOM
// (6.4). Control characters, line breaks included, become U+FFFD so a record is always one line.
import { commonFields, hostOf, syslogSeverity } from '../../src/format/fields.ts';
import type { CommonFields } from '../../src/format/fields.ts';
import { cut, dropAllControls, printUsAscii } from '../../src/format/text.ts';
import type { Formatter, FormatOptions } from '../../src/format/types.ts';

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

/** The header of a 5424 message, each field cut to its limit and restricted to PRINTUSASCII. */
export function header5424(h: Syslog5424Header): string {
  return [
    `${pri(h.facility, h.severity)}1`,
    new Date(h.ts).toISOString(),
    printUsAscii(h.hostname, 255),
    printUsAscii(h.appName, 48),
    printUsAscii(h.procId, 128),
    printUsAscii(h.msgId, 32),
  ].join(' ');
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
