import { describe, expect, it } from 'vitest';
import {
  decodeRound,
  Decoder,
  mayNeedDecoding,
  safeDisplay,
  topicMatches,
} from '../../src/inspection/index.ts';

const dec = (s: string, rounds = 3): string | undefined => {
  const out = new Decoder(rounds).decode(Buffer.from(s, 'utf8'));
  return out === undefined ? undefined : Buffer.from(out).toString('utf8');
};

describe('inspection decoding', () => {
  it('decodes percent-encoding, upper and lower case hex', () => {
    expect(dec('%2e%2E%2f')).toBe('../');
  });

  it('undoes double and triple percent-encoding in rounds', () => {
    expect(dec('%252e%252e%252f')).toBe('../');
    expect(dec('%25252e', 3)).toBe('.');
    expect(dec('%25252e', 1)).toBe('%252e');
  });

  it('decodes JSON string escapes: \\uXXXX, \\", \\\\, \\/ and the one-letter controls', () => {
    expect(dec('\\u003cscript\\u003e')).toBe('<script>');
    expect(dec('\\"a\\" \\\\ \\/ \\n\\t')).toBe('"a" \\ / \n\t');
    expect(dec('\\u00e9')).toBe('é');
  });

  it('decodes IIS-style %uXXXX', () => {
    expect(dec('%u002e%u002e%u002f')).toBe('../');
  });

  it('reads plus as space only when the payload is percent-encoded', () => {
    expect(dec('a+b%20c')).toBe('a b c');
    expect(dec('a+b\\n')).toBe('a+b\n');
    expect(new Decoder().decode(Buffer.from('dGVzdA+/ab=='))).toBeUndefined();
  });

  it('leaves malformed escapes as they are', () => {
    expect(dec('100% sure')).toBeUndefined();
    expect(dec('%zz %4 %u12 \\q \\u12')).toBeUndefined();
    expect(dec('end%')).toBeUndefined();
    expect(dec('end\\')).toBeUndefined();
  });

  it('does not even try on a bare percent sign or a backslash before an ordinary letter', () => {
    expect(mayNeedDecoding(Buffer.from('humidity 40%; C:\\data\\x'))).toBe(false);
    expect(mayNeedDecoding(Buffer.from('a%2f'))).toBe(true);
    expect(mayNeedDecoding(Buffer.from('a\\n'))).toBe(true);
    expect(mayNeedDecoding(Buffer.from('%u002e'))).toBe(true);
  });

  it('returns undefined without allocating when there is nothing to decode', () => {
    const d = new Decoder();
    const payload = Buffer.from('{"temp":21.5,"unit":"C"}');
    expect(mayNeedDecoding(payload)).toBe(false);
    expect(d.decode(payload)).toBeUndefined();
  });

  it('reuses its scratch buffers across calls and grows them for large payloads', () => {
    const d = new Decoder();
    const big = Buffer.from('%41'.repeat(10_000));
    expect(Buffer.from(d.decode(big)!).toString()).toBe('A'.repeat(10_000));
    expect(Buffer.from(d.decode(Buffer.from('%42'))!).toString()).toBe('B');
  });

  it('one round reports no change with -1', () => {
    const src = Buffer.from('plain');
    expect(decodeRound(src, src.length, Buffer.alloc(5))).toBe(-1);
  });
});

describe('inspection display and topics', () => {
  it('escapes control characters, DEL, non-ASCII bytes and backslashes, and truncates', () => {
    expect(safeDisplay(Buffer.from('a\x00b\x7f\\\n\u00e9'))).toBe('a\\x00b\\x7f\\\\\\x0a\\xc3\\xa9');
    expect(safeDisplay(Buffer.from('x'.repeat(500)), 0, 500, 10)).toBe('xxxxxxxxxx…');
  });

  it('matches MQTT topic filters with + and # and keeps $ topics out of leading wildcards', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/#', 'a/b/c')).toBe(true);
    expect(topicMatches('a/+', 'a')).toBe(false);
    expect(topicMatches('a/+', 'a/')).toBe(true);
    expect(topicMatches('a', 'a/b')).toBe(false);
    expect(topicMatches('#', '$SYS/x')).toBe(false);
    expect(topicMatches('+/x', '$SYS/x')).toBe(false);
    expect(topicMatches('$SYS/#', '$SYS/x')).toBe(true);
  });
});
