// Topic ACLs. A rule set (from the auth answer or from config) is parsed once into a template shared by
// every session with the same rules; a session substitutes %c and %u once and keeps compiled matchers, so
// a PUBLISH or a delivery costs a few string comparisons and no allocation.
//
// Semantics: deny wins over allow; no allow means deny. Wildcard subscriptions are denied unless the rule
// set says `wildcards: true`; retained PUBLISH is denied unless it says `retain: true`. A SUBSCRIBE filter
// is allowed only if an allow filter covers every topic it can match, and denied if it meets any deny
// filter at all. Deliveries from the broker are checked against the subscribe rules as topics, so retained
// or replayed messages cannot reach a device outside its ACL.
import { filterCovers, filtersIntersect, FilterMatcher, hasWildcard, isValidFilter } from './topic.ts';
import { ALLOW } from './types.ts';
import type { AclEngine, AclRuleSet, Denial, SessionAcl, SessionIdentity, Verdict } from './types.ts';
import type { ReasonCode } from '@sentinel/ingest';

/** A filter with placeholders, split at them: ['devices/', '%c', '/#']. */
interface FilterTemplate {
  source: string;
  parts: string[];
  placeholders: boolean;
}

interface ListTemplate {
  allow: FilterTemplate[];
  deny: FilterTemplate[];
}

interface RuleTemplate {
  publish: ListTemplate;
  subscribe: ListTemplate;
  retain: boolean;
  wildcards: boolean;
  placeholders: boolean;
  /** Compiled once when the rules have no placeholder: every session shares them. */
  shared?: CompiledRules;
}

interface CompiledList {
  allow: FilterMatcher[];
  deny: FilterMatcher[];
}

interface CompiledRules {
  publish: CompiledList;
  subscribe: CompiledList;
  retain: boolean;
  wildcards: boolean;
}

function parseFilter(source: string): FilterTemplate {
  const parts = source.split(/(%[cu])/).filter((p) => p.length > 0);
  return { source, parts, placeholders: parts.some((p) => p === '%c' || p === '%u') };
}

function parseList(l: { allow?: string[]; deny?: string[] } | undefined): ListTemplate {
  return { allow: (l?.allow ?? []).map(parseFilter), deny: (l?.deny ?? []).map(parseFilter) };
}

