// Small independent parsers used only by the tests, written from the format specifications and not from
// the formatters, so a formatter bug cannot hide behind the same bug in its reader.

/** Split on `sep` where it is not escaped by a backslash; stops after `max` parts (the rest is the last). */
function splitEscaped(s: string, sep: string, max: number): string[] {
  const parts: string[] = [];
  let cur = '';
  let i = 0;
  for (; i < s.length; i++) {
    if (parts.length === max - 1) break;
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur + s.slice(i));
  return parts;
}

function unescapeWith(s: string, map: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) {
      const n = s[i + 1] as string;
      if (!(n in map)) throw new Error(`bad escape \\${n} at ${i} in ${JSON.stringify(s.slice(0, 80))}`);
      out += map[n];
      i++;
    } else out += c;
  }
  return out;
}

const CEF_HEADER = { '\\': '\\', '|': '|', n: '\n', r: '\r' };
const CEF_VALUE = { '\\': '\\', '=': '=', n: '\n', r: '\r' };

export interface ParsedCef {
  header: string[];
  ext: Map<string, string>;
  keys: string[];
}

export function parseCef(line: string): ParsedCef {
  const parts = splitEscaped(line, '|', 8);
  if (parts.length !== 8) throw new Error(`CEF needs 7 header separators, got ${parts.length - 1}`);
  const header = parts.slice(0, 7).map((p) => unescapeWith(p, CEF_HEADER));
  const ext = parts[7] as string;
  // Every unescaped '=' ends a key: the key is the word right before it.
  const eqs: number[] = [];
  for (let i = 0; i < ext.length; i++) {
    if (ext[i] === '\\') i++;
    else if (ext[i] === '=') eqs.push(i);
  }
  const keys: string[] = [];
  const starts: number[] = [];
  for (const p of eqs) {
    const start = ext.lastIndexOf(' ', p) + 1;
    const key = ext.slice(start, p);
    if (!/^[A-Za-z0-9]+$/.test(key)) throw new Error(`bad CEF key ${JSON.stringify(key)}`);
    keys.push(key);
    starts.push(start);
  }
  const map = new Map<string, string>();
  keys.forEach((k, j) => {
    const from = (eqs[j] as number) + 1;
    const to = j + 1 < keys.length ? (starts[j + 1] as number) - 1 : ext.length;
    map.set(k, unescapeWith(ext.slice(from, to), CEF_VALUE));
  });
  return { header, ext: map, keys };
}

export interface ParsedLeef {
  header: string[];
  delimiter: string;
  attrs: Map<string, string>;
  keys: string[];
}

export function parseLeef(line: string): ParsedLeef {
  const parts = splitEscaped(line, '|', 7);
  if (parts.length !== 7) throw new Error('LEEF 2.0 needs 6 header separators');
  const header = parts.slice(0, 5).map((p) => unescapeWith(p, CEF_HEADER));
  const token = parts[5] as string;
  const delimiter = /^(0?x)[0-9a-fA-F]{2}$/.test(token)
    ? String.fromCharCode(parseInt(token.slice(-2), 16))
    : token;
  if (delimiter.length !== 1) throw new Error(`bad LEEF delimiter ${JSON.stringify(token)}`);
  const map: Record<string, string> = { '\\': '\\', n: '\n', r: '\r', [delimiter]: delimiter };
  if (delimiter === '\t') map.t = '\t';
  const attrs = new Map<string, string>();
  const keys: string[] = [];
  for (const a of splitEscaped(parts[6] as string, delimiter, Number.MAX_SAFE_INTEGER)) {
    const eq = a.indexOf('=');
    const key = a.slice(0, eq);
    if (!/^[A-Za-z]+$/.test(key)) throw new Error(`bad LEEF key ${JSON.stringify(key)}`);
    keys.push(key);
    attrs.set(key, unescapeWith(a.slice(eq + 1), map));
  }
  return { header, delimiter, attrs, keys };
}

export interface Parsed5424 {
  pri: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sdId: string;
  params: Map<string, string>;
  keys: string[];
  msg: string;
}

const HEADER_5424 = /^<(\d{1,3})>1 (\S{1,255}) (\S{1,255}) (\S{1,48}) (\S{1,128}) (\S{1,32}) /;

export function parse5424(line: string): Parsed5424 {
  const m = HEADER_5424.exec(line);
  if (!m) throw new Error(`not an RFC 5424 header: ${JSON.stringify(line.slice(0, 120))}`);
  let i = m[0].length;
  if (line[i] !== '[') throw new Error('expected one SD-ELEMENT');
  const idEnd = line.slice(i).search(/[ \]]/) + i;
  const sdId = line.slice(i + 1, idEnd);
  i = idEnd;
  const params = new Map<string, string>();
  const keys: string[] = [];
  while (line[i] === ' ') {
    const eq = line.indexOf('="', i);
    const name = line.slice(i + 1, eq);
    if (!/^[!#-~]{1,32}$/.test(name) || /[= \]"]/.test(name)) throw new Error(`bad PARAM-NAME ${name}`);
    let v = '';
    let j = eq + 2;
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === '\\' && '"\\]'.includes(line[j + 1] ?? '')) j++;
      v += line[j];
    }
    keys.push(name);
    params.set(name, v);
    i = j + 1;
  }
  if (line[i] !== ']') throw new Error(`SD-ELEMENT not closed at ${i}`);
  const rest = line.slice(i + 1);
  if (!rest.startsWith(' \ufeff')) throw new Error('MSG must start with SP and the BOM');
  return {
    pri: Number(m[1]),
    timestamp: m[2] as string,
    hostname: m[3] as string,
    appName: m[4] as string,
    procId: m[5] as string,
    msgId: m[6] as string,
    sdId,
    params,
    keys,
    msg: rest.slice(2),
  };
}

const HEADER_3164 =
  /^<(\d{1,3})>([A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d) (\S+) ([A-Za-z0-9]{1,32})(\[[^\]]*\])?: /;

export function parse3164(line: string): { pri: number; host: string; tag: string; msg: string } {
  const m = HEADER_3164.exec(line);
  if (!m) throw new Error(`not an RFC 3164 header: ${JSON.stringify(line.slice(0, 120))}`);
  return { pri: Number(m[1]), host: m[3] as string, tag: m[4] as string, msg: line.slice(m[0].length) };
}

/** key="value" pairs of Sentinel's RFC 3164 MSG (after the class word). */
export function parseQuotedPairs(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([A-Za-z]+)=(?:"((?:[^"\\]|\\.)*)"|(-?\d+))/gy;
  let i = msg.indexOf(' ') + 1;
  while (i > 0 && i < msg.length) {
    re.lastIndex = i;
    const m = re.exec(msg);
    if (!m) throw new Error(`bad pair at ${i}: ${JSON.stringify(msg.slice(i, i + 40))}`);
    out.set(m[1] as string, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] as string));
    i = re.lastIndex + 1;
  }
  return out;
}
