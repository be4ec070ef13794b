// ArcSight Common Event Format:
//   CEF:0|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|Extension
// Header fields escape '\' and '|'; extension values escape '\', '=' and line breaks (as the two
// characters \n and \r). Keys are fixed here, so they never need escaping. Other control characters
// become U+FFFD: CEF has no escape for them and receivers split or truncate on them.
import { commonFields } from './fields.ts';
import type { CommonFields } from './fields.ts';
import { cut, dropControls } from './text.ts';
import type { Formatter, FormatOptions } from './types.ts';

export function cefHeader(s: string): string {
  return dropControls(s)
    .replace(/[\\|]/g, (c) => `\\${c}`)
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n');
}

export function cefValue(s: string): string {
  return dropControls(s)
    .replace(/[\\=]/g, (c) => `\\${c}`)
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n');
}

type Pair = [key: string, value: string | number | undefined];

/** Labelled custom fields: cs<n>Label names what cs<n> carries. */
function custom(f: CommonFields): Pair[] {
  const pairs: Pair[] = [];
  const cs = (n: number, label: string, v: string | undefined): void => {
    if (v === undefined) return;
    pairs.push([`cs${n}`, v], [`cs${n}Label`, label]);
  };
  cs(1, 'clientId', f.clientId);
  cs(2, 'topic', f.topic);
  cs(3, 'mitreTechnique', f.technique);
  cs(4, 'mitreTactic', f.tactic);
  cs(5, 'incidentId', f.incidentId);
  cs(6, 'ruleId', f.ruleId);
  if (f.score !== undefined) pairs.push(['cn1', f.score], ['cn1Label', 'threatScore']);
  return pairs;
}

function extension(f: CommonFields, o: FormatOptions): string {
  const pairs: Pair[] = [
    ['rt', f.ts],
    ['src', f.srcIp],
    ['spt', f.srcPort],
    ['suser', f.user],
    ['act', f.action],
    ['outcome', f.outcome],
    ['cat', f.category],
    ['cnt', f.count],
    ['start', f.firstSeen],
    ['end', f.lastSeen],
    ['deviceExternalId', f.node],
    ['externalId', f.id],
    ...custom(f),
    // msg last: the longest free text sits at the end where a cut does least harm.
    ['msg', f.message],
  ];
  const out: string[] = [];
  for (const [k, v] of pairs) {
    if (v === undefined) continue;
    out.push(`${k}=${typeof v === 'number' ? String(v) : cefValue(cut(v, o.maxValueLength))}`);
  }
  return out.join(' ');
}

export const formatCef: Formatter = (rec, o) => {
  const f = commonFields(rec);
  const h = (s: string): string => cefHeader(cut(s, o.maxValueLength));
  const header = [
    'CEF:0',
    h(o.vendor),
    h(o.product),
    h(o.version),
    h(f.classId),
    h(f.name),
    String(f.severity),
  ];
  return `${header.join('|')}|${extension(f, o)}`;
};