/** Values that would turn a substituted placeholder into a wildcard or another level are unsafe. */
function safeValue(v: string | undefined): v is string {
  // eslint-disable-next-line no-control-regex -- NUL is exactly what must be refused here
  return v !== undefined && v.length > 0 && !/[+#/\u0000]/.test(v);
}

/**
 * Substitute %c and %u. With an unsafe value (empty, absent, or holding '+', '#', '/') an allow rule is
 * dropped (it must not grant more than one level of one identity) and a deny rule widens to "#" from the
 * placeholder's level on (it must not deny less).
 */
function substitute(t: FilterTemplate, id: SessionIdentity, kind: 'allow' | 'deny'): string | undefined {
  if (!t.placeholders) return t.source;
  let out = '';
  for (const p of t.parts) {
    if (p === '%c' || p === '%u') {
      const v = p === '%c' ? id.clientId : id.username;
      if (!safeValue(v)) {
        if (kind === 'allow') return undefined;
        const cut = out.lastIndexOf('/');
        return cut < 0 ? '#' : `${out.slice(0, cut + 1)}#`;
      }
      out += v;
    } else out += p;
  }
  return out;
}

function compileList(l: ListTemplate, id: SessionIdentity): CompiledList {
  const compile = (ts: FilterTemplate[], kind: 'allow' | 'deny'): FilterMatcher[] =>
    ts.flatMap((t) => {
      const f = substitute(t, id, kind);
      return f !== undefined && isValidFilter(f) ? [new FilterMatcher(f)] : [];
    });
  return { allow: compile(l.allow, 'allow'), deny: compile(l.deny, 'deny') };
}

function compile(t: RuleTemplate, id: SessionIdentity): CompiledRules {
  return {
    publish: compileList(t.publish, id),
    subscribe: compileList(t.subscribe, id),
    retain: t.retain,
    wildcards: t.wildcards,
  };
}

function anyMatch(ms: FilterMatcher[], topic: string): FilterMatcher | undefined {
  for (let i = 0; i < ms.length; i++) {
    const m = ms[i] as FilterMatcher;
    if (m.matches(topic)) return m;
  }
  return undefined;
}

function denial(
  reason: ReasonCode,
  ruleId: string,
  matched: string,
  values?: Record<string, string>,
): Denial {
  return { ok: false, reason, rule: values ? { id: ruleId, matched, values } : { id: ruleId, matched } };
}

/** Display-safe and bounded: topics come from the client. */
function shown(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what gets masked
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 256 ? `${clean.slice(0, 256)}…` : clean;
}

class CompiledSessionAcl implements SessionAcl {
  constructor(private readonly r: CompiledRules) {}

  canPublish(topic: string, retain: boolean): Verdict {
    const p = this.r.publish;
    const d = anyMatch(p.deny, topic);
    if (d !== undefined)
      return denial('acl.publish_denied', 'acl.publish.deny', shown(topic), { filter: d.filter });
    if (anyMatch(p.allow, topic) === undefined)
      return denial('acl.publish_denied', 'acl.publish.no_allow', shown(topic));
    if (retain && !this.r.retain) return denial('acl.retain_denied', 'acl.retain', shown(topic));
    return ALLOW;
  }

  canSubscribe(filter: string): Verdict {
    const s = this.r.subscribe;
    if (!this.r.wildcards && hasWildcard(filter))
      return denial('acl.wildcard_denied', 'acl.wildcards', shown(filter));
    for (const d of s.deny) {
      if (filtersIntersect(d.filter, filter)) {
        return denial('acl.subscribe_denied', 'acl.subscribe.deny', shown(filter), { filter: d.filter });
      }
    }
    for (const a of s.allow) if (filterCovers(a.filter, filter)) return ALLOW;
    return denial('acl.subscribe_denied', 'acl.subscribe.no_allow', shown(filter));
  }

  canReceive(topic: string): Verdict {
    const s = this.r.subscribe;
    const d = anyMatch(s.deny, topic);
    if (d !== undefined)
      return denial('acl.deliver_denied', 'acl.deliver.deny', shown(topic), { filter: d.filter });
    if (anyMatch(s.allow, topic) === undefined)
      return denial('acl.deliver_denied', 'acl.deliver.no_allow', shown(topic));
    return ALLOW;
  }
}

export interface AclEngineOptions {
  /** Rules for sessions whose auth answer carried none. */
  defaultRules: AclRuleSet;
  /** Rules by client id, then by username, used before the default. */
  clients?: Record<string, AclRuleSet>;
  users?: Record<string, AclRuleSet>;
  /** Templates kept for rule sets that arrive as fresh objects (auth answers). */
  maxTemplates?: number;
}

export class TopicAclEngine implements AclEngine {
  /** Config rule objects are the same object for every session: found without serializing. */
  private readonly byObject = new WeakMap<AclRuleSet, RuleTemplate>();
  /** Auth answers are new objects each time: found by their canonical text. */
  private readonly byText = new Map<string, RuleTemplate>();
  private readonly maxTemplates: number;

  constructor(private readonly opts: AclEngineOptions) {
    this.maxTemplates = opts.maxTemplates ?? 10_000;
  }

  /** Rules for an identity: the auth answer's, else a per-client or per-user rule, else the default. */
  rulesFor(id: SessionIdentity, fromAuth: AclRuleSet | undefined): AclRuleSet {
    if (fromAuth) return fromAuth;
    const c = this.opts.clients;
    if (c && Object.prototype.hasOwnProperty.call(c, id.clientId)) return c[id.clientId] as AclRuleSet;
    const u = this.opts.users;
    if (u && id.username !== undefined && Object.prototype.hasOwnProperty.call(u, id.username)) {
      return u[id.username] as AclRuleSet;
    }
    return this.opts.defaultRules;
  }

  forSession(id: SessionIdentity, rules: AclRuleSet | undefined): SessionAcl {
    const t = this.template(this.rulesFor(id, rules));
    return new CompiledSessionAcl(t.shared ?? compile(t, id));
  }

  /** Templates held (bounded). */
  templates(): number {
    return this.byText.size;
  }

  private template(rules: AclRuleSet): RuleTemplate {
    const known = this.byObject.get(rules);
    if (known) return known;
    const text = canonical(rules);
    let t = this.byText.get(text);
    if (t === undefined) {
      t = buildTemplate(rules);
      if (this.byText.size >= this.maxTemplates) {
        const oldest = this.byText.keys().next();
        if (!oldest.done) this.byText.delete(oldest.value);
      }
      this.byText.set(text, t);
    }
    this.byObject.set(rules, t);
    return t;
  }
}

function canonical(r: AclRuleSet): string {
  const l = (x?: { allow?: string[]; deny?: string[] }) => [x?.allow ?? [], x?.deny ?? []];
  return JSON.stringify([l(r.publish), l(r.subscribe), r.retain === true, r.wildcards === true]);
}

function buildTemplate(rules: AclRuleSet): RuleTemplate {
  const publish = parseList(rules.publish);
  const subscribe = parseList(rules.subscribe);
  const placeholders = [...publish.allow, ...publish.deny, ...subscribe.allow, ...subscribe.deny].some(
    (f) => f.placeholders,
  );
  const t: RuleTemplate = {
    publish,
    subscribe,
    retain: rules.retain === true,
    wildcards: rules.wildcards === true,
    placeholders,
  };
  if (!placeholders) t.shared = compile(t, { clientId: '', ip: '' });
  return t;
}
