// The signature rule file: parsed and validated one rule at a time (so an error names the rule), then
// compiled into one automaton for all literals of all rules.
import { readFileSync } from 'node:fs';
import { technique } from '@sentinel/ingest';
import type { ReasonCode } from '@sentinel/ingest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { buildAutomaton, foldCase } from './automaton.ts';
import type { Automaton } from './automaton.ts';
import { RuleFileError } from './errors.ts';
import { FilterSet, isValidFilter } from './topic.ts';
import { VERIFIERS } from './verifiers.ts';
import type { Verifier } from './verifiers.ts';

export const RULE_ACTIONS = ['block', 'flag', 'quarantine'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

export const RULE_CATEGORIES = ['sqli', 'cmdi', 'xss', 'path_traversal', 'custom'] as const;
export type RuleCategory = (typeof RULE_CATEGORIES)[number];

/** Named severities map onto the 0–10 scale of the event contract. */
export const SEVERITY_LEVELS = { info: 1, low: 3, medium: 5, high: 7, critical: 9 } as const;

const CATEGORY_REASON: Record<RuleCategory, ReasonCode> = {
  sqli: 'inspect.sqli',
  cmdi: 'inspect.cmdi',
  xss: 'inspect.xss',
  path_traversal: 'inspect.path_traversal',
  custom: 'inspect.signature',
};

const patternObject = z
  .object({
    /** Text matched case-insensitively (ASCII) against the decoded payload. */
    literal: z.string().min(1).optional(),
    /** Raw bytes in hex (`c0 ae`), for byte sequences that are not text. */
    hex: z
      .string()
      .regex(/^\s*([0-9a-fA-F]{2}\s*)+$/, 'must be hex byte pairs')
      .optional(),
    /** Word boundary required before (left), after (right) or on both sides of the literal. */
    boundary: z.enum(['none', 'left', 'right', 'both']).default('none'),
    /** The literal must start the payload (start) or end it (end). */
    anchor: z.enum(['none', 'start', 'end']).default('none'),
    /** A named post-match check (see README), for literals that are too loose alone. */
    verify: z.string().optional(),
  })
  .strict()
  .refine((p) => (p.literal === undefined) !== (p.hex === undefined), 'give exactly one of literal or hex');

const patternSchema = z.union([z.string().min(1), patternObject]);

const ruleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,99}$/, 'must be lowercase letters, digits, . _ -'),
    name: z.string().min(1).max(200),
    description: z.string().optional(),
    category: z.enum(RULE_CATEGORIES).default('custom'),
    severity: z.union([
      z.enum(Object.keys(SEVERITY_LEVELS) as [keyof typeof SEVERITY_LEVELS]),
      z.number().int().min(0).max(10),
    ]),
    action: z.enum(RULE_ACTIONS),
    technique: z
      .string()
      .refine((t) => technique(t) !== undefined, 'is not in the MITRE catalog of Sentinel'),
    topics: z.array(z.string().refine(isValidFilter, 'is not a valid MQTT topic filter')).min(1).optional(),
    pattern: patternSchema.optional(),
    patterns: z.array(patternSchema).min(1).optional(),
    enabled: z.boolean().default(true),
  })
  .strict()
  .refine(
    (r) => (r.pattern === undefined) !== (r.patterns === undefined),
    'give exactly one of pattern or patterns',
  );

export type RuleSpec = z.output<typeof ruleSchema>;

export interface CompiledRule {
  id: string;
  name: string;
  category: RuleCategory;
  reason: ReasonCode;
  severity: number;
  action: RuleAction;
  technique: string;
  /** Undefined: the rule applies to every topic. */
  topics: FilterSet | undefined;
}

/** One literal of one rule, with its conditions. Indexed by literal id (the automaton's output). */
export interface CompiledLiteral {
  rule: number;
  length: number;
  left: boolean;
  right: boolean;
  anchor: 'none' | 'start' | 'end';
  verify: Verifier | undefined;
}

