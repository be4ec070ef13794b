// The matcher behind topic ACLs: every allow and deny filter of one list pair (publish, or subscribe) is
// merged into one trie of topic levels, shared by every session with the same rules. A PUBLISH walks the
// topic once, level by level, by index (no split into an array), and learns in that one walk whether some
// allow filter matches and which deny filter is the first to match. Filters that start alike
// ("devices/%c/...") are compared once, not once per filter, and a branch that cannot change the answer
// any more is not entered. A literal level is compared as a short slice with ===: V8's native string
// equality beats startsWith() or a charCodeAt() loop by about half, and the slice dies young.
//
// %c and %u stay placeholders inside the trie and are compared in place against the session's values,
// which the caller guarantees are safe (non-empty; no '/', '+', '#' or NUL): they can then never span a
// level boundary.

import { compileTrie } from './acl-compile.ts';
import type { CompiledTrie } from './acl-compile.ts';

const SLASH = 47;
const DOLLAR = 36;

/** Token kinds of a compiled filter (shared with acl.ts). */
export const LIT = 0; // literal text (may span levels, never a wildcard)
export const CID = 1; // %c
export const USR = 2; // %u
export const PLUS = 3; // '+': one whole level
export const HASH = 4; // '#': the rest (and the parent level)

/** A filter as acl.ts compiles it: literal runs, placeholders and wildcard tokens. */
export interface FilterTokens {
  kinds: number[];
  texts: string[];
}

/** No deny filter matched (larger than any index). */
export const NONE = 0x3fffffff;

/** The answer of `matchTopic`: no allow filter matched. */
export const NO_ALLOW = -2;
/** The answer of `matchTopic`: an allow filter matched and no deny filter did. */
export const ALLOWED = -1;

/** A level holding a placeholder, maybe with literal text around it ("%c", "x-%u"). */
export class PatternEdge {
  constructor(
    readonly kinds: number[],
    readonly texts: string[],
    readonly key: string,
    readonly node: TrieNode,
  ) {}
}

export class TrieNode {
  /** Literal children: level text and node, distinct texts. */
  litTexts: string[] = [];
  litNodes: TrieNode[] = [];
  /** Literal children by level text once there are many (a rule set listing exact topics). */
  litMap: Map<string, TrieNode> | undefined = undefined;
  pats: PatternEdge[] = [];
  plus: TrieNode | undefined = undefined;
  /** A filter ending here ("a/b" at node a/b). */
  endAllow = false;
  endDeny = NONE;
  /** A filter ending in '#' below this node ("a/b/#" at node a/b). */
  hashAllow = false;
  hashDeny = NONE;
  /** Anything below (this node's own terminals included): lets the walk skip branches that change nothing. */
  allowBelow = false;
  denyBelow = NONE;
}

/** Literal children beyond this many are looked up in a Map (one substring) instead of compared in turn. */
export const MAP_FROM = 8;

/** Topics a trie answers by walking before it is compiled. */
export const COMPILE_AFTER = 256;

/**
 * Compiled tries alive at once, at most: each costs about 5 KB of heap and 0.1 ms to make, so a node
 * holding thousands of distinct hot rule sets (per-device ACLs from auth answers) walks the rest.
 */
const MAX_COMPILED = 1024;
let compiledTries = 0;
const released = new FinalizationRegistry<undefined>(() => {
  compiledTries--;
});

/** A trie of one allow list and one deny list (deny filters keep their list index). */
export class FilterTrie {
  readonly root = new TrieNode();
  /**
   * The same trie as straight-line code (acl-compile.ts), made once the trie has answered COMPILE_AFTER
   * topics (so rule sets used by one quiet session cost no code), if it is small enough; until then, and
   * for large tries, the walk below answers.
   */
  compiled: CompiledTrie | undefined = undefined;
  /** Topics left to answer by walking before compiling; -1: not compiling (large trie, or turned off). */
  uncompiled: number;

  /** `compileAfter`: topics to walk before compiling (0: at once); false keeps to the walk. */
  constructor(
    allow: readonly FilterTokens[],
    deny: readonly FilterTokens[],
    compileAfter: number | false = COMPILE_AFTER,
  ) {
    for (const f of allow) this.add(f, -1);
    deny.forEach((f, i) => this.add(f, i));
    finish(this.root);
    this.uncompiled = compileAfter === false ? -1 : Math.max(0, Math.floor(compileAfter));
  }

