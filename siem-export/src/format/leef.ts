// IBM LEEF 2.0: LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|key=value<delim>key=value...
// The delimiter is declared in the header (one character, or x09 for a tab). Header fields escape '\'
// and '|'; attribute values escape '\', the delimiter and line breaks (\n, \r, and \t when tab is the
// delimiter). devTime is in milliseconds since the epoch, declared with devTimeFormat.
import { commonFields } from './fields.ts';
import type { CommonFields } from './fields.ts';
import { cut, dropControls } from './text.ts';
import type { Formatter, FormatOptions } from './types.ts';

export function leefHeader(s: string): string {
  return dropControls(s)
    .replace(/[\\|]/g, (c) => `\\${c}`)
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n');
}

export function leefValue(s: string, delim: string): string {
  let out = '';
  for (const ch of dropControls(s)) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t' && delim === '\t') out += '\\t';
    else if (ch === delim) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

/** How the delimiter is written in the header: as hex (x09) when the character itself would be
 * invisible or clash with the header's own '|' and '\\', else as itself. */
export function leefDelimiterToken(delim: string): string {
  const code = delim.charCodeAt(0);
  if (code <= 0x20 || delim === '|' || delim === '\\' || code >= 0x7f) {
    return `x${code.toString(16).padStart(2, '0')}`;
  }
  return delim;
}

function attributes(f: CommonFields): [string, string | number | undefined][] {
  return [
    ['devTime', f.ts],
    ['devTimeFormat', 'epoch_ms'],
    ['cat', f.category],
    ['sev', f.severity],
    ['src', f.srcIp],
    ['srcPort', f.srcPort],
    ['usrName', f.user],
    ['action', f.action],
    ['outcome', f.outcome],
    ['clientId', f.clientId],
    ['topic', f.topic],
    ['mitreTechnique', f.technique],
    ['mitreTactic', f.tactic],
    ['incidentId', f.incidentId],
    ['ruleId', f.ruleId],
    ['threatScore', f.score],
    ['eventCount', f.count],
    ['node', f.node],
    ['externalId', f.id],
    ['msg', f.message],
  ];
}

export const formatLeef: Formatter = (rec, o: FormatOptions, fields) => {
  const f = fields ?? commonFields(rec);
  const d = o.leefDelimiter;
  const h = (s: string): string => leefHeader(cut(s, o.maxValueLength));
  const attrs: string[] = [];
  for (const [k, v] of attributes(f)) {
    if (v === undefined) continue;
    attrs.push(`${k}=${typeof v === 'number' ? String(v) : leefValue(cut(v, o.maxValueLength), d)}`);
  }
  const header = ['LEEF:2.0', h(o.vendor), h(o.product), h(o.version), h(f.classId), leefDelimiterToken(d)];
  return `${header.join('|')}|${attrs.join(d)}`;
};