export interface RuleSet {
  readonly source: string;
  readonly rules: readonly CompiledRule[];
  readonly literals: readonly CompiledLiteral[];
  readonly automaton: Automaton;
  /** sha-free fingerprint for logs: rule count and literal count. */
  readonly summary: string;
}

function issueText(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`).join('; ');
}

function validateRules(source: string, doc: unknown): RuleSpec[] {
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { rules?: unknown }).rules)) {
    throw new RuleFileError(source, 'the file must be a mapping with a `rules:` list');
  }
  const raw = (doc as { rules: unknown[] }).rules;
  const seen = new Map<string, number>();
  return raw.map((r, index) => {
    const id =
      typeof r === 'object' && r !== null && typeof (r as { id?: unknown }).id === 'string'
        ? (r as { id: string }).id
        : undefined;
    const parsed = ruleSchema.safeParse(r);
    if (!parsed.success)
      throw new RuleFileError(source, issueText(parsed.error), {
        ruleIndex: index,
        ...(id ? { ruleId: id } : {}),
      });
    const rule = parsed.data;
    const dup = seen.get(rule.id);
    if (dup !== undefined)
      throw new RuleFileError(source, `duplicate id (also rules[${dup}])`, {
        ruleIndex: index,
        ruleId: rule.id,
      });
    seen.set(rule.id, index);
    const patterns = rule.patterns ?? [rule.pattern!];
    patterns.forEach((p, pi) => {
      if (
        typeof p !== 'string' &&
        p.verify !== undefined &&
        !Object.prototype.hasOwnProperty.call(VERIFIERS, p.verify)
      ) {
        throw new RuleFileError(
          source,
          `patterns[${pi}].verify: unknown verifier "${p.verify}" (known: ${Object.keys(VERIFIERS).join(', ')})`,
          {
            ruleIndex: index,
            ruleId: rule.id,
          },
        );
      }
    });
    return rule;
  });
}

function literalBytes(p: z.output<typeof patternObject>): Uint8Array {
  if (p.hex !== undefined) return Buffer.from(p.hex.replace(/\s+/g, ''), 'hex');
  return Buffer.from(p.literal!, 'utf8');
}

/** Compile validated rules into one automaton. */
export function compileRules(source: string, specs: readonly RuleSpec[]): RuleSet {
  const rules: CompiledRule[] = [];
  const literals: CompiledLiteral[] = [];
  const bytes: Uint8Array[] = [];
  for (const spec of specs) {
    if (!spec.enabled) continue;
    const ruleIndex = rules.length;
    rules.push({
      id: spec.id,
      name: spec.name,
      category: spec.category,
      reason: CATEGORY_REASON[spec.category],
      severity: typeof spec.severity === 'number' ? spec.severity : SEVERITY_LEVELS[spec.severity],
      action: spec.action,
      technique: spec.technique,
      topics: spec.topics ? new FilterSet(spec.topics) : undefined,
    });
    for (const p of spec.patterns ?? [spec.pattern!]) {
      const obj = typeof p === 'string' ? patternObject.parse({ literal: p }) : p;
      const b = foldCase(literalBytes(obj));
      bytes.push(b);
      literals.push({
        rule: ruleIndex,
        length: b.length,
        left: obj.boundary === 'left' || obj.boundary === 'both',
        right: obj.boundary === 'right' || obj.boundary === 'both',
        anchor: obj.anchor,
        verify: obj.verify === undefined ? undefined : VERIFIERS[obj.verify],
      });
    }
  }
  const automaton = buildAutomaton(bytes);
  return {
    source,
    rules,
    literals,
    automaton,
    summary: `${rules.length} rules, ${literals.length} literals, ${automaton.states} states`,
  };
}

/** Parse and compile rule-file text. Throws RuleFileError naming the rule and the problem. */
export function parseRuleText(source: string, text: string): RuleSet {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new RuleFileError(source, `not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  const specs = validateRules(source, doc);
  try {
    return compileRules(source, specs);
  } catch (err) {
    throw new RuleFileError(source, `cannot compile: ${(err as Error).message}`, { cause: err });
  }
}

export function loadRuleFile(path: string): RuleSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RuleFileError(path, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  return parseRuleText(path, text);
}
