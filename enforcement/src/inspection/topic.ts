// MQTT topic filter matching for per-rule topic filters and signed-topic settings. `+` matches one level,
// `#` the rest (including the parent level) [MQTT-4.7.1-2]; filters starting with a wildcard do not
// match topics beginning with `$` [MQTT-4.7.2-1].

export function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.length > 65535) return false;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return false; // [MQTT-4.7.1-2]
    if (l.includes('+') && l !== '+') return false; // [MQTT-4.7.1-3]
  }
  return true;
}

export function topicMatches(filter: string, topic: string): boolean {
  if (filter === '#') return !topic.startsWith('$');
  if ((filter.startsWith('+') || filter.startsWith('#')) && topic.startsWith('$')) return false;
  let fi = 0;
  let ti = 0;
  const fl = filter.length;
  const tl = topic.length;
  while (fi < fl) {
    const fEnd = nextSlash(filter, fi);
    const level = filter.slice(fi, fEnd);
    if (level === '#') return true;
    if (ti > tl) return false;
    const tEnd = nextSlash(topic, ti);
    if (level !== '+' && level !== topic.slice(ti, tEnd)) return false;
    fi = fEnd + 1;
    ti = tEnd + 1;
    // `a/#` matches `a`: the filter's next level is the last and is `#`.
    if (ti > tl && fi < fl && filter.slice(fi) === '#') return true;
  }
  return ti > tl;
}

function nextSlash(s: string, from: number): number {
  const i = s.indexOf('/', from);
  return i < 0 ? s.length : i;
}

/** A list of filters compiled once; `matches` is what the hot path calls. */
export class FilterSet {
  readonly filters: readonly string[];
  constructor(filters: readonly string[]) {
    this.filters = filters;
  }
  matches(topic: string): boolean {
    for (const f of this.filters) if (topicMatches(f, topic)) return true;
    return false;
  }
}
