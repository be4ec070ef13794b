// A small trie (acl-trie.ts) as straight-line JavaScript: the literal levels become comparisons of
// character codes against constants, with no loop over children and no per-node bookkeeping. V8 runs
// that about twice as fast as the generic walk (an allowed topic of the benchmark's template: about 55 ns
// instead of 115 ns for a hot session). The generated source holds only numbers (character codes,
// lengths, deny indices) and fixed names: no text from a rule ever becomes code. Literal levels longer
// than INLINE_TEXT, placeholders and patterns are compared by helpers passed in, and tries too large or
// too deep to be worth it stay with the walk.
import { ALLOWED, CID, MAP_FROM, matchPattern, matchValue, NO_ALLOW, NONE } from './acl-trie.ts';
import type { PatternEdge, PlaceholderValues, TrieNode } from './acl-trie.ts';

export type CompiledTrie = (topic: string, w: PlaceholderValues) => number;

const MAX_NODES = 64;
const MAX_DEPTH = 24;
/** Literal levels up to this long are compared character by character, longer ones as a slice. */
const INLINE_TEXT = 24;

/** The trie as a function with matchTopic's answers, or undefined if it is too large to compile. */
export function compileTrie(root: TrieNode): CompiledTrie | undefined {
  if (!small(root)) return undefined;
  const g = new Generator(root.denyBelow !== NONE);
  const body = g.level(root, 'j0', true);
  const source = `return function compiledTrie(topic, w) {
  const tl = topic.length;
  const dollar = topic.charCodeAt(0) === 36;
  let a = false;
  let d = NONE;
  const j0 = 0;
${body}
  return a ? (d === NONE ? ALLOWED : d) : NO_ALLOW;
};`;
  // Safe to turn into code: the source is built from numbers and fixed names only (see the header).
  const factory = new Function('NONE', 'ALLOWED', 'NO_ALLOW', 'mv', 'mp', 'P', 'L', source) as (
    ...args: unknown[]
  ) => CompiledTrie;
  return factory(NONE, ALLOWED, NO_ALLOW, matchValue, matchPattern, g.pats, g.texts);
}

function small(root: TrieNode): boolean {
  let nodes = 0;
  const todo: [TrieNode, number][] = [[root, 0]];
  while (todo.length > 0) {
    const [n, depth] = todo.pop() as [TrieNode, number];
    if (++nodes > MAX_NODES || depth > MAX_DEPTH || n.litTexts.length >= MAP_FROM) return false;
    for (const k of n.litNodes) todo.push([k, depth + 1]);
    for (const p of n.pats) todo.push([p.node, depth + 1]);
    if (n.plus) todo.push([n.plus, depth + 1]);
  }
  return true;
}

class Generator {
  /** Pattern edges and long literal texts, passed to the generated code as arrays it indexes. */
  readonly pats: PatternEdge[] = [];
  readonly texts: string[] = [];
  private names = 0;

  constructor(private readonly hasDeny: boolean) {}

  /** Code for a filter ending here: note the allow, or the deny index if it is the lowest yet. */
  private hit(allow: boolean, deny: number): string {
    // With no deny filter at all, the first allow is the answer.
    let code = allow ? (this.hasDeny ? 'a = true; ' : 'return ALLOWED; ') : '';
    if (deny !== NONE) code += `if (d > ${deny}) d = ${deny}; `;
    return code;
  }

  private name(prefix: string): string {
    return `${prefix}${++this.names}`;
  }

  /** Code matching the children of `n` against the level starting at variable `j` (which exists). */
  level(n: TrieNode, j: string, root: boolean): string {
    const out: string[] = [];
    const hash = this.hit(n.hashAllow, n.hashDeny);
    // Filters starting with a wildcard do not match '$' topics [MQTT-4.7.2-1].
    if (hash) out.push(root ? `if (!dollar) { ${hash}}` : hash);
    n.litTexts.forEach((t, i) => {
      const e = this.name('e');
      const ends = `(${e} === tl || (${e} < tl && topic.charCodeAt(${e}) === 47))`;
      let same: string;
      if (t.length > INLINE_TEXT) {
        this.texts.push(t);
        same = ` && topic.slice(${j}, ${e}) === L[${this.texts.length - 1}]`;
      } else {
        same = Array.from(t, (_ch, k) => ` && topic.charCodeAt(${j} + ${k}) === ${t.charCodeAt(k)}`).join('');
      }
      const next = this.step(n.litNodes[i] as TrieNode, e);
      out.push(`{ const ${e} = ${j} + ${t.length}; if (${ends}${same}) { ${next} } }`);
    });
    for (const p of n.pats) {
      this.pats.push(p);
      const e = this.name('e');
      const k = this.pats.length - 1;
      const next = this.step(p.node, e);
      if (p.kinds.length === 1) {
        // matchValue checks the level end itself.
        out.push(
          `{ const ${e} = mv(${p.kinds[0] === CID}, topic, ${j}, tl, w); if (${e} >= 0) { ${next} } }`,
        );
      } else {
        const ends = `(${e} === tl || (${e} >= 0 && topic.charCodeAt(${e}) === 47))`;
        out.push(`{ const ${e} = mp(P[${k}], topic, ${j}, w); if (${ends}) { ${next} } }`);
      }
    }
    if (n.plus) {
      const e = this.name('e');
      const next = this.step(n.plus, e);
      const code = `{ let ${e} = topic.indexOf('/', ${j}); if (${e} < 0) ${e} = tl; ${next} }`;
      out.push(root ? `if (!dollar) ${code}` : code);
    }
    return out.join('\n');
  }

  /** Code for having matched a level that ends at variable `e`: the topic ends there, or go on in `k`. */
  private step(k: TrieNode, e: string): string {
    // The topic ends here: filters ending here match, and so do those ending in "/#" [MQTT-4.7.1-2].
    const end = this.hit(k.endAllow, k.endDeny) + this.hit(k.hashAllow, k.hashDeny);
    const j = this.name('j');
    const below = this.level(k, j, false);
    return `if (${e} === tl) { ${end}} else { const ${j} = ${e} + 1; ${below} }`;
  }
}
