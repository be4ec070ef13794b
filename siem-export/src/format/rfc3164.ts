// RFC 3164 (BSD syslog) for receivers that predate RFC 5424:
//   <PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG
// The day is space-padded (section 4.1.2), the time is UTC, the TAG is at most 32 alphanumeric
// characters (4.1.3) and the whole packet is at most 1024 bytes (4.1): a longer one is cut at a character
// boundary and ends in '…'. MSG is key="value" pairs with '"' and '\' escaped.
import { commonFields, hostOf, syslogSeverity } from './fields.ts';
import type { CommonFields } from './fields.ts';
import { pri } from './rfc5424.ts';
import { dropAllControls, printUsAscii, utf8Prefix } from './text.ts';
import type { Formatter, FormatOptions } from './types.ts';

export const RFC3164_MAX_BYTES = 1024;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function timestamp3164(ts: number): string {
  const d = new Date(ts);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const hms = d.toISOString().slice(11, 19);
  return `${MONTHS[d.getUTCMonth()] ?? 'Jan'} ${day} ${hms}`;
}

export function tag3164(appName: string, procId: string): string {
  const name = appName.replace(/[^A-Za-z0-9]/g, '').slice(0, 32) || 'sentinel';
  const pid = procId === '-' ? '' : `[${printUsAscii(procId, 16, '[]')}]`;
  return `${name}${pid}`;
}

function quote(s: string): string {
  return `"${dropAllControls(s).replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function body(f: CommonFields): string {
  const pairs: [string, string | number | undefined][] = [
    ['action', f.action],
    ['severity', f.severity],
    ['src', f.srcIp],
    ['spt', f.srcPort],
    ['user', f.user],
    ['clientId', f.clientId],
    ['topic', f.topic],
    ['technique', f.technique],
    ['incidentId', f.incidentId],
    ['id', f.id],
    ['msg', f.message],
  ];
  const parts = [printUsAscii(f.classId, 64)];
  for (const [k, v] of pairs) if (v !== undefined) parts.push(`${k}=${typeof v === 'number' ? v : quote(v)}`);
  return parts.join(' ');
}

/** A 3164 packet around any MSG, held to `maxBytes` (1024 by the RFC; the transport's limit for CEF). */
export function frame3164(
  o: Pick<FormatOptions, 'facility' | 'appName' | 'procId'>,
  sev: number,
  ts: number,
  host: string,
  msg: string,
  maxBytes = RFC3164_MAX_BYTES,
): string {
  const head = `${pri(o.facility, sev)}${timestamp3164(ts)} ${printUsAscii(host, 255)} ${tag3164(o.appName, o.procId)}: `;
  const line = head + dropAllControls(msg);
  if (Buffer.byteLength(line, 'utf8') <= maxBytes) return line;
  return utf8Prefix(line, maxBytes - 3) + '…';
}

export const formatRfc3164: Formatter = (rec, o, fields) => {
  const f = fields ?? commonFields(rec);
  return frame3164(o, syslogSeverity(f.severity), f.ts, hostOf(f, o.hostname), body(f));
};
