// Topic ACLs. A rule set (from the auth answer or from config) is compiled once into a template that every
// session with the same rules shares; %c and %u stay placeholders in it and are compared in place against
// the session's client id and username. A session therefore holds only its identity and a pointer to the
// shared template: with 100,000 sessions the matchers stay hot in the CPU cache. The publish lists and the
// subscribe lists are each merged into one trie of levels (acl-trie.ts), so a PUBLISH or a delivery is one
// walk over the topic by index that answers allow and deny together, without splitting it.
//
// Semantics: deny wins over allow; no allow means deny. Wildcard subscriptions are denied unless the rule
// set says `wildcards: true`; retained PUBLISH is denied unless it says `retain: true`. A SUBSCRIBE filter
// is allowed only if an allow filter covers every topic it can match, and denied if it meets any deny
// filter at all. Deliveries from the broker are checked against the subscribe rules as topics, so retained
// or replayed messages cannot reach a device outside its ACL.
//
// An identity value that could change a filter's shape (empty, absent, or holding '+', '#', '/' or NUL)
// never widens an allow: allow rules using it match nothing. A deny rule using it widens to '#' from the
// placeholder's level on, so it never denies less.
import {
  ALLOWED,
  CID,
  COMPILE_AFTER,
  FilterTrie,
  HASH,
  LIT,
  matchTopic,
  NO_ALLOW,
  placeholderValues,
  PLUS,
  USR,
} from './acl-trie.ts';
import type { FilterTokens, PlaceholderValues } from './acl-trie.ts';
import { filterCovers, filtersIntersect, hasWildcard, isValidFilter } from './topic.ts';
import { ALLOW } from './types.ts';
import type { AclEngine, AclRuleSet, Denial, SessionAcl, SessionIdentity, Verdict } from './types.ts';
import type { ReasonCode } from '@sentinel/ingest';

/** A compiled filter: the tokens of acl-trie.ts plus what the SUBSCRIBE path and denials need. */
interface CompiledFilter extends FilterTokens {
  source: string;
  /** Uses %c or %u. */
  vars: boolean;
  /** The denial this filter gives when it is in a deny list (shared: denials on the hot path allocate nothing). */
  denial?: Denial;
}

interface RuleTemplate {
  pubAllow: CompiledFilter[];
  pubDeny: CompiledFilter[];
  subAllow: CompiledFilter[];
  subDeny: CompiledFilter[];
  /** The publish lists (and the subscribe lists) as one trie each: what PUBLISH and deliveries walk. */
  pub: FilterTrie;
  sub: FilterTrie;
  retain: boolean;
  wildcards: boolean;
  /** Some filter uses %u (an absent username then needs the per-session rewrite). */
  usesUsername: boolean;
}

/** Split a filter into literal runs, placeholders and wildcard levels; undefined if malformed. */
function compileFilter(source: string): CompiledFilter | undefined {
  // Validate with placeholders standing in for a plain level text.
  if (!isValidFilter(source.replace(/%[cu]/g, 'x'))) return undefined;
  const kinds: number[] = [];
  const texts: string[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit) {
      kinds.push(LIT);
      texts.push(lit);
      lit = '';
    }
  };
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] as string;
    if (ch === '%' && (source[i + 1] === 'c' || source[i + 1] === 'u')) {
      flush();
      kinds.push(source[i + 1] === 'c' ? CID : USR);
      texts.push('');
      i++;
    } else if (ch === '+' || ch === '#') {
      flush();
      kinds.push(ch === '+' ? PLUS : HASH);
      texts.push('');
    } else lit += ch;
  }
  flush();
  return {
    source,
    kinds,
    texts,
    vars: kinds.includes(CID) || kinds.includes(USR),
  };
}

/** Safe to compare in place: cannot add a level or a wildcard. */
function safeValue(v: string | undefined): v is string {
  // eslint-disable-next-line no-control-regex -- NUL is exactly what must be refused here
  return v !== undefined && v.length > 0 && !/[+#/\u0000]/.test(v);
}

/** The filter with placeholders written out; for unsafe values see the header comment. */
function substitute(f: CompiledFilter, id: SessionIdentity, kind: 'allow' | 'deny'): string | undefined {
  let out = '';
  for (let k = 0; k < f.kinds.length; k++) {
    const kd = f.kinds[k];
    if (kd === CID || kd === USR) {
      const v = kd === CID ? id.clientId : id.username;
      if (!safeValue(v)) {
        if (kind === 'allow') return undefined;
        const cut = out.lastIndexOf('/');
        return cut < 0 ? '#' : `${out.slice(0, cut + 1)}#`;
      }
      out += v;
    } else out += kd === PLUS ? '+' : kd === HASH ? '#' : (f.texts[k] as string);
  }
  return out;
}

/** Display-safe and bounded: topics come from the client. Returns `s` itself in the common case. */
function shown(s: string): string {
  let clean = s.length <= 256;
  for (let i = 0; clean && i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 0x20 || ch === 0x7f) clean = false;
  }
  if (clean) return s;
  // eslint-disable-next-line no-control-regex -- control characters are what gets masked
  const masked = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return masked.length > 256 ? `${masked.slice(0, 256)}…` : masked;
}

