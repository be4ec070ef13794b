// Token buckets per caller (a token's hash prefix, or the client address before authentication). Pure: it
// takes a key and a time and answers how long to wait; the middleware turns a wait into a 429.
export interface BucketOptions {
  /** Tokens refilled per second. */
  rate: number;
  burst: number;
  maxBuckets: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  // a Map keeps insertion order: re-inserting on use makes the first key the least recently used
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly o: BucketOptions) {}

  /** 0 when the request may pass, otherwise the seconds until one token is back. */
  take(key: string, now = Date.now()): number {
    const b = this.buckets.get(key) ?? { tokens: this.o.burst, at: now };
    this.buckets.delete(key);
    b.tokens = Math.min(this.o.burst, b.tokens + ((now - b.at) / 1000) * this.o.rate);
    b.at = now;
    this.buckets.set(key, b);
    this.evict();
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.o.rate));
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(): void {
    while (this.buckets.size > this.o.maxBuckets) {
      const first = this.buckets.keys().next();
      if (first.done) return;
      this.buckets.delete(first.value);
    }
  }
}
