// tsvEscape() against a character-by-character reference of TabSeparated escaping, on random strings
// drawn mostly from the characters that need escaping.
import { describe, expect, it } from 'vitest';
import { tsvEscape } from '@sentinel/analytics';

const NAMED: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
};

function reference(v: string): string {
  let out = '';
  for (const ch of v) out += NAMED[ch] ?? ch;
  return out;
}

const ALPHABET = [
  '\\',
  '\t',
  '\n',
  '\r',
  '\0',
  '\b',
  '\f',
  '\v',
  '\x1b',
  'a',
  'Z',
  '0',
  ' ',
  "'",
  '"',
  'é',
  '✓',
  '😀',
  't',
  'n',
];

describe('tsvEscape', () => {
  it('escapes exactly like the character-by-character reference on 20,000 random strings', () => {
    let s = 3;
    const rnd = (n: number): number => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s % n;
    };
    for (let i = 0; i < 20_000; i++) {
      let v = '';
      const len = rnd(40);
      for (let k = 0; k < len; k++) v += ALPHABET[rnd(rnd(4) === 0 ? ALPHABET.length : 9)];
      expect(tsvEscape(v)).toBe(reference(v));
    }
  });

  it('returns values without special characters as they are', () => {
    for (const v of ['', 'dev-1', '10.0.0.1', 'ünïcødé ✓', 'a/b/+/#']) expect(tsvEscape(v)).toBe(v);
    expect(tsvEscape('a\\tb')).toBe('a\\\\tb');
  });
});
