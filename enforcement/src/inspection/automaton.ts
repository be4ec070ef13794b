// A multi-pattern matcher: Aho–Corasick over bytes, ASCII case-folded, compiled into a dense DFA.
// Every literal of every rule is found in ONE left-to-right pass, whatever the number of rules: per byte
// the scan does one class lookup and one table lookup. Bytes that occur in no literal share class 0,
// so the table has (states × classes) cells with classes ≈ the distinct bytes of the rule set.

/** Fold A–Z to a–z: literals and payload bytes meet in the same case. */
const FOLD = new Uint8Array(256);
for (let b = 0; b < 256; b++) FOLD[b] = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;

export function foldCase(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = FOLD[bytes[i]!]!;
  return out;
}

export interface Automaton {
  /** Byte → class (case-folded). */
  readonly classes: Uint8Array;
  readonly classCount: number;
  /**
   * Transition table; entries are row offsets (state × classCount), so the scan adds, never multiplies.
   * An entry is stored bit-inverted (negative) when its target state ends a literal: one sign test per
   * byte is the whole output check.
   */
  readonly delta: Int32Array;
  /** Per state row offset / classCount: how many literals end here (0 for most states). */
  readonly outCount: Uint16Array;
  /** Per state: first index into `outputs`. */
  readonly outStart: Int32Array;
  /** Literal ids, grouped by state. */
  readonly outputs: Int32Array;
  /** Length of each literal, by id. */
  readonly lengths: Int32Array;
  readonly states: number;
}

interface BuildNode {
  next: Map<number, number>;
  fail: number;
  out: number[];
}

/** Compile literals (already case-folded, non-empty) into a DFA. The literal id is its array index. */
export function buildAutomaton(literals: readonly Uint8Array[]): Automaton {
  const nodes: BuildNode[] = [{ next: new Map(), fail: 0, out: [] }];
  const classes = new Uint8Array(256);
  let classCount = 1;
  const classOf = (b: number): number => {
    if (classes[b] === 0) {
      classes[b] = classCount++;
      if (classCount > 255) throw new RangeError('too many distinct bytes in the rule set');
    }
    return classes[b]!;
  };
  literals.forEach((lit, id) => {
    let s = 0;
    for (const b of lit) {
      const c = classOf(b);
      let n = nodes[s]!.next.get(c);
      if (n === undefined) {
        n = nodes.length;
        nodes.push({ next: new Map(), fail: 0, out: [] });
        nodes[s]!.next.set(c, n);
      }
      s = n;
    }
    nodes[s]!.out.push(id);
  });
  // Upper-case letters share the class of their lower-case form.
  for (let b = 0x41; b <= 0x5a; b++) classes[b] = classes[b + 0x20]!;

  const delta = new Int32Array(nodes.length * classCount);
  // Breadth-first: a node's failure target is always finished before the node itself.
  const queue: number[] = [];
  for (let c = 1; c < classCount; c++) {
    const n = nodes[0]!.next.get(c);
    if (n !== undefined) {
      queue.push(n);
      delta[c] = n * classCount;
    }
  }
  for (let qi = 0; qi < queue.length; qi++) {
    const s = queue[qi]!;
    const node = nodes[s]!;
    node.out.push(...nodes[node.fail]!.out);
    for (let c = 0; c < classCount; c++) {
      const n = node.next.get(c);
      const viaFail = delta[node.fail * classCount + c]!;
      if (n === undefined) {
        delta[s * classCount + c] = viaFail;
      } else {
        nodes[n]!.fail = viaFail / classCount;
        delta[s * classCount + c] = n * classCount;
        queue.push(n);
      }
    }
  }

  for (let i = 0; i < delta.length; i++) {
    const target = delta[i]! / classCount;
    if (nodes[target]!.out.length > 0) delta[i] = ~delta[i]!;
  }

  const outCount = new Uint16Array(nodes.length);
  const outStart = new Int32Array(nodes.length);
  const flat: number[] = [];
  nodes.forEach((n, s) => {
    outStart[s] = flat.length;
    outCount[s] = n.out.length;
    flat.push(...n.out);
  });
  return {
    classes,
    classCount,
    delta,
    outCount,
    outStart,
    outputs: Int32Array.from(flat),
    lengths: Int32Array.from(literals.map((l) => l.length)),
    states: nodes.length,
  };
}

/**
 * Scan `buf[0..len)`; call `onHit(literalId, endExclusive)` for every literal occurrence. `onHit`
 * returning true stops the scan. The loop body is the whole cost of a clean payload.
 */
export function scan(
  a: Automaton,
  buf: Uint8Array,
  len: number,
  onHit: (literal: number, end: number) => boolean,
): void {
  const delta = a.delta;
  const cls = a.classes;
  const outCount = a.outCount;
  const cc = a.classCount;
  let s = 0;
  for (let i = 0; i < len; i++) {
    s = delta[s + cls[buf[i]!]!]!;
    if (s < 0) {
      s = ~s;
      const state = s / cc;
      const start = a.outStart[state]!;
      const stop = start + outCount[state]!;
      for (let k = start; k < stop; k++) if (onHit(a.outputs[k]!, i + 1)) return;
    }
  }
}
