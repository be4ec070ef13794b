// Reading JetStream's answer to a publish.
//
// Nearly every answer is the same small object, `{"stream":"SENTINEL_EVENTS", "seq":123}` (nats-server 2.9
// writes that space; newer servers may not), one per event.
// `AckReader.fastStream()` recognises exactly that shape with a byte scan (no string, no JSON.parse, the
// stream name decoded once and reused). Anything else (errors, duplicates, a domain, other spacing) takes
// `readAck()`, the full JSON reading. The fast scan only ever says "this is a plain acknowledgement of
// stream X" when readAck() says the same; test/unit/ack.test.ts checks that on random and hostile inputs.

/** JetStream's answer to one publish. */
export type AckAnswer = { ok: true; stream: string; duplicate: boolean } | { ok: false; reason: string };

const decoder = new TextDecoder();

/**
 * The full reading of a publish answer: its JSON body, or the status code of an empty answer (503: no
 * stream listens on the subject). A failure's reason is the answer's text (up to 200 characters).
 */
export function readAck(data: Uint8Array, statusCode?: number): AckAnswer {
  if (statusCode === 503) return { ok: false, reason: 'no_responders' };
  const text = data.length > 0 ? decoder.decode(data) : '';
  const failed: AckAnswer = { ok: false, reason: text.slice(0, 200) || `status_${statusCode ?? 'unknown'}` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return failed;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return failed;
  const o = body as Record<string, unknown>;
  if (o.error !== undefined) return failed;
  if (typeof o.stream !== 'string' || o.stream.length === 0 || typeof o.seq !== 'number') return failed;
  return { ok: true, stream: o.stream, duplicate: o.duplicate === true };
}

const OPEN = Buffer.from('{"stream":"', 'latin1');
const COMMA = Buffer.from('",', 'latin1');
const SEQ = Buffer.from('"seq":', 'latin1');
const MAX_NAME = 255;
const MAX_DIGITS = 20;

function nameByte(b: number): boolean {
  // A-Z a-z 0-9 _ -
  return (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b === 95 || b === 45;
}

function startsWithAt(data: Uint8Array, at: number, part: Uint8Array): boolean {
  if (at + part.length > data.length) return false;
  for (let i = 0; i < part.length; i++) if (data[at + i] !== part[i]) return false;
  return true;
}

/** Recognises plain acknowledgements with a byte scan; remembers the last stream name it decoded. */
export class AckReader {
  private lastName: Uint8Array = new Uint8Array(0);
  private lastStream = '';

  /**
   * The stream of a plain acknowledgement, exactly `{"stream":"<name>","seq":<digits>}` (or with one space
   * before `"seq"`) with a name of letters, digits, `_` and `-` and a JSON integer; undefined for anything
   * else (read that with readAck()).
   */
  fastStream(data: Uint8Array): string | undefined {
    const n = data.length;
    if (n < OPEN.length + COMMA.length + SEQ.length + 3 || data[n - 1] !== 125 /* } */) return undefined;
    if (!startsWithAt(data, 0, OPEN)) return undefined;
    let i = OPEN.length;
    const nameStart = i;
    while (i < n && nameByte(data[i] as number)) i++;
    const nameEnd = i;
    if (nameEnd === nameStart || nameEnd - nameStart > MAX_NAME) return undefined;
    if (!startsWithAt(data, i, COMMA)) return undefined;
    i += COMMA.length;
    if (data[i] === 32) i++; // one space, as nats-server 2.9 writes it
    if (!startsWithAt(data, i, SEQ)) return undefined;
    i += SEQ.length;
    const digitsStart = i;
    while (i < n - 1) {
      const b = data[i] as number;
      if (b < 48 || b > 57) return undefined;
      i++;
    }
    const count = i - digitsStart;
    if (count === 0 || count > MAX_DIGITS) return undefined;
    if (count > 1 && data[digitsStart] === 48) return undefined; // a leading zero is not JSON
    return this.streamName(data, nameStart, nameEnd);
  }

  private streamName(data: Uint8Array, start: number, end: number): string {
    const last = this.lastName;
    let same = last.length === end - start;
    for (let i = 0; same && i < last.length; i++) same = last[i] === data[start + i];
    if (!same) {
      this.lastName = data.slice(start, end);
      this.lastStream = decoder.decode(this.lastName);
    }
    return this.lastStream;
  }
}
