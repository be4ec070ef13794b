// The signature matcher: one automaton pass over the payload (and one over its decoded form when
// decoding changes anything), literal conditions and verifiers on hits only, topic filters on hits only.
// Rules are swapped atomically by `setRules`: a scan in progress keeps the set it started with.
import { scan } from './automaton.ts';
import { Decoder } from './decode.ts';
import { safeDisplay } from './display.ts';
import type { CompiledRule, RuleSet } from './rules.ts';
import { isWordByte } from './verifiers.ts';

export interface SignatureHit {
  rule: CompiledRule;
  /** Byte offset of the match in the scanned form. */
  offset: number;
  /** Whether the match was in the decoded form (the raw payload was encoded). */
  decoded: boolean;
  /** The matched literal with a little context, safe to display. */
  matched: string;
}

const NO_HITS: readonly SignatureHit[] = Object.freeze([]);
const EMPTY = new Uint8Array(0);
const CONTEXT_BEFORE = 16;
const CONTEXT_AFTER = 48;
const MAX_HITS = 8;

export class SignatureMatcher {
  private set: RuleSet;
  private readonly decoder: Decoder;
  // Per-scan state, held in fields so the hit callback is allocated once, not per message.
  private buf: Uint8Array = EMPTY;
  private len = 0;
  private topic = '';
  private decodedPass = false;
  private readonly hits: SignatureHit[] = [];
  private readonly onHit = (literal: number, end: number): boolean => this.check(literal, end);

  constructor(rules: RuleSet, decodeRounds = 3) {
    this.set = rules;
    this.decoder = new Decoder(decodeRounds);
  }

  get rules(): RuleSet {
    return this.set;
  }

  setRules(rules: RuleSet): void {
    this.set = rules;
  }

  /** Every rule that matches `payload` published to `topic` (at most a few; empty for clean traffic). */
  match(payload: Uint8Array, topic: string): readonly SignatureHit[] {
    const set = this.set;
    if (set.literals.length === 0) return NO_HITS;
    this.hits.length = 0;
    this.topic = topic;
    this.run(set, payload, payload.length, false);
    const decoded = this.decoder.decode(payload);
    if (decoded !== undefined) this.run(set, decoded, decoded.length, true);
    this.buf = EMPTY; // do not keep the payload alive
    // The scratch list is reused: a clean payload (the common case) allocates nothing here.
    return this.hits.length === 0 ? NO_HITS : this.hits.slice();
  }

  private run(set: RuleSet, buf: Uint8Array, len: number, decoded: boolean): void {
    this.buf = buf;
    this.len = len;
    this.decodedPass = decoded;
    scan(set.automaton, buf, len, this.onHit);
  }

  private check(literalId: number, end: number): boolean {
    const set = this.set;
    const lit = set.literals[literalId]!;
    const buf = this.buf;
    const len = this.len;
    const start = end - lit.length;
    if (lit.anchor === 'start' ? start !== 0 : lit.anchor === 'end' && end !== len) return false;
    if (lit.left && start > 0 && isWordByte(buf[start - 1])) return false;
    if (lit.right && end < len && isWordByte(buf[end])) return false;
    const rule = set.rules[lit.rule]!;
    for (const h of this.hits) if (h.rule === rule) return false;
    if (rule.topics !== undefined && !rule.topics.matches(this.topic)) return false;
    if (lit.verify !== undefined && !lit.verify(buf, start, end, len)) return false;
    this.hits.push({
      rule,
      offset: start,
      decoded: this.decodedPass,
      matched: safeDisplay(buf, start - CONTEXT_BEFORE, end + CONTEXT_AFTER, 120),
    });
    return this.hits.length >= MAX_HITS;
  }
}
