// Decoding before matching. Attackers hide payloads behind URL percent-encoding (often twice) and JSON
// string escapes; the signatures are written against the decoded form. Decoding runs in rounds (so
// `%252e` → `%2e` → `.`) into a scratch buffer the caller owns, and is skipped entirely, without
// allocating, when the payload holds neither `%` nor `\`.

const PERCENT = 0x25;
const BACKSLASH = 0x5c;
const PLUS = 0x2b;

const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[0x41 + i] = 10 + i;
  HEX[0x61 + i] = 10 + i;
}

/** The single-character JSON escapes [RFC 8259 §7]; 0 where the character is not an escape. */
const JSON_ESCAPE = new Uint8Array(256);
JSON_ESCAPE[0x22] = 0x22; // \"
JSON_ESCAPE[0x5c] = 0x5c; // \\
JSON_ESCAPE[0x2f] = 0x2f; // \/
JSON_ESCAPE[0x62] = 0x08; // \b
JSON_ESCAPE[0x66] = 0x0c; // \f
JSON_ESCAPE[0x6e] = 0x0a; // \n
JSON_ESCAPE[0x72] = 0x0d; // \r
JSON_ESCAPE[0x74] = 0x09; // \t

/**
 * Cheap test: could decoding change this payload at all? memchr-speed scans for `%` and `\`, and at each
 * one a look at the next bytes, so text with a bare `40%` or a Windows path is not copied for nothing.
 */
export function mayNeedDecoding(buf: Uint8Array, len = buf.length): boolean {
  const b = buf as Buffer;
  for (let i = b.indexOf(PERCENT); i >= 0 && i < len; i = b.indexOf(PERCENT, i + 1)) {
    if (i + 2 < len && (HEX[b[i + 1]!]! | HEX[b[i + 2]!]!) >= 0) return true;
    if (i + 5 < len && (b[i + 1] === 0x75 || b[i + 1] === 0x55) && hex4(b, i + 2, len) >= 0) return true;
  }
  for (let i = b.indexOf(BACKSLASH); i >= 0 && i < len; i = b.indexOf(BACKSLASH, i + 1)) {
    const n = b[i + 1];
    if (i + 1 < len && n !== undefined && (JSON_ESCAPE[n] !== 0 || (n === 0x75 && hex4(b, i + 2, len) >= 0)))
      return true;
  }
  return false;
}

function hex4(src: Uint8Array, i: number, len: number): number {
  if (i + 4 > len) return -1;
  const a = HEX[src[i]!]!;
  const b = HEX[src[i + 1]!]!;
  const c = HEX[src[i + 2]!]!;
  const d = HEX[src[i + 3]!]!;
  if ((a | b | c | d) < 0) return -1;
  return (a << 12) | (b << 8) | (c << 4) | d;
}

/** UTF-8 bytes of a code unit (lone surrogates as three bytes: matching wants bytes, not validity). */
function putCodeUnit(dst: Uint8Array, o: number, cp: number): number {
  if (cp < 0x80) {
    dst[o] = cp;
    return o + 1;
  }
  if (cp < 0x800) {
    dst[o] = 0xc0 | (cp >> 6);
    dst[o + 1] = 0x80 | (cp & 0x3f);
    return o + 2;
  }
  dst[o] = 0xe0 | (cp >> 12);
  dst[o + 1] = 0x80 | ((cp >> 6) & 0x3f);
  dst[o + 2] = 0x80 | (cp & 0x3f);
  return o + 3;
}

/** Does the payload hold at least one well-formed `%XX`? Then `+` means a space (form encoding). */
function hasPercentEscape(src: Uint8Array, len: number): boolean {
  for (
    let i = (src as Buffer).indexOf(PERCENT);
    i >= 0 && i + 2 < len;
    i = (src as Buffer).indexOf(PERCENT, i + 1)
  ) {
    if ((HEX[src[i + 1]!]! | HEX[src[i + 2]!]!) >= 0) return true;
  }
  return false;
}

/**
 * One decoding round of `src[0..len)` into `dst` (at least `len` bytes: decoding never grows a payload,
 * `\uXXXX` is six bytes for at most three). Decodes `%XX`, `%uXXXX`, JSON `\uXXXX` and the one-letter
 * JSON escapes, and `+` as a space when the payload is percent-encoded. Returns the decoded length, or -1
 * when nothing changed (then `dst` holds garbage).
 */
export function decodeRound(src: Uint8Array, len: number, dst: Uint8Array): number {
  const plusIsSpace = hasPercentEscape(src, len);
  let o = 0;
  let changed = false;
  let i = 0;
  while (i < len) {
    const c = src[i]!;
    if (c === PERCENT && i + 2 < len) {
      const h = HEX[src[i + 1]!]!;
      const l = HEX[src[i + 2]!]!;
      if ((h | l) >= 0) {
        dst[o++] = (h << 4) | l;
        i += 3;
        changed = true;
        continue;
      }
      if ((src[i + 1] === 0x75 || src[i + 1] === 0x55) && i + 5 < len) {
        const cp = hex4(src, i + 2, len);
        if (cp >= 0) {
          o = putCodeUnit(dst, o, cp);
          i += 6;
          changed = true;
          continue;
        }
      }
    } else if (c === BACKSLASH && i + 1 < len) {
      const n = src[i + 1]!;
      if (n === 0x75) {
        const cp = hex4(src, i + 2, len);
        if (cp >= 0) {
          o = putCodeUnit(dst, o, cp);
          i += 6;
          changed = true;
          continue;
        }
      } else if (JSON_ESCAPE[n] !== 0) {
        dst[o++] = JSON_ESCAPE[n]!;
        i += 2;
        changed = true;
        continue;
      }
    } else if (c === PLUS && plusIsSpace) {
      dst[o++] = 0x20;
      i++;
      changed = true;
      continue;
    }
    dst[o++] = c;
    i++;
  }
  return changed ? o : -1;
}

/** A reusable decoder: owns two scratch buffers that grow to the largest payload seen, never shrink. */
export class Decoder {
  private a: Buffer = Buffer.allocUnsafe(4096);
  private b: Buffer = Buffer.allocUnsafe(4096);

  constructor(private readonly maxRounds = 3) {}

  /**
   * The fully decoded form of `payload`, or undefined when decoding changes nothing (the common case,
   * which allocates nothing). The returned view is valid until the next call.
   */
  decode(payload: Uint8Array): Uint8Array | undefined {
    if (!mayNeedDecoding(payload)) return undefined;
    if (this.a.length < payload.length) {
      this.a = Buffer.allocUnsafe(payload.length);
      this.b = Buffer.allocUnsafe(payload.length);
    }
    let src: Uint8Array = payload;
    let len = payload.length;
    let dst = this.a;
    let rounds = 0;
    while (rounds < this.maxRounds) {
      const n = decodeRound(src, len, dst);
      if (n < 0) break;
      rounds++;
      len = n;
      src = dst;
      dst = dst === this.a ? this.b : this.a;
      if (!mayNeedDecoding(src, len)) break;
    }
    return rounds === 0 ? undefined : src.subarray(0, len);
  }
}
