// ArcSight Common Event Format:
//   CEF:0|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|Extension
// Header fields escape '\' and '|'; extension values escape '\', '=' and line breaks (as the two
// characters \n and \r). Keys are fixed here, so they never need escaping. Other control characters
// become U+FFFD: CEF has no escape for them and receivers split or truncate on them.
import { commonFields } from './fields.ts';
import type { CommonFields } from './fields.ts';
import { cut, dropControls } from './text.ts';
import type { Formatter, FormatOptions } from './types.ts';

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

/** What depends on the options only, worked out once per options (a sink keeps its options). */
interface CefConstants {
  vendor: string;
  product: string;
  version: string;
  max: number;
  /** `CEF:0|Vendor|Product|Version|`, each escaped and cut. */
  prefix: string;
  /** The custom fields' labels, cut and escaped like any value. */
  labels: Record<(typeof LABELS)[number], string>;
}

const LABELS = [
  'clientId',
  'topic',
  'mitreTechnique',
  'mitreTactic',
  'incidentId',
  'ruleId',
  'threatScore',
] as const;

let constants: CefConstants | undefined;

function constantsFor(o: FormatOptions): CefConstants {
  const c = constants;
  if (
    c !== undefined &&
    c.vendor === o.vendor &&
    c.product === o.product &&
    c.version === o.version &&
    c.max === o.maxValueLength
  ) {
    return c;
  }
  const max = o.maxValueLength;
  const h = (s: string): string => cefHeader(cut(s, max));
  const labels = {} as CefConstants['labels'];
  for (const l of LABELS) labels[l] = cefValue(cut(l, max));
  constants = {
    vendor: o.vendor,
    product: o.product,
    version: o.version,
    max,
    prefix: `CEF:0|${h(o.vendor)}|${h(o.product)}|${h(o.version)}|`,
    labels,
  };
  return constants;
}

/** `out` followed by `key=value` (string values cut to `max` and escaped); `out` alone when absent. */
function add(out: string, key: string, v: string | number | undefined, max: number): string {
  if (v === undefined) return out;
  const value = typeof v === 'number' ? String(v) : cefValue(cut(v, max));
  return out.length === 0 ? `${key}=${value}` : `${out} ${key}=${value}`;
}

/** A labelled custom field: csN names what csNLabel says. */
function labelled(
  out: string,
  key: string,
  label: string,
  v: string | number | undefined,
  max: number,
): string {
  if (v === undefined) return out;
  return `${add(out, key, v, max)} ${key}Label=${label}`;
}

// Plain string building rather than an array or a builder object: this runs for every exported record.
function extension(f: CommonFields, c: CefConstants): string {
  const { max, labels: l } = c;
  let x = add('', 'rt', f.ts, max);
  x = add(x, 'src', f.srcIp, max);
  x = add(x, 'spt', f.srcPort, max);
  x = add(x, 'suser', f.user, max);
  x = add(x, 'act', f.action, max);
  x = add(x, 'outcome', f.outcome, max);
  x = add(x, 'cat', f.category, max);
  x = add(x, 'cnt', f.count, max);
  x = add(x, 'start', f.firstSeen, max);
  x = add(x, 'end', f.lastSeen, max);
  x = add(x, 'deviceExternalId', f.node, max);
  x = add(x, 'externalId', f.id, max);
  x = labelled(x, 'cs1', l.clientId, f.clientId, max);
  x = labelled(x, 'cs2', l.topic, f.topic, max);
  x = labelled(x, 'cs3', l.mitreTechnique, f.technique, max);
  x = labelled(x, 'cs4', l.mitreTactic, f.tactic, max);
  x = labelled(x, 'cs5', l.incidentId, f.incidentId, max);
  x = labelled(x, 'cs6', l.ruleId, f.ruleId, max);
  x = labelled(x, 'cn1', l.threatScore, f.score, max);
  // msg last: the longest free text sits at the end where a cut does least harm.
  return add(x, 'msg', f.message, max);
}

export const formatCef: Formatter = (rec, o, fields) => {
  const f = fields ?? commonFields(rec);
  const c = constantsFor(o);
  const max = c.max;
  return `${c.prefix}${cefHeader(cut(f.classId, max))}|${cefHeader(cut(f.name, max))}|${f.severity}|${extension(f, c)}`;
};
