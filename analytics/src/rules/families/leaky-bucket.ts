// leaky_bucket: each event pours one unit into a bucket of `capacity` that drains `leakPerS` units per
// second; the rule holds while the bucket overflows. Tolerates bursts up to the capacity and sustained
// rates up to the leak rate, like the buckets of widely used log-based intrusion tools.
import type { DetectionRule } from '../types.ts';
import { HitQueue } from './family.ts';
import type { GroupState } from './family.ts';

export function leakyBucketFamily(rule: DetectionRule): GroupState {
  const capacity = rule.capacity ?? 1;
  const leak = rule.leakPerS ?? 1;
  const recent = new HitQueue();
  let level = 0;
  let last = 0;
  return {
    add(hit) {
      const elapsedS = last === 0 ? 0 : Math.max(0, hit.ts - last) / 1000;
      level = Math.max(0, level - elapsedS * leak) + 1;
      last = Math.max(last, hit.ts);
      recent.push(hit);
      recent.evict(hit.ts - rule.window * 1000);
      recent.cap(Math.ceil(capacity) + 1);
      return level > capacity;
    },
    window: () => recent.toArray(),
    lastTs: () => last,
  };
}