  private add(f: FilterTokens, denyIndex: number): void {
    let n = this.root;
    const levels = toLevels(f);
    for (let l = 0; l < levels.length; l++) {
      const lv = levels[l] as Level;
      if (lv === HASH) {
        // '#' is always last [MQTT-4.7.1-2].
        if (denyIndex < 0) n.hashAllow = true;
        else n.hashDeny = Math.min(n.hashDeny, denyIndex);
        return;
      }
      n = child(n, lv);
    }
    if (denyIndex < 0) n.endAllow = true;
    else n.endDeny = Math.min(n.endDeny, denyIndex);
  }
}

/** One level of a filter: literal text, a placeholder pattern, or a wildcard. */
type Level = string | { kinds: number[]; texts: string[] } | typeof PLUS | typeof HASH;

/** Cut a token list at '/' into levels; adjacent literal parts of a level are joined. */
function toLevels(f: FilterTokens): Level[] {
  const out: Level[] = [];
  let kinds: number[] = [];
  let texts: string[] = [];
  let wild: Level | undefined;
  const part = (kind: number, text: string): void => {
    if (kind === LIT && text === '') return;
    const last = kinds.length - 1;
    if (kind === LIT && kinds[last] === LIT) texts[last] += text;
    else {
      kinds.push(kind);
      texts.push(text);
    }
  };
  const endLevel = (): void => {
    if (wild !== undefined) out.push(wild);
    else if (kinds.length === 0) out.push('');
    else if (kinds.length === 1 && kinds[0] === LIT) out.push(texts[0] as string);
    else out.push({ kinds, texts });
    kinds = [];
    texts = [];
    wild = undefined;
  };
  for (let k = 0; k < f.kinds.length; k++) {
    const kind = f.kinds[k] as number;
    if (kind === PLUS || kind === HASH) wild = kind;
    else if (kind !== LIT) part(kind, '');
    else {
      const pieces = (f.texts[k] as string).split('/');
      part(LIT, pieces[0] as string);
      for (let p = 1; p < pieces.length; p++) {
        endLevel();
        part(LIT, pieces[p] as string);
      }
    }
  }
  endLevel();
  return out;
}

function child(n: TrieNode, lv: Exclude<Level, typeof HASH>): TrieNode {
  if (lv === PLUS) return (n.plus ??= new TrieNode());
  if (typeof lv === 'string') {
    const i = n.litTexts.indexOf(lv);
    if (i >= 0) return n.litNodes[i] as TrieNode;
    const c = new TrieNode();
    n.litTexts.push(lv);
    n.litNodes.push(c);
    return c;
  }
  const key = JSON.stringify([lv.kinds, lv.texts]);
  const known = n.pats.find((p) => p.key === key);
  if (known) return known.node;
  const c = new TrieNode();
  n.pats.push(new PatternEdge(lv.kinds, lv.texts, key, c));
  return c;
}

function children(n: TrieNode): TrieNode[] {
  return [...n.litNodes, ...n.pats.map((p) => p.node), ...(n.plus ? [n.plus] : [])];
}

/**
 * Fill in the subtree summaries, bottom up; index literal children when there are many. Iterative: a
 * filter may have tens of thousands of levels, more than the call stack holds.
 */
function finish(root: TrieNode): void {
  const order: TrieNode[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const n = todo.pop() as TrieNode;
    order.push(n);
    for (const k of children(n)) todo.push(k);
  }
  // Every child comes after its parent in `order`, so the reverse visits children first.
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i] as TrieNode;
    let allow = n.endAllow || n.hashAllow;
    let deny = Math.min(n.endDeny, n.hashDeny);
    for (const k of children(n)) {
      allow ||= k.allowBelow;
      deny = Math.min(deny, k.denyBelow);
    }
    n.allowBelow = allow;
    n.denyBelow = deny;
    if (n.litTexts.length >= MAP_FROM) {
      n.litMap = new Map(n.litTexts.map((t, k) => [t, n.litNodes[k] as TrieNode]));
    }
  }
}

// The walk's running answer, and the branches it has still to follow (a node and where its level ended).
// Matching is synchronous and never re-entered, so module state is safe and spares allocations per PUBLISH.
let gAllow = false;
let gDeny = NONE;
const pendingNodes: (TrieNode | undefined)[] = [];
const pendingEnds: number[] = [];

