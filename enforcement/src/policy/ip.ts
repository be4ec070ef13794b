// IP addresses and CIDR ranges for the penalty box: parsed to bytes (IPv4-mapped IPv6 folds to IPv4, so a
// ban on 192.0.2.1 also covers ::ffff:192.0.2.1 from a dual-stack listener) and kept in a binary prefix
// trie, so a lookup walks at most 32 or 128 bits whatever the number of ranges.
import { isIPv4, isIPv6 } from 'node:net';

export interface ParsedIp {
  v: 4 | 6;
  bytes: Uint8Array;
}

function parseV4(s: string, out: Uint8Array, at: number): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const n = Number(parts[i]);
    if (!Number.isInteger(n) || n < 0 || n > 255) return false;
    out[at + i] = n;
  }
  return true;
}

function parseV6(s: string): Uint8Array | undefined {
  const bytes = new Uint8Array(16);
  let text = s;
  let tail4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) >= 0) {
    tail4 = new Uint8Array(4);
    if (!parseV4(text.slice(lastColon + 1), tail4, 0)) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const hs = head === '' ? [] : head.split(':');
  const rs = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined ? hs : [...hs, ...new Array<string>(8 - hs.length - rs.length).fill('0'), ...rs];
  if (groups.length !== 8) return undefined;
  for (let i = 0; i < 8; i++) {
    const n = parseInt(groups[i] as string, 16);
    bytes[2 * i] = n >> 8;
    bytes[2 * i + 1] = n & 255;
  }
  if (tail4) bytes.set(tail4, 12);
  return bytes;
}

/** Parse an address; a zone id (fe80::1%eth0) is dropped; IPv4-mapped IPv6 becomes IPv4. */
export function parseIp(input: string): ParsedIp | undefined {
  const pct = input.indexOf('%');
  const s = pct >= 0 ? input.slice(0, pct) : input;
  if (isIPv4(s)) {
    const b = new Uint8Array(4);
    return parseV4(s, b, 0) ? { v: 4, bytes: b } : undefined;
  }
  if (!isIPv6(s)) return undefined;
  const b = parseV6(s.toLowerCase());
  if (!b) return undefined;
  const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return mapped ? { v: 4, bytes: b.slice(12) } : { v: 6, bytes: b };
}

/** One text per address however it was written: dotted IPv4 or eight full hex groups. */
export function canonicalIp(input: string): string | undefined {
  const p = parseIp(input);
  if (!p) return undefined;
  if (p.v === 4) return p.bytes.join('.');
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2)
    g.push((((p.bytes[i] as number) << 8) | (p.bytes[i + 1] as number)).toString(16));
  return g.join(':');
}

export interface ParsedCidr extends ParsedIp {
  prefix: number;
}

/** "10.0.0.0/8", "2001:db8::/32"; a bare address is a /32 or /128. */
export function parseCidr(input: string): ParsedCidr | undefined {
  const slash = input.indexOf('/');
  const addr = parseIp(slash >= 0 ? input.slice(0, slash) : input);
  if (!addr) return undefined;
  const max = addr.v === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const t = input.slice(slash + 1);
    if (!/^\d{1,3}$/.test(t)) return undefined;
    prefix = Number(t);
    // An IPv4-mapped range written in IPv6 form keeps its meaning after folding to IPv4.
    if (addr.v === 4 && input.includes(':')) prefix -= 96;
    if (prefix < 0 || prefix > max) return undefined;
  }
  return { ...addr, prefix };
}

const bit = (bytes: Uint8Array, i: number): 0 | 1 =>
  (((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1) as 0 | 1;

interface TrieNode<T> {
  zero?: TrieNode<T>;
  one?: TrieNode<T>;
  value?: T;
}

/** Binary prefix trie over address bits, one root per family. */
export class PrefixTrie<T> {
  private readonly roots: Record<4 | 6, TrieNode<T>> = { 4: {}, 6: {} };
  private count = 0;

  get size(): number {
    return this.count;
  }

  set(c: ParsedCidr, value: T): void {
    let n = this.roots[c.v];
    for (let i = 0; i < c.prefix; i++) {
      const key = bit(c.bytes, i) ? 'one' : 'zero';
      n = n[key] ??= {};
    }
    if (n.value === undefined) this.count += 1;
    n.value = value;
  }

  delete(c: ParsedCidr): boolean {
    let n: TrieNode<T> | undefined = this.roots[c.v];
    for (let i = 0; i < c.prefix && n; i++) n = bit(c.bytes, i) ? n.one : n.zero;
    if (!n || n.value === undefined) return false;
    n.value = undefined;
    this.count -= 1;
    return true;
  }

  /** Every value on the path of `ip`, shortest prefix first, until `accept` returns true. */
  find(ip: ParsedIp, accept: (value: T) => boolean): T | undefined {
    let n: TrieNode<T> | undefined = this.roots[ip.v];
    const max = ip.v === 4 ? 32 : 128;
    for (let i = 0; n; i++) {
      if (n.value !== undefined && accept(n.value)) return n.value;
      if (i === max) break;
      n = bit(ip.bytes, i) ? n.one : n.zero;
    }
    return undefined;
  }

  *values(): IterableIterator<T> {
    const stack: TrieNode<T>[] = [this.roots[4], this.roots[6]];
    while (stack.length) {
      const n = stack.pop() as TrieNode<T>;
      if (n.value !== undefined) yield n.value;
      if (n.zero) stack.push(n.zero);
      if (n.one) stack.push(n.one);
    }
  }
}
