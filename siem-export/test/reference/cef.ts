// Reference copy: this formatter as it was before its fast paths, for the equivalence tests.
// ArcSight Common Event Format:
//   CEF:0|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|Extension
// Header fields escape '\' and '|'; extension values escape '\', '=' and line breaks (as the two
// characters \n and \r). Keys are fixed here, so they never need escaping. Other control characters
// become U+FFFD: CEF has no escape for them and receivers split or truncate on them.
import { commonFields } from '../../src/format/fields.ts';
import type { CommonFields } from '../../src/format/fields.ts';
import { cut, dropControls } from '../../src/format/text.ts';
import type { Formatter, FormatOptions } from '../../src/format/types.ts';

// Most values need no escaping: one regex test spares the replace passes on the hot path.
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const HEADER_SPECIAL = /[\\|\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- as above
const VALUE_SPECIAL = /[\\=\u0000-\u001f\u007f]/;

export function cefHeader(s: string): string {
  if (!HEADER_SPECIAL.test(s)) return s;
  return dropControls(s)
    .replace(/[\\|]/g, (c) => `\\${c}`)
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n');
}

export function cefValue(s: string): string {
  if (!VALUE_SPECIAL.test(s)) return s;
  return dropControls(s)
    .replace(/[\\=]/g, (c) => `\\${c}`)
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n');
}

/** Appends `key=value` pairs; string values are cut to the limit and escaped, absent ones skipped. */
class Extension {
  out = '';
  constructor(private readonly max: number) {}
  add(key: string, v: string | number | undefined): void {
    if (v === undefined) return;
    const value = typeof v === 'number' ? String(v) : cefValue(cut(v, this.max));
    this.out += this.out.length === 0 ? `${key}=${value}` : ` ${key}=${value}`;
  }
  /** A labelled custom field: csN names what csNLabel says. */
  labelled(key: string, label: string, v: string | number | undefined): void {
    if (v === undefined) return;
    this.add(key, v);
    this.add(`${key}Label`, label);
  }
}

function extension(f: CommonFields, o: FormatOptions): string {
  const x = new Extension(o.maxValueLength);
  x.add('rt', f.ts);
  x.add('src', f.srcIp);
  x.add('spt', f.srcPort);
  x.add('suser', f.user);
  x.add('act', f.action);
  x.add('outcome', f.outcome);
  x.add('cat', f.category);
  x.add('cnt', f.count);
  x.add('start', f.firstSeen);
  x.add('end', f.lastSeen);
  x.add('deviceExternalId', f.node);
  x.add('externalId', f.id);
  x.labelled('cs1', 'clientId', f.clientId);
  x.labelled('cs2', 'topic', f.topic);
  x.labelled('cs3', 'mitreTechnique', f.technique);
  x.labelled('cs4', 'mitreTactic', f.tactic);
  x.labelled('cs5', 'incidentId', f.incidentId);
  x.labelled('cs6', 'ruleId', f.ruleId);
  x.labelled('cn1', 'threatScore', f.score);
  // msg last: the longest free text sits at the end where a cut does least harm.
  x.add('msg', f.message);
  return x.out;
}

export const formatCef: Formatter = (rec, o, fields) => {
  const f = fields ?? commonFields(rec);
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
