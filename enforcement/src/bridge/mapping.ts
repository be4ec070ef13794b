// Topic mapping between the core broker and the customer origin: a rule maps an MQTT topic filter on one
// side to a topic template on the other, e.g. `clients/+/alerts` -> `customer/acme/alerts/{1}`, where
// `{n}` is what the n-th wildcard of the filter matched. Pure functions: compiled and checked once at
// config parse, applied per message without allocation beyond the result string.
import { BridgeRuleError } from './errors.ts';

/** `out`: core broker -> customer origin; `in`: customer origin -> core broker. */
export type Direction = 'out' | 'in';
export const DIRECTIONS: readonly Direction[] = ['out', 'in'];

export interface MappingRule {
  direction: Direction;
  /** Topic filter on the source side (`+` and `#` wildcards allowed). */
  from: string;
  /** Topic template on the destination side; `{n}` inserts the n-th wildcard's match (from 1). */
  to: string;
}

type Part = { text: string } | { capture: number };

export interface CompiledRule extends MappingRule {
  index: number;
  levels: string[];
  /** Per destination level: literal text and captures, in order. */
  template: Part[][];
  /** Index (0-based) of the `#` wildcard among the captures, or -1. */
  multiLevel: number;
}

export interface Mapped {
  rule: CompiledRule;
  topic: string;
}

const PLACEHOLDER = /\{(\d+)\}/g;

function describe(r: MappingRule): string {
  return `${r.direction} ${r.from} -> ${r.to}`;
}

function checkFilter(filter: string, fail: (p: string) => never): string[] {
  if (filter.length === 0) fail('the filter is empty'); // [MQTT-4.7.3-1]
  if (filter.includes('\u0000')) fail('the filter contains U+0000'); // [MQTT-4.7.3-2]
  if (Buffer.byteLength(filter) > 65535) fail('the filter is longer than 65535 bytes'); // [MQTT-4.7.3-3]
  const levels = filter.split('/');
  levels.forEach((l, i) => {
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) {
      fail('`#` must be a whole level and the last one'); // [MQTT-4.7.1-1]
    }
    if (l.includes('+') && l !== '+') fail('`+` must be a whole level'); // [MQTT-4.7.1-2]
  });
  return levels;
}

function parseLevel(level: string, wildcards: number, fail: (p: string) => never): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of level.matchAll(PLACEHOLDER)) {
    const n = Number(m[1]);
    if (n < 1 || n > wildcards) {
      fail(`placeholder {${n}} but the filter has ${wildcards} wildcard${wildcards === 1 ? '' : 's'}`);
    }
    if (m.index > last) parts.push({ text: level.slice(last, m.index) });
    parts.push({ capture: n - 1 });
    last = m.index + m[0].length;
  }
  if (last < level.length) parts.push({ text: level.slice(last) });
  return parts;
}

/** Compile one rule; throws BridgeRuleError naming the rule and what is wrong with it. */
export function compileRule(rule: MappingRule, index: number): CompiledRule {
  const fail = (problem: string): never => {
    throw new BridgeRuleError(index, describe(rule), problem);
  };
  const levels = checkFilter(rule.from, fail);
  const wildcardLevels = levels.filter((l) => l === '+' || l === '#');
  const multiLevel = wildcardLevels.indexOf('#');
  if (rule.to.length === 0) fail('the destination topic is empty');
  if (/[+#]/.test(rule.to) || rule.to.includes('\u0000')) {
    fail('the destination topic may not contain `+`, `#` or U+0000'); // [MQTT-4.7.3-2]
  }
  if (rule.to.startsWith('$')) fail('the destination topic may not start with `$` (broker topics)');
  if (/[{}]/.test(rule.to.replace(PLACEHOLDER, ''))) fail('a `{` or `}` is not part of a `{n}` placeholder');
  const template = rule.to.split('/').map((l) => parseLevel(l, wildcardLevels.length, fail));
  for (const parts of template) {
    const multi = parts.some((p) => 'capture' in p && p.capture === multiLevel);
    if (multi && parts.length !== 1)
      fail(`placeholder {${multiLevel + 1}} stands for \`#\` and must be a whole level`);
  }
  return { ...rule, index, levels, template, multiLevel };
}

/** Compile every rule (throws on the first bad one). */
export function compileRules(rules: readonly MappingRule[]): CompiledRule[] {
  return rules.map((r, i) => compileRule(r, i));
}

/** What each wildcard of `levels` matched in `topic`, or undefined when the filter does not match. */
export function matchFilter(levels: readonly string[], topic: string): string[] | undefined {
  const t = topic.split('/');
  // [MQTT-4.7.2-1] a filter starting with a wildcard does not match topics starting with `$`.
  if ((levels[0] === '+' || levels[0] === '#') && topic.startsWith('$')) return undefined;
  const captures: string[] = [];
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i] as string;
    if (l === '#') {
      captures.push(t.slice(i).join('/')); // `a/#` matches `a` too [MQTT-4.7.1-2]: an empty capture
      return captures;
    }
    if (i >= t.length) return undefined;
    if (l === '+') captures.push(t[i] as string);
    else if (l !== t[i]) return undefined;
  }
  return t.length === levels.length ? captures : undefined;
}