/**
 * The values %c and %u stand for, with what the walk can check of the client id without reading its
 * string: its length and, for an id of up to 16 ASCII characters, the id itself packed 4 characters of 7
 * bits to a small integer (a longer or non-ASCII id keeps its last two characters instead, which rejects
 * most other ids early). A session keeps these in its own object: with 100,000 sessions neither the
 * session nor its client id string is usually in the CPU cache, and each costs a memory round trip; this
 * saves the one to the string. (Usernames are compared as strings: packing them too measured no gain
 * worth another 40 bytes per session.)
 */
export interface PlaceholderValues {
  readonly c: string;
  readonly u: string;
  readonly cLen: number;
  /** The client id packed; `c0` is -1 when it does not fit, and `c1` then holds its last two characters. */
  readonly c0: number;
  readonly c1: number;
  readonly c2: number;
  readonly c3: number;
}

const INLINE_MAX = 16;

/** `v` packed 4 ASCII characters of 7 bits per number, or [-1, its last two characters, 0, 0]. */
function packed(v: string): [number, number, number, number] {
  const pack: [number, number, number, number] = [0, 0, 0, 0];
  if (v.length > INLINE_MAX) return [-1, tailOf(v, v.length, v.length), 0, 0];
  for (let k = 0; k < v.length; k++) {
    const code = v.charCodeAt(k);
    if (code > 127) return [-1, tailOf(v, v.length, v.length), 0, 0];
    pack[k >> 2] = (pack[k >> 2] as number) | (code << (7 * (k & 3)));
  }
  return pack;
}

/** Placeholder values for `c` and `u` (both safe, see the header). */
export function placeholderValues(c: string, u: string): PlaceholderValues {
  const [c0, c1, c2, c3] = packed(c);
  return { c, u, cLen: c.length, c0, c1, c2, c3 };
}

/** The last two UTF-16 code units of the `n` before `end`, as one small integer. */
function tailOf(s: string, end: number, n: number): number {
  return (s.charCodeAt(end - 1) << 16) | (n > 1 ? s.charCodeAt(end - 2) : 0);
}

/**
 * Match `topic` (no wildcards) against the trie with %c and %u as `w` gives them.
 * Returns NO_ALLOW, ALLOWED, or the index of the first deny filter that matches (allow matched too).
 * '#' also matches the parent level ("a/#" matches "a") [MQTT-4.7.1-2]; filters starting with a wildcard
 * do not match topics starting with '$' [MQTT-4.7.2-1].
 */
export function matchTopic(trie: FilterTrie, topic: string, w: PlaceholderValues): number {
  const compiled = trie.compiled;
  if (compiled !== undefined) return compiled(topic, w);
  if (trie.uncompiled >= 0 && trie.uncompiled-- === 0 && compiledTries < MAX_COMPILED) {
    trie.compiled = compileTrie(trie.root);
    if (trie.compiled !== undefined) {
      compiledTries++;
      released.register(trie, undefined);
      return trie.compiled(topic, w);
    }
  }
  gAllow = false;
  gDeny = NONE;
  const root = trie.root;
  if (root.allowBelow) walk(root, topic, topic.length, w, topic.charCodeAt(0) === DOLLAR);
  if (!gAllow) return NO_ALLOW;
  return gDeny === NONE ? ALLOWED : gDeny;
}

/** Whether entering `n` could still change the answer. */
function useful(n: TrieNode): boolean {
  return (!gAllow && n.allowBelow) || n.denyBelow < gDeny;
}

function hit(allow: boolean, deny: number): void {
  if (allow) gAllow = true;
  if (deny < gDeny) gDeny = deny;
}

/**
 * Walk the trie from `root` along the topic. At each level the walk goes on with the first child that
 * matches; a second matching child (a literal and a '+' for the same level, say) is kept on a stack and
 * followed after. No recursion: a filter may be tens of thousands of levels deep. Each trie node stands
 * for one topic level, so it is visited at most once per topic.
 */
