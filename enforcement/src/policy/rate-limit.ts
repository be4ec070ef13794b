// Six token-bucket tiers evaluated in order. A packet passes only if every tier it touches has a token;
// tokens are taken only when all of them do, so a client denied by its own bucket cannot drain the global
// or per-IP buckets that everyone else shares.
//
// Memory stays bounded however many addresses or client ids an attacker rotates: each keyed tier is a
// BucketMap with a fixed capacity. When it is full, buckets that have refilled are evicted first (a full
// bucket is exactly what a new one would be, so dropping it loses nothing); only if none is found among the
// oldest few does the oldest go, which at worst hands that key a fresh burst.
import { ALLOW } from './types.ts';
import type { Denial, RateLimiter, RateLimits, RateTier, Verdict } from './types.ts';

interface Bucket {
  tokens: number;
  /** ms timestamp of the last refill. */
  last: number;
}

/** How many of the oldest buckets are examined for a refilled one before the oldest is evicted anyway. */
const EVICTION_SCAN = 8;

class TierSpec {
  readonly perMs: number;
  readonly ruleId: string;
  constructor(
    readonly tier: RateTier,
    readonly rate: number,
    readonly burst: number,
  ) {
    this.perMs = rate / 1000;
    this.ruleId = `tier.${tier}`;
  }

  get enabled(): boolean {
    return this.rate > 0;
  }

  /** Tokens in `b` at `now` (refilled in place; never above burst). */
  refill(b: Bucket, now: number): number {
    const elapsed = now - b.last;
    if (elapsed > 0) {
      b.tokens = Math.min(this.burst, b.tokens + elapsed * this.perMs);
      b.last = now;
    }
    return b.tokens;
  }

  isFull(b: Bucket, now: number): boolean {
    return b.tokens + (now - b.last) * this.perMs >= this.burst;
  }

  deny(tokens: number): Denial {
    return {
      ok: false,
      reason: `rate.${this.tier}`,
      rule: {
        id: this.ruleId,
        values: {
          tier: this.tier,
          rate: this.rate,
          burst: this.burst,
          tokens: Math.floor(tokens * 1000) / 1000,
        },
      },
    };
  }
}

/** A keyed set of buckets of one tier with a capacity bound. Map iteration order is insertion order. */
export class BucketMap {
  private readonly map = new Map<string, Bucket>();
  /** Buckets evicted while still partly drained (the attacker-visible cost of the memory bound). */
  forcedEvictions = 0;
  evictions = 0;

  constructor(
    private readonly spec: TierSpec,
    readonly capacity: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** The bucket of `key`, created full when new. */
  get(key: string, now: number): Bucket {
    let b = this.map.get(key);
    if (b === undefined) {
      if (this.map.size >= this.capacity) this.evict(now);
      b = { tokens: this.spec.burst, last: now };
      this.map.set(key, b);
    }
    return b;
  }

  private evict(now: number): void {
    let scanned = 0;
    for (const [key, b] of this.map) {
      if (this.spec.isFull(b, now)) {
        this.map.delete(key);
        this.evictions += 1;
        return;
      }
      // Still draining: move it behind the newer ones so the next scan looks at others first.
      this.map.delete(key);
      this.map.set(key, b);
      if (++scanned >= EVICTION_SCAN) break;
    }
    const oldest = this.map.keys().next();
    if (!oldest.done) {
      this.map.delete(oldest.value);
      this.evictions += 1;
      this.forcedEvictions += 1;
    }
  }

  /** Drop every bucket that has refilled; returns how many went. */
  sweep(now: number): number {
    let n = 0;
    for (const [key, b] of this.map) {
      if (this.spec.isFull(b, now)) {
        this.map.delete(key);
        n += 1;
      }
    }
    return n;
  }
}

export interface RateLimiterOptions {
  limits: RateLimits;
  /** Capacity of each keyed tier (per_ip, connect, publish, subscribe, per_client). */
  maxBucketsPerTier?: number;
}

export class TokenBucketRateLimiter implements RateLimiter {
  private readonly global: TierSpec;
  private readonly globalBucket: Bucket;
  private readonly specs: Record<RateTier, TierSpec>;
  readonly perIp: BucketMap;
  readonly connectIp: BucketMap;
  readonly publishClient: BucketMap;
  readonly subscribeClient: BucketMap;
  readonly perClient: BucketMap;

