// Topic and topic-filter matching without splitting strings: the hot path (every PUBLISH, every delivery)
// compares characters by index and allocates nothing.

const SLASH = 47; // '/'
const PLUS = 43; // '+'
const HASH = 35; // '#'
const DOLLAR = 36; // '$'

export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/** Whether a filter is well formed: '#' only last and alone in its level, '+' alone in its level [MQTT-4.7.1-2/3]. */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0) return false;
  for (let i = 0; i < filter.length; i++) {
    const c = filter.charCodeAt(i);
    if (c === HASH || c === PLUS) {
      const alonePrev = i === 0 || filter.charCodeAt(i - 1) === SLASH;
      const aloneNext = i === filter.length - 1 || filter.charCodeAt(i + 1) === SLASH;
      if (!alonePrev || !aloneNext) return false;
      if (c === HASH && i !== filter.length - 1) return false;
    }
  }
  return true;
}

/**
 * Whether `topic` (no wildcards) matches `filter`. '#' also matches the parent level ("a/#" matches "a")
 * [MQTT-4.7.1-2]; a filter starting with a wildcard does not match topics starting with '$' [MQTT-4.7.2-1].
 */
export function topicMatches(filter: string, topic: string): boolean {
  const fl = filter.length;
  const tl = topic.length;
  if (tl > 0 && topic.charCodeAt(0) === DOLLAR && fl > 0) {
    const f0 = filter.charCodeAt(0);
    if (f0 === PLUS || f0 === HASH) return false;
  }
  let i = 0;
  let j = 0;
  while (i < fl) {
    const c = filter.charCodeAt(i);
    if (c === HASH) return true;
    if (c === PLUS) {
      while (j < tl && topic.charCodeAt(j) !== SLASH) j++;
      i++;
      continue;
    }
    if (j >= tl) {
      // Topic ended: only a trailing "/#" still matches (the parent level).
      return c === SLASH && i + 2 === fl && filter.charCodeAt(i + 1) === HASH;
    }
    if (topic.charCodeAt(j) !== c) return false;
    i++;
    j++;
  }
  return j === tl;
}

/** Split into levels; only for the SUBSCRIBE path (filter against filter), never per PUBLISH. */
function levels(s: string): string[] {
  return s.split('/');
}

/** Whether every topic that `inner` matches is also matched by `outer` (both filters). */
export function filterCovers(outer: string, inner: string): boolean {
  const o = levels(outer);
  const n = levels(inner);
  if ((n[0] === '+' || n[0] === '#') && o[0] !== undefined && o[0].startsWith('$')) return false;
  for (let i = 0; i < o.length; i++) {
    const ol = o[i] as string;
    if (ol === '#') return true;
    const nl = n[i];
    if (nl === undefined) return false;
    if (nl === '#') return false;
    if (ol === '+') continue;
    if (nl === '+' || nl !== ol) return false;
  }
  return o.length === n.length;
}

/** Whether some topic is matched by both filters. */
export function filtersIntersect(a: string, b: string): boolean {
  const x = levels(a);
  const y = levels(b);
  const dollarX = x[0]?.startsWith('$') ?? false;
  const dollarY = y[0]?.startsWith('$') ?? false;
  if ((dollarX && (y[0] === '+' || y[0] === '#')) || (dollarY && (x[0] === '+' || x[0] === '#')))
    return false;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const xl = x[i];
    const yl = y[i];
    if (xl === '#' || yl === '#') return true;
    if (xl === undefined || yl === undefined) {
      // One is longer: they still meet if the longer one continues with just "#" (parent-level match).
      const rest = xl === undefined ? y.slice(i) : x.slice(i);
      return rest.length === 1 && rest[0] === '#';
    }
    if (xl === '+' || yl === '+') continue;
    if (xl !== yl) return false;
  }
  return true;
}

/**
 * A compiled filter: exact filters compare with ===, "prefix/#" filters with startsWith, the rest by
 * index scanning. Built once per session (or shared), used per packet.
 */
export class FilterMatcher {
  private readonly kind: 0 | 1 | 2; // 0 exact, 1 prefix/#, 2 general
  private readonly prefix: string;
  private readonly parent: string;

  constructor(readonly filter: string) {
    const plus = filter.includes('+');
    const hash = filter.endsWith('#');
    if (!plus && !hash) {
      this.kind = 0;
      this.prefix = filter;
      this.parent = filter;
    } else if (!plus && filter.length >= 2 && filter.endsWith('/#') && !filter.startsWith('$')) {
      this.kind = 1;
      this.prefix = filter.slice(0, -1);
      this.parent = filter.slice(0, -2);
    } else {
      this.kind = 2;
      this.prefix = '';
      this.parent = '';
    }
  }

  matches(topic: string): boolean {
    switch (this.kind) {
      case 0:
        return topic === this.prefix;
      case 1:
        return topic.startsWith(this.prefix) || topic === this.parent;
      default:
        return topicMatches(this.filter, topic);
    }
  }
}