function walk(root: TrieNode, topic: string, tl: number, w: PlaceholderValues, dollar: boolean): void {
  let sp = 0;
  let n = root;
  let j = 0;
  for (;;) {
    if (!dollar) hit(n.hashAllow, n.hashDeny);
    let next: TrieNode | undefined;
    let nextEnd = 0;
    const map = n.litMap;
    if (map !== undefined) {
      const e = levelEnd(topic, j, tl);
      const k = map.get(topic.slice(j, e));
      if (k !== undefined && useful(k)) {
        next = k;
        nextEnd = e;
      }
    } else {
      const texts = n.litTexts;
      for (let i = 0; i < texts.length; i++) {
        const t = texts[i] as string;
        const e = j + t.length;
        if (spells(topic, j, e, tl, t)) {
          const k = n.litNodes[i] as TrieNode;
          if (useful(k)) {
            next = k;
            nextEnd = e;
          }
          break; // literal levels are distinct
        }
      }
    }
    const pats = n.pats;
    for (let i = 0; i < pats.length; i++) {
      const p = pats[i] as PatternEdge;
      if (!useful(p.node)) continue;
      const e =
        p.kinds.length === 1 ? matchValue(p.kinds[0] === CID, topic, j, tl, w) : matchPattern(p, topic, j, w);
      if (e === tl || (e >= 0 && topic.charCodeAt(e) === SLASH)) {
        if (next === undefined) {
          next = p.node;
          nextEnd = e;
        } else {
          pendingNodes[sp] = p.node;
          pendingEnds[sp++] = e;
        }
      }
    }
    const plus = n.plus;
    if (plus !== undefined && !dollar && useful(plus)) {
      const e = levelEnd(topic, j, tl);
      if (next === undefined) {
        next = plus;
        nextEnd = e;
      } else {
        pendingNodes[sp] = plus;
        pendingEnds[sp++] = e;
      }
    }
    // Go on down, or take up a branch left for later; a branch may have become useless meanwhile.
    for (;;) {
      if (next !== undefined && useful(next)) {
        if (nextEnd !== tl) break;
        // The topic ends here: filters ending here match, and so do those ending in "/#" (parent level).
        hit(next.endAllow, next.endDeny);
        hit(next.hashAllow, next.hashDeny);
      }
      if (sp === 0) return;
      next = pendingNodes[--sp];
      pendingNodes[sp] = undefined; // hold no trie after the walk
      nextEnd = pendingEnds[sp] as number;
    }
    n = next;
    j = nextEnd + 1;
    dollar = false;
  }
}

/** Whether the level [j, e) exists and spells `t`; the boundary is tested first, the text compared natively. */
function spells(topic: string, j: number, e: number, tl: number, t: string): boolean {
  return (e === tl || (e < tl && topic.charCodeAt(e) === SLASH)) && topic.slice(j, e) === t;
}

function levelEnd(topic: string, j: number, tl: number): number {
  const e = topic.indexOf('/', j);
  return e < 0 ? tl : e;
}

/**
 * A level that is exactly %c (or %u): where it ends if the topic spells the value from `j`, else -1. For
 * the client id, length and level end are checked from the session's own fields first, then the packed
 * id (or its last two characters before the string itself).
 */
export function matchValue(cid: boolean, topic: string, j: number, tl: number, w: PlaceholderValues): number {
  if (!cid) {
    const e = j + w.u.length;
    return (e === tl || (e < tl && topic.charCodeAt(e) === SLASH)) && topic.slice(j, e) === w.u ? e : -1;
  }
  const n = w.cLen;
  const e = j + n;
  if (e > tl || (e < tl && topic.charCodeAt(e) !== SLASH)) return -1;
  if (w.c0 < 0) return tailOf(topic, e, n) === w.c1 && topic.slice(j, e) === w.c ? e : -1;
  const same =
    same4(topic, j, n, w.c0) &&
    (n <= 4 ||
      (same4(topic, j + 4, n - 4, w.c1) &&
        (n <= 8 || (same4(topic, j + 8, n - 8, w.c2) && (n <= 12 || same4(topic, j + 12, n - 12, w.c3))))));
  return same ? e : -1;
}

/** Whether the next min(n, 4) characters from `j` are those packed in `pack`. */
function same4(topic: string, j: number, n: number, pack: number): boolean {
  const m = n < 4 ? n : 4;
  for (let k = 0; k < m; k++) if (topic.charCodeAt(j + k) !== ((pack >>> (7 * k)) & 127)) return false;
  return true;
}

/**
 * Where the pattern ends if the topic spells it from `j`, else -1. The parts hold no '/', so a match
 * stays inside the level; the caller checks that the level ends there.
 */
export function matchPattern(p: PatternEdge, topic: string, j: number, w: PlaceholderValues): number {
  const kinds = p.kinds;
  let k = j;
  for (let i = 0; i < kinds.length; i++) {
    const kd = kinds[i];
    const v = kd === LIT ? (p.texts[i] as string) : kd === CID ? w.c : w.u;
    if (!topic.startsWith(v, k)) return -1;
    k += v.length;
  }
  return k;
}
