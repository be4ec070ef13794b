// threshold: at least `threshold` matching events in the sliding window (and a required reason, if set).
import type { DetectionRule } from '../types.ts';
import { HitQueue } from './family.ts';
import type { GroupState, Hit } from './family.ts';

export function thresholdFamily(rule: DetectionRule): GroupState {
  const q = new HitQueue();
  const windowMs = rule.window * 1000;
  const required = new Set<string>(rule.requires);
  const counted = rule.countReasons ? new Set<string>(rule.countReasons) : undefined;
  const counts = (h: Hit): boolean => !counted || counted.has(h.reason);
  let requiredInWindow = 0;
  let inWindow = 0;
  const dropped = (h: Hit): void => {
    if (required.has(h.reason)) requiredInWindow -= 1;
    if (counts(h)) inWindow -= 1;
  };
  return {
    add(hit) {
      q.push(hit);
      if (required.has(hit.reason)) requiredInWindow += 1;
      if (counts(hit)) inWindow += 1;
      q.evict(hit.ts - windowMs, dropped);
      // bound memory under a flood: the window never needs more than 4x the threshold to decide
      q.cap(Math.max(rule.threshold * 4, 64), dropped);
      return inWindow >= rule.threshold && (required.size === 0 || requiredInWindow > 0);
    },
    window: () => q.toArray(),
    lastTs: () => q.last()?.ts ?? 0,
  };
}
