import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildAutomaton,
  DEFAULT_RULES_FILE,
  parseRuleText,
  RuleFileError,
  scan,
} from '../../src/inspection/index.ts';

// Deterministic xorshift32.
let x = 0x2545f491;
const rnd = (n: number): number => {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return (x >>> 0) % n;
};

const ALPHABET = 'abAB./;%\\\'" \x00\xff';
const randomBytes = (len: number): Buffer => {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = ALPHABET.charCodeAt(rnd(ALPHABET.length)) & 0xff;
  return b;
};
const fold = (b: number): number => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b);

/** Every (literal, end) occurrence by brute force, case-folded. */
function naive(literals: Buffer[], text: Buffer): string[] {
  const out: string[] = [];
  for (let end = 1; end <= text.length; end++) {
    literals.forEach((l, id) => {
      if (l.length > end) return;
      for (let k = 0; k < l.length; k++) if (fold(text[end - l.length + k]!) !== fold(l[k]!)) return;
      out.push(`${id}@${end}`);
    });
  }
  return out.sort();
}

describe('multi-pattern automaton', () => {
  it('finds exactly the occurrences a brute-force search finds, over 500 random literal sets and texts', () => {
    for (let round = 0; round < 500; round++) {
      const literals = Array.from({ length: 1 + rnd(12) }, () => randomBytes(1 + rnd(5)));
      const folded = literals.map((l) => Buffer.from(l.map(fold)));
      const a = buildAutomaton(folded);
      const text = randomBytes(rnd(200));
      const found: string[] = [];
      scan(a, text, text.length, (id, end) => {
        found.push(`${id}@${end}`);
        return false;
      });
      expect(found.sort()).toEqual(naive(literals, text));
    }
  });

  it('stops scanning when the hit callback says so', () => {
    const a = buildAutomaton([Buffer.from('ab')]);
    let hits = 0;
    scan(a, Buffer.from('ab ab ab'), 8, () => ++hits === 2);
    expect(hits).toBe(2);
  });
});

describe('rule file parser fuzz', () => {
  it('150 mutated rule files either compile or are refused with a RuleFileError, never anything else', () => {
    const base = readFileSync(DEFAULT_RULES_FILE, 'utf8');
    const others: string[] = [];
    let refused = 0;
    for (let i = 0; i < 150; i++) {
      const chars = [...base];
      for (let k = 0, n = 1 + rnd(6); k < n; k++) {
        const at = rnd(chars.length);
        const op = rnd(3);
        if (op === 0) chars.splice(at, 1 + rnd(20));
        else if (op === 1) chars.splice(at, 0, ':-[]{}"\'#\n '[rnd(12)]!);
        else chars[at] = String.fromCharCode(rnd(128));
      }
      try {
        parseRuleText('fuzz.yaml', chars.join(''));
      } catch (err) {
        if (err instanceof RuleFileError) refused++;
        else others.push(String(err));
      }
    }
    expect(others).toEqual([]);
    expect(refused).toBeGreaterThan(0);
  }, 120_000);
});