/**
 * A denial shared by every session and packet, frozen: PUBLISH and delivery denials allocate nothing (a
 * flood of denied packets must not feed the garbage collector). The topic is in the event's mqtt.topic.
 */
function sharedDenial(reason: ReasonCode, ruleId: string, filter?: string): Denial {
  const rule = filter === undefined ? { id: ruleId } : { id: ruleId, values: Object.freeze({ filter }) };
  return Object.freeze({ ok: false as const, reason, rule: Object.freeze(rule) });
}
const PUBLISH_NO_ALLOW = sharedDenial('acl.publish_denied', 'acl.publish.no_allow');
const RETAIN_DENIED = sharedDenial('acl.retain_denied', 'acl.retain');
const DELIVER_NO_ALLOW = sharedDenial('acl.deliver_denied', 'acl.deliver.no_allow');

/** SUBSCRIBE denials are rare and name the filter asked for. */
function denial(reason: ReasonCode, ruleId: string, matched: string, filter?: string): Denial {
  return {
    ok: false,
    reason,
    rule:
      filter === undefined
        ? { id: ruleId, matched: shown(matched) }
        : { id: ruleId, matched: shown(matched), values: { filter } },
  };
}

/** The common case: the identity's values are safe, matching runs on the shared template. */
class TemplateSessionAcl implements SessionAcl, PlaceholderValues {
  // What the trie walk reads of %c and %u (see PlaceholderValues), kept in this object itself.
  readonly c: string;
  readonly u: string;
  readonly cLen: number;
  readonly c0: number;
  readonly c1: number;
  readonly c2: number;
  readonly c3: number;
  private subFilters: { allow: string[]; deny: string[] } | undefined;

  constructor(
    private readonly t: RuleTemplate,
    private readonly id: SessionIdentity,
  ) {
    const v = placeholderValues(id.clientId, id.username ?? '');
    this.c = v.c;
    this.u = v.u;
    this.cLen = v.cLen;
    this.c0 = v.c0;
    this.c1 = v.c1;
    this.c2 = v.c2;
    this.c3 = v.c3;
  }

  canPublish(topic: string, retain: boolean): Verdict {
    // A topic no allow covers is denied either way; else the first deny filter that matches denies.
    const t = this.t;
    const r = matchTopic(t.pub, topic, this);
    if (r === NO_ALLOW) return PUBLISH_NO_ALLOW;
    if (r !== ALLOWED) return (t.pubDeny[r] as CompiledFilter).denial as Denial;
    if (retain && !t.retain) return RETAIN_DENIED;
    return ALLOW;
  }

  canReceive(topic: string): Verdict {
    const t = this.t;
    const r = matchTopic(t.sub, topic, this);
    if (r === NO_ALLOW) return DELIVER_NO_ALLOW;
    if (r !== ALLOWED) return (t.subDeny[r] as CompiledFilter).denial as Denial;
    return ALLOW;
  }

  canSubscribe(filter: string): Verdict {
    if (!this.t.wildcards && hasWildcard(filter))
      return denial('acl.wildcard_denied', 'acl.wildcards', filter);
    // Filter against filter is rare (one per SUBSCRIBE): the written-out filters are made on first use.
    this.subFilters ??= writtenOut(this.t, this.id);
    for (const d of this.subFilters.deny) {
      if (filtersIntersect(d, filter)) return denial('acl.subscribe_denied', 'acl.subscribe.deny', filter, d);
    }
    for (const a of this.subFilters.allow) if (filterCovers(a, filter)) return ALLOW;
    return denial('acl.subscribe_denied', 'acl.subscribe.no_allow', filter);
  }
}

function writtenOut(t: RuleTemplate, id: SessionIdentity): { allow: string[]; deny: string[] } {
  const list = (fs: CompiledFilter[], kind: 'allow' | 'deny'): string[] =>
    fs.flatMap((f) => {
      const s = substitute(f, id, kind);
      return s === undefined ? [] : [s];
    });
  return { allow: list(t.subAllow, 'allow'), deny: list(t.subDeny, 'deny') };
}

