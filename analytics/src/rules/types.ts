// Detection rules as the YAML file states them, validated by zod with messages that name the rule and key.
import { isReasonCode, technique } from '@sentinel/ingest';
import { z } from 'zod';

/** Event fields a rule can group by or count distinct values of. */
export const RULE_FIELDS = ['ip', 'client_id', 'username', 'cert_fingerprint', 'topic', 'node'] as const;
export type RuleField = (typeof RULE_FIELDS)[number];

/** Identity scopes a rule may group by (they are what a ban can target). */
export const GROUP_SCOPES = ['ip', 'client_id', 'username', 'cert_fingerprint'] as const;
export type GroupScope = (typeof GROUP_SCOPES)[number];

export const RULE_TYPES = ['threshold', 'distinct', 'leaky_bucket'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

const reason = z.string().refine(isReasonCode, { message: 'is not a known reason code (ingest REASONS)' });

const ruleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*$/, 'must be dot-separated lower-case words'),
    title: z.string().min(1),
    description: z.string().default(''),
    match: z
      .object({
        reasons: z.array(reason).min(1),
        minSeverity: z.number().int().min(0).max(10).default(0),
      })
      .strict(),
    groupBy: z.enum(GROUP_SCOPES),
    type: z.enum(RULE_TYPES),
    /** Seconds: the sliding window, and how long an incident stays open without a new event. */
    window: z.number().int().positive().max(86_400),
    /** threshold: events; distinct: distinct values; in the window. */
    threshold: z.number().int().positive().default(1),
    distinct: z.enum(RULE_FIELDS).optional(),
    /** leaky_bucket: the bucket holds this many events, and drains at leakPerS. */
    capacity: z.number().positive().optional(),
    leakPerS: z.number().positive().optional(),
    /** The window must also hold an event with one of these reasons (a correlation precondition). */
    requires: z.array(reason).default([]),
    /**
     * Which of the matched reasons count toward `threshold` (default: all). Credential stuffing counts
     * distinct usernames among failures only: successes are its precondition, not its evidence, or every
     * healthy fleet behind one NAT address would look like an attack.
     */
    countReasons: z.array(reason).optional(),
    technique: z
      .string()
      .refine((t) => technique(t) !== undefined, { message: 'is not in the MITRE catalog' }),
    tactic: z.string(),
    /** Further techniques the same behaviour maps to (e.g. the ICS twin of an Enterprise technique). */
    related: z
      .array(z.string().refine((t) => technique(t) !== undefined, 'is not in the MITRE catalog'))
      .default([]),
    severity: z.number().int().min(1).max(10),
    remediation: z.string().min(1),
    /** Ban the grouped identity when an incident opens; fields override analytics.bans. */
    ban: z
      .union([
        z.literal(false),
        z
          .object({
            baseS: z.number().int().positive().optional(),
            factor: z.number().min(1).max(100).optional(),
            maxS: z.number().int().positive().optional(),
            jitterS: z.number().int().min(0).optional(),
          })
          .strict(),
      ])
      .default(false),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.type === 'distinct' && !r.distinct)
      ctx.addIssue({ code: 'custom', path: ['distinct'], message: 'is required for type distinct' });
    if (r.type === 'leaky_bucket' && (r.capacity === undefined || r.leakPerS === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['capacity'],
        message: 'capacity and leakPerS are required for type leaky_bucket',
      });
    }
    const t = technique(r.technique);
    if (t && t.tactic !== r.tactic) {
      ctx.addIssue({
        code: 'custom',
        path: ['tactic'],
        message: `must be "${t.tactic}", the tactic of ${r.technique}`,
      });
    }
    for (const req of r.requires) {
      if (!r.match.reasons.includes(req as never)) {
        ctx.addIssue({ code: 'custom', path: ['requires'], message: `${req} must also be in match.reasons` });
      }
    }
    for (const c of r.countReasons ?? []) {
      if (!r.match.reasons.includes(c as never)) {
        ctx.addIssue({
          code: 'custom',
          path: ['countReasons'],
          message: `${c} must also be in match.reasons`,
        });
      }
    }
  });

export const ruleFileSchema = z.object({ rules: z.array(ruleSchema).min(1) }).strict();

export type DetectionRule = z.output<typeof ruleSchema>;
