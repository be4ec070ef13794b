// The per-group state one rule keeps for one identity. Each rule type is one family, registered in
// FAMILIES below so a type without an implementation fails to compile.
import type { DetectionRule, RuleType } from '../types.ts';

export interface Hit {
  id: string;
  ts: number;
  reason: string;
  /** Value of the rule's `distinct` field, if any. */
  value: string;
}

export interface GroupState {
  /** Add a matching event (in stream order); true when the rule's condition holds afterwards. */
  add(hit: Hit): boolean;
  /** The events currently in the window, oldest first (what an opening incident is made of). */
  window(): readonly Hit[];
  /** Time of the newest event, to evict idle groups. */
  lastTs(): number;
}

export type FamilyFactory = (rule: DetectionRule) => GroupState;

/** A time-ordered queue with O(1) amortised removal at the head. */
export class HitQueue {
  private items: Hit[] = [];
  private head = 0;

  push(h: Hit): void {
    this.items.push(h);
  }

  /** Drop hits older than `from`; calls onDrop for each. */
  evict(from: number, onDrop?: (h: Hit) => void): void {
    while (this.head < this.items.length && (this.items[this.head] as Hit).ts < from) {
      onDrop?.(this.items[this.head] as Hit);
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Keep at most `max` newest hits. */
  cap(max: number, onDrop?: (h: Hit) => void): void {
    while (this.items.length - this.head > max) {
      onDrop?.(this.items[this.head] as Hit);
      this.head += 1;
    }
  }

  get size(): number {
    return this.items.length - this.head;
  }

  toArray(): Hit[] {
    return this.items.slice(this.head);
  }

  last(): Hit | undefined {
    return this.items[this.items.length - 1];
  }
}

export type Families = Record<RuleType, FamilyFactory>;
