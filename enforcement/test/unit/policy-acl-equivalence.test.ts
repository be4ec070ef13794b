import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TopicAclEngine } from '../../src/policy/acl.ts';
import { topicMatches } from '../../src/policy/topic.ts';
import type { AclRuleSet, SessionIdentity } from '../../src/policy/types.ts';
import { TopicAclEngine as ReferenceAclEngine } from '../support/acl-reference.ts';

// Randomized equivalence of the trie matcher with the engine it replaced (kept in test/support) and with
// plain filter matching: random rule sets, identities and topics, including empty levels, '$' topics,
// unicode, very deep topics, malformed filters and identity values that must not be compared in place.

/** A small seeded generator (xorshift32): every run checks the same cases, and a failure names its seed. */
function generator(seed: number): { int: (n: number) => number; pick: <T>(xs: readonly T[]) => T } {
  let x = seed >>> 0 || 1;
  const int = (n: number): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
  return { int, pick: (xs) => xs[int(xs.length)] as (typeof xs)[number] };
}
type Gen = ReturnType<typeof generator>;

const WORDS = [
  'a',
  'b',
  'dev-1',
  'c1',
  'u1',
  '',
  '$SYS',
  '$s',
  'é',
  '日本',
  '🚀',
  'telemetry',
  'a b',
  '%',
  '%x',
  'abcdefghijklmnop',
  'abcde',
  'a level text of thirty-one chars',
];
// Lengths around the 4-character packs and the 16-character limit of packed values, characters on both
// sides of ASCII, one-character values, and values that must not be compared in place.
const CLIENT_IDS = [
  'c1',
  'dev-1',
  'a',
  'é',
  '日本',
  '🚀x',
  '$SYS',
  '%u',
  '%c',
  'x/y',
  '+',
  '#',
  '',
  'a\u0000b',
  'c1c1',
  'abcd',
  'abcde',
  'abcdefgh',
  'abcdefghi',
  'abcdefghijkl',
  'abcdefghijklm',
  'abcdefghijklmnop',
  'abcdefghijklmnoq',
  'abcdefghijklmnopq',
  'x\u007f',
  'x\u0080',
  'dev-00000000000000000001',
];
const USERNAMES = [...CLIENT_IDS, undefined, undefined];
// eslint-disable-next-line no-control-regex -- NUL is one of the characters that make a value unsafe
const SAFE_VALUES = CLIENT_IDS.filter((v) => v !== '' && !/[+#/\u0000]/.test(v));
const TEMPLATE_LEVELS = ['%c', '%u', 'x%c', '%c%u', 'a%cb', '%u-%c', '+', '+', '%%c'];
const MALFORMED = ['', 'a#', '#/a', 'a/+x', 'x+', 'a/#/b', '##'];

function level(g: Gen): string {
  return g.int(3) === 0 ? g.pick(TEMPLATE_LEVELS) : g.pick(WORDS);
}

function filter(g: Gen): string {
  if (g.int(25) === 0) return g.pick(MALFORMED);
  const n = g.int(12) === 0 ? 20 + g.int(60) : 1 + g.int(5);
  const levels: string[] = [];
  for (let i = 0; i < n; i++) levels.push(level(g));
  if (g.int(4) === 0) levels[g.int(2) === 0 ? n - 1 : n] = '#';
  return levels.join('/');
}

function list(g: Gen): string[] | undefined {
  if (g.int(5) === 0) return undefined;
  const out: string[] = [];
  // Now and then many exact topics, which the trie indexes by level text.
  const n = g.int(10) === 0 ? 8 + g.int(20) : g.int(5);
  for (let i = 0; i < n; i++) out.push(n > 8 ? `${g.pick(WORDS)}/${g.int(30)}` : filter(g));
  return out;
}

function ruleSet(g: Gen): AclRuleSet {
  return {
    publish: { allow: list(g), deny: list(g) },
    subscribe: { allow: list(g), deny: list(g) },
    retain: g.int(2) === 0,
    wildcards: g.int(2) === 0,
  };
}

function identity(g: Gen): SessionIdentity {
  const username = g.pick(USERNAMES);
  return username === undefined
    ? { clientId: g.pick(CLIENT_IDS), ip: '10.0.0.1' }
    : { clientId: g.pick(CLIENT_IDS), username, ip: '10.0.0.1' };
}

/** A topic written from one of the rule set's filters (so matches happen), mutated, or made from scratch. */
function topic(g: Gen, rules: AclRuleSet, id: SessionIdentity): string {
  const sources = [
    ...(rules.publish?.allow ?? []),
    ...(rules.publish?.deny ?? []),
    ...(rules.subscribe?.allow ?? []),
    ...(rules.subscribe?.deny ?? []),
  ];
  let levels: string[];
  if (sources.length > 0 && g.int(4) !== 0) {
    levels = g
      .pick(sources)
      .replace(/%c/g, id.clientId)
      .replace(/%u/g, id.username ?? '')
      .split('/')
      .flatMap((l) =>
        l === '+' ? [g.pick(WORDS)] : l === '#' ? Array.from({ length: g.int(4) }, () => g.pick(WORDS)) : [l],
      );
    if (g.int(5) === 0) levels[g.int(levels.length)] = g.pick(WORDS);
    if (g.int(8) === 0) levels.push(g.pick(WORDS));
    if (g.int(8) === 0 && levels.length > 1) levels.pop();
  } else {
    const n = g.int(15) === 0 ? 50 + g.int(200) : 1 + g.int(6);
    levels = Array.from({ length: n }, () => (g.int(6) === 0 ? id.clientId : g.pick(WORDS)));
  }
  // Near misses: a level holding the client id or username with one character changed, one too many or
  // one too few, so that every character of a value is seen to count.
  if (g.int(3) === 0)
    levels = levels.map((l) => (l === id.clientId || l === id.username ? nearMiss(g, l) : l));
  // Publish topics hold no wildcards [MQTT-3.3.2-2]; the engines are only ever asked about such topics.
  return levels.join('/').replace(/[+#]/g, 'w');
}

function nearMiss(g: Gen, v: string): string {
  const at = g.int(v.length + 1);
  switch (g.int(3)) {
    case 0:
      return v.slice(0, at) + g.pick(['x', 'a', 'é', '\u007f']) + v.slice(at + 1);
    case 1:
      return v.slice(0, at) + 'x' + v.slice(at);
    default:
      return v.slice(0, at) + v.slice(at + 1);
  }
}

describe('topic ACL trie matcher', () => {
  it('gives verdict for verdict the same answers as the engine it replaced, on random rules, identities and topics', () => {
    const g = generator(20261121);
    let compared = 0;
    let allowed = 0;
    let denied = 0;
    for (let r = 0; r < 1000; r++) {
      const rules = ruleSet(g);
      // The trie as straight-line code from the first topic on, and the trie walked, never compiled.
      const compiled = new TopicAclEngine({ defaultRules: rules, compileAfter: 0 });
      const walked = new TopicAclEngine({ defaultRules: rules, compileAfter: false });
      const reference = new ReferenceAclEngine({ defaultRules: rules });
      for (let s = 0; s < 4; s++) {
        const id = identity(g);
        const ref = reference.forSession(id, undefined);
        const acls = [compiled.forSession(id, undefined), walked.forSession(id, undefined)];
        for (let k = 0; k < 12; k++) {
          const t = topic(g, rules, id);
          const retain = g.int(3) === 0;
          const f = g.int(2) === 0 ? filter(g) : t;
          const wanted = [ref.canPublish(t, retain), ref.canReceive(t), ref.canSubscribe(f)];
          for (const [matcher, acl] of [
            ['compiled', acls[0]],
            ['walked', acls[1]],
          ] as const) {
            const answers = [acl!.canPublish(t, retain), acl!.canReceive(t), acl!.canSubscribe(f)];
            // Deep comparison first (cheap); the detailed assertion names the case when they differ.
            if (!isDeepStrictEqual(answers, wanted)) {
              expect({ matcher, rules, id, topic: t, retain, f, answers }).toEqual({
                matcher,
                rules,
                id,
                topic: t,
                retain,
                f,
                answers: wanted,
              });
            }
          }
          const got = wanted[0]!;
          compared++;
          if (got.ok) allowed++;
          else denied++;
        }
      }
    }
    // The generator must exercise both answers, or the comparison proves little.
    expect(compared).toBe(1000 * 4 * 12);
    expect(allowed).toBeGreaterThan(compared / 20);
    expect(denied).toBeGreaterThan(compared / 20);
  }, 60_000);

  it('agrees with plain matching of the written-out filters (deny over allow) for identities safe to substitute', () => {
    const g = generator(7);
    for (let r = 0; r < 3000; r++) {
      const allow = [filter(g), filter(g), filter(g)].filter((f) => !MALFORMED.includes(f));
      const deny = [filter(g)].filter((f) => !MALFORMED.includes(f));
      const id = { clientId: g.pick(SAFE_VALUES), username: g.pick(SAFE_VALUES), ip: '1.1.1.1' };
      // Every other rule set compiled to code from the first topic, the others walked.
      const compileAfter = r % 2 === 0 ? 0 : false;
      const acl = new TopicAclEngine({ defaultRules: {}, compileAfter }).forSession(id, {
        publish: { allow, deny },
        retain: true,
      });
      // One pass: a client id such as '%u' is text, not a placeholder.
      const written = (f: string): string =>
        f.replace(/%[cu]/g, (m) => (m === '%c' ? id.clientId : id.username));
      for (let k = 0; k < 10; k++) {
        const t = topic(g, { publish: { allow, deny } }, id);
        const want =
          allow.some((f) => topicMatches(written(f), t)) && !deny.some((f) => topicMatches(written(f), t));
        expect({ allow, deny, id, t, ok: acl.canPublish(t, false).ok }).toEqual({
          allow,
          deny,
          id,
          t,
          ok: want,
        });
      }
    }
  });
});
