// The `analytics` section of sentinel.yaml. Defaults sit beside each field; `sentinel config` prints the
// effective values. Env vars derive from the path: analytics.bans.factor -> SENTINEL_ANALYTICS_BANS_FACTOR.
import { isIP } from 'node:net';
import { IDENTITY_SCOPES } from '@sentinel/ingest';
import { z } from 'zod';

const positiveInt = z.number().int().positive();

/** `scope:value`; an ip value may be a CIDR range (10.0.0.0/8, fd00::/8). */
const allowlistEntry = z.string().refine(
  (s) => {
    const i = s.indexOf(':');
    const scope = s.slice(0, i);
    const value = s.slice(i + 1);
    if (i <= 0 || value.length === 0 || !(IDENTITY_SCOPES as readonly string[]).includes(scope)) return false;
    if (scope !== 'ip' && scope !== 'ip_range') return true;
    const [addr, bits] = value.split('/');
    const family = isIP(addr ?? '');
    if (family === 0) return false;
    return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
  },
  {
    message: `must be <scope>:<value> with scope one of ${IDENTITY_SCOPES.join(', ')} (ip values may be CIDR)`,
  },
);

export const banPolicySchema = z
  .object({
    /** First ban length in seconds. */
    baseS: positiveInt.default(600),
    /** Each repeated offense multiplies the length by this factor. */
    factor: z.number().min(1).max(100).default(2),
    /** Upper bound of one ban in seconds (before jitter). */
    maxS: positiveInt.default(7 * 24 * 3600),
    /** Up to this many random seconds are added, so that bans of a botnet do not all end at once. */
    jitterS: z.number().int().min(0).default(30),
  })
  .strict();
export type BanPolicy = z.output<typeof banPolicySchema>;

export const analyticsConfigSchema = z
  .object({
    clickhouse: z
      .object({
        /** ClickHouse server HTTP(S) URL; unset = embedded chDB. SENTINEL_CLICKHOUSE_URL works as well. */
        url: z
          .string()
          .regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL')
          .optional(),
        database: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a plain identifier')
          .default('default'),
        username: z.string().default('default'),
        /** Secret: never logged. */
        password: z.string().optional(),
      })
      .strict()
      .prefault({}),
    /** Folder of the embedded chDB data, relative to the data directory. */
    chdbDir: z.string().default('chdb'),
    /** Days events stay in events_v1 (ClickHouse TTL). */
    retentionDays: positiveInt.max(3650).default(30),
    /** Durable consumer name on SENTINEL_EVENTS. */
    durable: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .default('analytics'),
    batch: z
      .object({
        /** Events per insert at most. */
        maxEvents: positiveInt.max(100_000).default(5000),
        /** A batch is written at most this long after its first event arrived, ms. */
        maxWaitMs: positiveInt.max(10_000).default(100),
        /** JetStream ack wait: an unacknowledged batch is redelivered after this, ms. */
        ackWaitMs: positiveInt.default(30_000),
      })
      .strict()
      .prefault({}),
    /** Detection rules YAML; unset = the defaults shipped in analytics/rules/detections.yaml. */
    rulesFile: z.string().optional(),
    strikes: z
      .object({
        /** Window of the strike counters, seconds. */
        windowS: positiveInt.default(3600),
        /** Events at or above this severity that were not allowed count as strikes. */
        minSeverity: z.number().int().min(0).max(10).default(3),
      })
      .strict()
      .prefault({}),
    score: z
      .object({
        /** An event's weight halves every this many seconds. */
        halfLifeS: positiveInt.default(3600),
        /** Decayed weight at which the score reaches 63 (1 - 1/e of 100). */
        scale: z.number().positive().default(5),
      })
      .strict()
      .prefault({}),
    /** Default ban escalation; each rule may override any field. */
    bans: banPolicySchema.prefault({}),
    /** Identities never banned, e.g. ["ip:10.0.0.0/8", "client_id:gateway-1"]. */
    allowlist: z.array(allowlistEntry).default([]),
  })
  .strict()
  .prefault({});

export type AnalyticsConfig = z.output<typeof analyticsConfigSchema>;
