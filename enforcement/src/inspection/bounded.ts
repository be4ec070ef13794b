// Bounded per-key state. Every table keyed by something a client chooses (client id, IP, nonce) is one of
// these: insertion-ordered, touched entries move to the back, the oldest entry goes when full. Memory is
// then O(maxEntries) however many identities an attacker rotates through.

export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  /** Entries evicted because the map was full (a metric: non-zero under rotation attacks). */
  evictions = 0;

  constructor(readonly maxEntries: number) {
    if (!(maxEntries >= 1)) throw new RangeError('maxEntries must be at least 1');
  }

  get size(): number {
    return this.map.size;
  }

  /** The value, moved to the back (most recently used). */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value as K;
      this.map.delete(oldest);
      this.evictions++;
    }
  }

  /** The value for `key`, created by `make` (and maybe evicting the oldest) when absent. */
  upsert(key: K, make: () => V): V {
    const v = this.get(key);
    if (v !== undefined) return v;
    const created = make();
    this.set(key, created);
    return created;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** The oldest entry, without touching it. */
  oldest(): [K, V] | undefined {
    const e = this.map.entries().next();
    return e.done ? undefined : e.value;
  }

  clear(): void {
    this.map.clear();
  }
}

/** Events in the last `windowMs`, counted in fixed sub-buckets (cheap, no timestamps kept). */
export class WindowCounter {
  private readonly buckets: Int32Array;
  private readonly bucketMs: number;
  private head = 0;
  private headStart = 0;
  private total = 0;

  constructor(windowMs: number, buckets = 10) {
    this.buckets = new Int32Array(buckets);
    this.bucketMs = Math.max(1, Math.ceil(windowMs / buckets));
  }

  /** Add `n` events at `now` and return the count over the window. */
  add(now: number, n = 1): number {
    this.advance(now);
    this.buckets[this.head]! += n;
    this.total += n;
    return this.total;
  }

  count(now: number): number {
    this.advance(now);
    return this.total;
  }

  private advance(now: number): void {
    if (now < this.headStart + this.bucketMs) return;
    const steps = Math.floor((now - this.headStart) / this.bucketMs);
    const n = this.buckets.length;
    for (let k = 0; k < Math.min(steps, n); k++) {
      this.head = (this.head + 1) % n;
      this.total -= this.buckets[this.head]!;
      this.buckets[this.head] = 0;
    }
    this.headStart += steps * this.bucketMs;
  }
}
