// String helpers the formatters share: control characters, truncation by code points and by UTF-8 bytes.

// C0 controls and DEL, minus tab, LF and CR which each format treats on its own.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
// eslint-disable-next-line no-control-regex -- as above
const ALL_CONTROLS = /[\u0000-\u001f\u007f]/g;
/** U+FFFD stands in for a control character: visible to an analyst, harmless to every parser. */
export const REPLACEMENT = '\ufffd';

/** Replace control characters except tab, LF and CR. */
export function dropControls(s: string): string {
  return s.replace(CONTROLS, REPLACEMENT);
}

/** Replace every control character including tab, LF and CR (for formats without an escape for them). */
export function dropAllControls(s: string): string {
  return s.replace(ALL_CONTROLS, REPLACEMENT);
}

/** Cut to at most `max` code points (never inside a surrogate pair), marking a cut with '…'. */
export function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const points = Array.from(s);
  if (points.length <= max) return s;
  return points.slice(0, Math.max(0, max - 1)).join('') + '…';
}

/** The longest prefix of `s` whose UTF-8 encoding fits in `maxBytes`, never splitting a character. */
export function utf8Prefix(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  let bytes = 0;
  let out = '';
  for (const ch of s) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > maxBytes) break;
    bytes += n;
    out += ch;
  }
  return out;
}

const PRINTUSASCII = /^[!-~]*$/;

/** Printable US-ASCII only (33–126), for syslog header fields; '-' when nothing is left. */
export function printUsAscii(s: string, max: number, extraBanned = ''): string {
  if (s.length > 0 && s.length <= max && extraBanned === '' && PRINTUSASCII.test(s)) return s;
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 33 && c <= 126 && !extraBanned.includes(ch)) out += ch;
    else out += '_';
    if (out.length >= max) break;
  }
  return out.length === 0 ? '-' : out;
}
