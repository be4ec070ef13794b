// What matched, made safe to show in a console, a SIEM line or a log: printable ASCII only, everything
// else (control characters, DEL, bytes ≥ 0x80) as \xNN, backslash doubled, truncated with an ellipsis.

const HEXDIGITS = '0123456789abcdef';

export function safeDisplay(buf: Uint8Array, start = 0, end = buf.length, max = 120): string {
  let out = '';
  const stop = Math.min(end, buf.length);
  for (let i = Math.max(0, start); i < stop; i++) {
    const b = buf[i]!;
    let piece: string;
    if (b === 0x5c) piece = '\\\\';
    else if (b >= 0x20 && b < 0x7f) piece = String.fromCharCode(b);
    else piece = `\\x${HEXDIGITS[b >> 4]}${HEXDIGITS[b & 15]}`;
    if (out.length + piece.length > max) return out + '…';
    out += piece;
  }
  return out;
}

/** The same for a string value (a client id, a topic): escapes by UTF-8 byte. */
export function safeDisplayString(s: string, max = 120): string {
  return safeDisplay(Buffer.from(s, 'utf8'), 0, undefined, max);
}