function render(rule: CompiledRule, captures: readonly string[]): string {
  const out: string[] = [];
  for (const parts of rule.template) {
    let level = '';
    for (const p of parts) level += 'text' in p ? p.text : (captures[p.capture] ?? '');
    // A `#` that matched nothing leaves no empty level behind.
    const onlyMulti = parts.length === 1 && 'capture' in parts[0]! && parts[0].capture === rule.multiLevel;
    if (onlyMulti && level === '') continue;
    out.push(level);
  }
  return out.join('/');
}

/** Map a source topic by the first rule of `direction` whose filter matches it. */
export function mapTopic(
  rules: readonly CompiledRule[],
  direction: Direction,
  topic: string,
): Mapped | undefined {
  for (const rule of rules) {
    if (rule.direction !== direction) continue;
    const captures = matchFilter(rule.levels, topic);
    if (captures) {
      const mapped = render(rule, captures);
      if (mapped.length > 0) return { rule, topic: mapped };
    }
  }
  return undefined;
}

/** True when some topic matches both filters (given as levels). */
export function filtersOverlap(a: readonly string[], b: readonly string[], i = 0, j = 0): boolean {
  if (a[i] === '#' || b[j] === '#') return true;
  if (i === a.length || j === b.length) return i === a.length && j === b.length;
  const x = a[i] as string;
  const y = b[j] as string;
  return (x === '+' || y === '+' || x === y) && filtersOverlap(a, b, i + 1, j + 1);
}

/** The topics a rule can produce, as a filter: a capture level becomes `+` (or `#` for a `#` capture). */
export function outputFilter(rule: CompiledRule): string[] {
  const out: string[] = [];
  for (const parts of rule.template) {
    if (parts.some((p) => 'capture' in p && p.capture === rule.multiLevel)) {
      out.push('#'); // over-approximates levels after it: a loop check may then err on the safe side
      return out;
    }
    out.push(
      parts.some((p) => 'capture' in p) ? '+' : parts.map((p) => ('text' in p ? p.text : '')).join(''),
    );
  }
  return out;
}

export interface LoopRisk {
  /** Where the loop closes: `core` when an `in` rule feeds an `out` rule, `origin` the other way. */
  closesAt: 'core' | 'origin';
  out: CompiledRule;
  in: CompiledRule;
}

/** Pairs of rules that would carry a message back where it came from. */
export function findLoops(rules: readonly CompiledRule[]): LoopRisk[] {
  const risks: LoopRisk[] = [];
  for (const o of rules.filter((r) => r.direction === 'out')) {
    for (const i of rules.filter((r) => r.direction === 'in')) {
      if (filtersOverlap(outputFilter(i), o.levels)) risks.push({ closesAt: 'core', out: o, in: i });
      if (filtersOverlap(outputFilter(o), i.levels)) risks.push({ closesAt: 'origin', out: o, in: i });
    }
  }
  return risks;
}
