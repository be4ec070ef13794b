// The settings the policy steps own. Part of the `enforcement` section of sentinel.yaml; defaults sit
// beside each field and `sentinel config` prints the effective values.
import { z } from 'zod';
import type { AclRuleSet, RateLimits, RateTier } from './types.ts';

const tier = (rate: number, burst: number) =>
  z
    .object({
      /** Tokens added per second; 0 switches the tier off. */
      rate: z.number().min(0).default(rate),
      /** Bucket size: how many packets may arrive at once after a quiet spell. */
      burst: z.number().int().min(1).default(burst),
    })
    .strict()
    .prefault({});

/** enforcement.rateLimits: six token-bucket tiers, evaluated in the order below. */
export const rateLimitsConfigSchema = z
  .object({
    /** All traffic of this node. */
    global: tier(10_000, 5_000),
    /** Every packet from one source IP. */
    perIp: tier(100, 1_000),
    /** CONNECT packets from one source IP. */
    connect: tier(10, 500),
    /** PUBLISH packets of one client id. */
    publish: tier(100, 500),
    /** SUBSCRIBE packets of one client id. */
    subscribe: tier(20, 500),
    /** Every packet of one client id. */
    perClient: tier(50, 500),
    /** Buckets kept per tier; past it full or idle buckets are evicted first (memory bound). */
    maxBucketsPerTier: z.number().int().min(16).default(100_000),
  })
  .strict()
  .prefault({});
export type RateLimitsConfig = z.output<typeof rateLimitsConfigSchema>;

/** Config key of each tier (camelCase in YAML and env) to the tier name used in reasons and metrics. */
export const TIER_CONFIG_KEYS: Record<
  RateTier,
  'global' | 'perIp' | 'connect' | 'publish' | 'subscribe' | 'perClient'
> = {
  global: 'global',
  per_ip: 'perIp',
  connect: 'connect',
  publish: 'publish',
  subscribe: 'subscribe',
  per_client: 'perClient',
};

export function toRateLimits(cfg: RateLimitsConfig): RateLimits {
  const out = {} as RateLimits;
  for (const [t, key] of Object.entries(TIER_CONFIG_KEYS) as [RateTier, keyof typeof cfg][]) {
    out[t] = cfg[key] as { rate: number; burst: number };
  }
  return out;
}

const topicList = z.array(z.string().min(1).max(65_535));
const ruleList = z.object({ allow: topicList.optional(), deny: topicList.optional() }).strict();

/** One ACL rule set, as it appears in config or in an auth answer. */
export const aclRuleSetSchema = z
  .object({
    publish: ruleList.optional(),
    subscribe: ruleList.optional(),
    retain: z.boolean().optional(),
    wildcards: z.boolean().optional(),
  })
  .strict();

/** The ACL a device gets when neither the auth answer nor an identity rule gives one. */
export const DEFAULT_DEVICE_ACL: AclRuleSet = Object.freeze({
  publish: { allow: ['devices/%c/#'] },
  subscribe: { allow: ['clients/%c/alerts'] },
  retain: false,
  wildcards: false,
});

/** enforcement.acl */
export const aclConfigSchema = z
  .object({
    /** Rules for identities whose auth answer carries no ACL. */
    default: aclRuleSetSchema.default(DEFAULT_DEVICE_ACL as z.input<typeof aclRuleSetSchema>),
    /** Rules by client id (exact), used before the default when the auth answer carries none. */
    clients: z.record(z.string(), aclRuleSetSchema).default({}),
    /** Rules by username (exact), used after `clients`. */
    users: z.record(z.string(), aclRuleSetSchema).default({}),
    /** Compiled rule templates kept for reuse across sessions. */
    maxTemplates: z.number().int().min(1).default(10_000),
  })
  .strict()
  .prefault({});
export type AclConfig = z.output<typeof aclConfigSchema>;

const ms = z.number().int().min(0);

/** enforcement.auth: the HTTP auth callout. */
export const authConfigSchema = z
  .object({
    /** Auth endpoint; POST JSON {clientId, username, password, ip, certFingerprint}. Empty: auth off. */
    url: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL')
      .or(z.literal(''))
      .default(''),
    /** Time to wait for an answer before denying with auth.unavailable (fail-closed), ms. */
    timeoutMs: ms.min(1).default(2_000),
    /** How long an allow is served from the cache, ms (the answer's expiry can shorten it). */
    cacheTtlMs: ms.default(60_000),
    /** How long a denial is served from the cache, ms. */
    denyCacheTtlMs: ms.default(5_000),
    /** Cache entries at most; the oldest go first. */
    cacheMaxEntries: z.number().int().min(1).default(100_000),
    /** Keep-alive connections to the endpoint. */
    connections: z.number().int().min(1).max(1024).default(16),
    /** Secret: bearer token sent to the endpoint, if it wants one. */
    token: z.string().optional(),
  })
  .strict()
  .prefault({});
export type AuthConfig = z.output<typeof authConfigSchema>;

/** enforcement.penaltyBox */
export const penaltyBoxConfigSchema = z
  .object({
    /** Never banned: IPs, CIDR ranges (IPv4 or IPv6) and client ids. */
    allowlist: z
      .object({
        ips: z.array(z.string()).default([]),
        clientIds: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    /** How often expired bans are pruned, ms. */
    pruneIntervalMs: ms.min(100).default(10_000),
  })
  .strict()
  .prefault({});
export type PenaltyBoxConfig = z.output<typeof penaltyBoxConfigSchema>;