/** The filter with safe values turned into literals; unsafe ones as the header comment says. */
function substituteTokens(
  f: CompiledFilter,
  id: SessionIdentity,
  kind: 'allow' | 'deny',
): CompiledFilter | undefined {
  const kinds: number[] = [];
  const texts: string[] = [];
  for (let k = 0; k < f.kinds.length; k++) {
    const kd = f.kinds[k] as number;
    if (kd !== CID && kd !== USR) {
      kinds.push(kd);
      texts.push(f.texts[k] as string);
      continue;
    }
    const v = kd === CID ? id.clientId : id.username;
    if (safeValue(v)) {
      kinds.push(LIT);
      texts.push(v);
      continue;
    }
    if (kind === 'allow') return undefined;
    // Deny: cut back to the start of this level and deny everything below it.
    while (kinds.length > 0) {
      const last = texts[texts.length - 1] as string;
      const cut = kinds[kinds.length - 1] === LIT ? last.lastIndexOf('/') : -1;
      if (cut >= 0) {
        texts[texts.length - 1] = last.slice(0, cut + 1);
        break;
      }
      kinds.pop();
      texts.pop();
    }
    kinds.push(HASH);
    texts.push('');
    break;
  }
  const out: CompiledFilter = {
    source: f.source,
    kinds,
    texts,
    vars: false,
  };
  if (f.denial) out.denial = f.denial;
  return out;
}

/** An identity whose client id or username cannot be compared in place: its own copy of the rules. */
function unsafeIdentityTemplate(t: RuleTemplate, id: SessionIdentity): RuleTemplate {
  const rewrite = (fs: CompiledFilter[], kind: 'allow' | 'deny'): CompiledFilter[] =>
    fs.flatMap((f) => {
      if (!f.vars) return [f];
      const c = substituteTokens(f, id, kind);
      return c ? [c] : [];
    });
  return withTries(
    {
      pubAllow: rewrite(t.pubAllow, 'allow'),
      pubDeny: rewrite(t.pubDeny, 'deny'),
      subAllow: rewrite(t.subAllow, 'allow'),
      subDeny: rewrite(t.subDeny, 'deny'),
      retain: t.retain,
      wildcards: t.wildcards,
      usesUsername: false,
    },
    false,
  );
}

/** `compileAfter`: see FilterTrie; false for one session's own rewritten rules (they stay walked). */
function withTries(lists: Omit<RuleTemplate, 'pub' | 'sub'>, compileAfter: number | false): RuleTemplate {
  return {
    ...lists,
    pub: new FilterTrie(lists.pubAllow, lists.pubDeny, compileAfter),
    sub: new FilterTrie(lists.subAllow, lists.subDeny, compileAfter),
  };
}

export interface AclEngineOptions {
  /** Rules for sessions whose auth answer carried none. */
  defaultRules: AclRuleSet;
  /** Rules by client id, then by username, used before the default. */
  clients?: Record<string, AclRuleSet>;
  users?: Record<string, AclRuleSet>;
  /** Templates kept for rule sets that arrive as fresh objects (auth answers). */
  maxTemplates?: number;
  /**
   * Topics a template's trie answers by walking before it becomes straight-line code (acl-compile.ts);
   * 0 compiles at once, false never (the tests compare all three).
   */
  compileAfter?: number | false;
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
    const safe = safeValue(id.clientId) && (id.username === undefined || safeValue(id.username));
    if (safe && id.username !== undefined) return new TemplateSessionAcl(t, id);
    // An absent username is "unsafe" for %u only; rewriting is needed only if the rules use a bad value.
    return new TemplateSessionAcl(safe && !t.usesUsername ? t : unsafeIdentityTemplate(t, id), id);
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
      t = buildTemplate(rules, this.opts.compileAfter ?? COMPILE_AFTER);
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

/**
 * Malformed filters are dropped: from an allow list they grant nothing; in a deny list they become '#'.
 * Deny filters carry their shared denial (`denied` is the reason and rule id for this list).
 */
function compileList(sources: string[] | undefined, denied?: [ReasonCode, string]): CompiledFilter[] {
  return (sources ?? []).flatMap((s) => {
    const f = compileFilter(s) ?? (denied ? (compileFilter('#') as CompiledFilter) : undefined);
    if (f === undefined) return [];
    if (denied) f.denial = sharedDenial(denied[0], denied[1], s);
    return [f];
  });
}

function buildTemplate(rules: AclRuleSet, compileAfter: number | false): RuleTemplate {
  const lists = {
    pubAllow: compileList(rules.publish?.allow),
    pubDeny: compileList(rules.publish?.deny, ['acl.publish_denied', 'acl.publish.deny']),
    subAllow: compileList(rules.subscribe?.allow),
    subDeny: compileList(rules.subscribe?.deny, ['acl.deliver_denied', 'acl.deliver.deny']),
    retain: rules.retain === true,
    wildcards: rules.wildcards === true,
  };
  const usesUsername = [lists.pubAllow, lists.pubDeny, lists.subAllow, lists.subDeny].some((fs) =>
    fs.some((f) => f.kinds.includes(USR)),
  );
  return withTries({ ...lists, usesUsername }, compileAfter);
}
