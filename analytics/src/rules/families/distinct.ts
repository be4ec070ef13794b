// distinct: at least `threshold` distinct values of the `distinct` field among the matching events in
// the window (many usernames from one IP, many topics from one client, many client ids behind one IP).
import type { DetectionRule } from '../types.ts';
import { HitQueue } from './family.ts';
import type { GroupState, Hit } from './family.ts';

export function distinctFamily(rule: DetectionRule): GroupState {
  const q = new HitQueue();
  const windowMs = rule.window * 1000;
  const values = new Map<string, number>();
  const required = new Set<string>(rule.requires);
  const counted = rule.countReasons ? new Set<string>(rule.countReasons) : undefined;
  const counts = (h: Hit): boolean => h.value !== '' && (!counted || counted.has(h.reason));
  let requiredInWindow = 0;
  const dropped = (h: Hit): void => {
    if (required.has(h.reason)) requiredInWindow -= 1;
    if (!counts(h)) return;
    const n = (values.get(h.value) ?? 0) - 1;
    if (n <= 0) values.delete(h.value);
    else values.set(h.value, n);
  };
  return {
    add(hit) {
      q.push(hit);
      if (required.has(hit.reason)) requiredInWindow += 1;
      if (counts(hit)) values.set(hit.value, (values.get(hit.value) ?? 0) + 1);
      q.evict(hit.ts - windowMs, dropped);
      q.cap(Math.max(rule.threshold * 64, 1024), dropped);
      return values.size >= rule.threshold && (required.size === 0 || requiredInWindow > 0);
    },
    window: () => q.toArray(),
    lastTs: () => q.last()?.ts ?? 0,
  };
}