  constructor(opts: RateLimiterOptions) {
    const cap = opts.maxBucketsPerTier ?? 100_000;
    const spec = (t: RateTier): TierSpec => new TierSpec(t, opts.limits[t].rate, opts.limits[t].burst);
    this.specs = {
      global: spec('global'),
      per_ip: spec('per_ip'),
      connect: spec('connect'),
      publish: spec('publish'),
      subscribe: spec('subscribe'),
      per_client: spec('per_client'),
    };
    this.global = this.specs.global;
    this.globalBucket = { tokens: this.global.burst, last: 0 };
    this.perIp = new BucketMap(this.specs.per_ip, cap);
    this.connectIp = new BucketMap(this.specs.connect, cap);
    this.publishClient = new BucketMap(this.specs.publish, cap);
    this.subscribeClient = new BucketMap(this.specs.subscribe, cap);
    this.perClient = new BucketMap(this.specs.per_client, cap);
  }

  connect(ip: string, now: number): Verdict {
    return this.take(now, ip, this.specs.connect, this.connectIp, ip, undefined);
  }

  publish(ip: string, clientId: string, now: number): Verdict {
    return this.take(now, ip, this.specs.publish, this.publishClient, clientId, clientId);
  }

  subscribe(ip: string, clientId: string, now: number): Verdict {
    return this.take(now, ip, this.specs.subscribe, this.subscribeClient, clientId, clientId);
  }

  other(ip: string, now: number): Verdict {
    return this.take(now, ip, undefined, undefined, '', undefined);
  }

  size(): number {
    return (
      this.perIp.size +
      this.connectIp.size +
      this.publishClient.size +
      this.subscribeClient.size +
      this.perClient.size
    );
  }

  /** Drop refilled buckets of every tier (optional housekeeping; the bound holds without it). */
  sweep(now: number): number {
    return [this.perIp, this.connectIp, this.publishClient, this.subscribeClient, this.perClient].reduce(
      (n, m) => n + m.sweep(now),
      0,
    );
  }

  /**
   * Tiers in order: global, per_ip, then `typed` (connect by IP, publish or subscribe by client), then
   * per_client. `typedKey` is the IP for connect and the client id otherwise.
   */
  private take(
    now: number,
    ip: string,
    tspec: TierSpec | undefined,
    typed: BucketMap | undefined,
    typedKey: string,
    clientId: string | undefined,
  ): Verdict {
    const g = this.global;
    const gb = this.globalBucket;
    if (g.enabled && g.refill(gb, now) < 1) return g.deny(gb.tokens);
    const ipSpec = this.specs.per_ip;
    const ib = ipSpec.enabled ? this.perIp.get(ip, now) : undefined;
    if (ib !== undefined && ipSpec.refill(ib, now) < 1) return ipSpec.deny(ib.tokens);
    let tb: Bucket | undefined;
    if (tspec !== undefined && typed !== undefined && tspec.enabled) {
      tb = typed.get(typedKey, now);
      if (tspec.refill(tb, now) < 1) return tspec.deny(tb.tokens);
    }
    let cb: Bucket | undefined;
    const cspec = this.specs.per_client;
    if (clientId !== undefined && cspec.enabled) {
      cb = this.perClient.get(clientId, now);
      if (cspec.refill(cb, now) < 1) return cspec.deny(cb.tokens);
    }
    if (g.enabled) gb.tokens -= 1;
    if (ib !== undefined) ib.tokens -= 1;
    if (tb !== undefined) tb.tokens -= 1;
    if (cb !== undefined) cb.tokens -= 1;
    return ALLOW;
  }
}
