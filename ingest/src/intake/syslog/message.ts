// Reading one syslog message: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`) or the BSD
// format of RFC 3164 (`<PRI>Mmm dd hh:mm:ss HOST TAG[pid]: MSG`), which is what most daemons and
// rsyslog's default forwarding template send. Total: any input gives a message (at worst all of it is MSG),
// never an exception, so a hostile sender cannot crash the listener.

export interface SyslogMessage {
  /** 0–191 when a PRI was present. */
  pri?: number;
  format: 'rfc5424' | 'rfc3164' | 'bare';
  /** ms since epoch when the header carried a full timestamp (RFC 5424). */
  ts?: number;
  hostname?: string;
  appName?: string;
  procId?: string;
  msgId?: string;
  msg: string;
}

const BOM = '\uFEFF';
const MONTHS = 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
const BSD_HEADER = new RegExp(`^(?:${MONTHS}) [ 0-9]\\d \\d\\d:\\d\\d:\\d\\d `);
const BSD_TAG = /^([^\s:[\]]{1,48})(?:\[([^\]\s]{1,32})\])?: ?/;

function nil(s: string | undefined): string | undefined {
  return s === undefined || s === '-' || s === '' ? undefined : s;
}

/** Split off `n` space-separated fields; returns the fields and the rest, or undefined if too few. */
function fields(s: string, n: number): { parts: string[]; rest: string } | undefined {
  const parts: string[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const sp = s.indexOf(' ', at);
    if (sp < 0) {
      if (i === n - 1 && at < s.length) {
        parts.push(s.slice(at));
        return { parts, rest: '' };
      }
      return undefined;
    }
    parts.push(s.slice(at, sp));
    at = sp + 1;
  }
  return { parts, rest: s.slice(at) };
}

/** Skip RFC 5424 STRUCTURED-DATA (`-` or `[id k="v"]...`, with `\]` escapes); returns the index after it. */
function skipStructuredData(s: string): number {
  if (s.startsWith('-')) return 1;
  let i = 0;
  while (s[i] === '[') {
    i++;
    let inQuote = false;
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === '\\') i++;
      else if (c === '"') inQuote = !inQuote;
      else if (c === ']' && !inQuote) break;
    }
    if (i >= s.length) return s.length;
    i++;
  }
  return i;
}

function parse5424(pri: number, rest: string): SyslogMessage | undefined {
  const f = fields(rest, 6);
  if (!f) return undefined;
  const [version, timestamp, hostname, appName, procId, msgId] = f.parts;
  if (version !== '1') return undefined;
  const sdEnd = skipStructuredData(f.rest);
  let msg = f.rest.slice(sdEnd).replace(/^ /, '');
  if (msg.startsWith(BOM)) msg = msg.slice(1);
  const out: SyslogMessage = { pri, format: 'rfc5424', msg };
  const ts = nil(timestamp) ? Date.parse(timestamp as string) : NaN;
  if (Number.isFinite(ts)) out.ts = ts;
  assign(out, { hostname: nil(hostname), appName: nil(appName), procId: nil(procId), msgId: nil(msgId) });
  return out;
}

function parse3164(pri: number, rest: string): SyslogMessage {
  let body = rest;
  let hostname: string | undefined;
  if (BSD_HEADER.test(body)) {
    body = body.slice(16);
    const sp = body.indexOf(' ');
    // A header without a host is legal (local senders); a "host" ending in ':' is really the tag.
    if (sp > 0 && !body.slice(0, sp).endsWith(':')) {
      hostname = body.slice(0, sp);
      body = body.slice(sp + 1);
    }
  }
  const out: SyslogMessage = { pri, format: 'rfc3164', msg: body };
  const tag = BSD_TAG.exec(body);
  if (tag) {
    out.msg = body.slice(tag[0].length);
    assign(out, { appName: tag[1], procId: tag[2] });
  }
  assign(out, { hostname });
  return out;
}

function assign(
  out: SyslogMessage,
  extra: Partial<Record<'hostname' | 'appName' | 'procId' | 'msgId', string | undefined>>,
): void {
  for (const [k, v] of Object.entries(extra))
    if (v !== undefined) (out as unknown as Record<string, string>)[k] = v;
}

export function parseSyslog(raw: string): SyslogMessage {
  const text = raw.replace(/[\r\n\0]+$/, '');
  const m = /^<(\d{1,3})>/.exec(text);
  if (!m) return { format: 'bare', msg: text };
  const pri = Number(m[1]);
  if (pri > 191) return { format: 'bare', msg: text };
  const rest = text.slice(m[0].length);
  return parse5424(pri, rest) ?? parse3164(pri, rest);
}
