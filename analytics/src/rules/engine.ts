// In-stream evaluation: every event is matched against the rules indexed by its reason, added to the
// state of its (rule, identity) group, and either joins the open incident of that group or, when the
// rule's condition holds, opens a new one. Time is the events' own time, never the wall clock, so a
// replay of the same stream produces the same incidents with the same ids.
import type { DecisionEventV1 } from '@sentinel/ingest';
import { stableUlid } from '../util/ids.ts';
import { FAMILIES } from './families/index.ts';
import type { GroupState, Hit } from './families/family.ts';
import type { DetectionRule, GroupScope, RuleField } from './types.ts';

export interface IncidentState {
  incidentId: string;
  rule: DetectionRule;
  scope: GroupScope;
  value: string;
  firstSeen: number;
  lastSeen: number;
  count: number;
  /** A bounded sample: the events that opened the incident first. */
  eventIds: string[];
  severity: number;
  /** Until when the identity is banned for this incident; 0 = not yet. */
  bannedUntil: number;
}

export interface EngineOutput {
  /** Incidents opened or updated by this call, once each. */
  changed: IncidentState[];
  /** Incidents whose rule asks for a ban now (newly opened, or still going after their ban ended). */
  bans: IncidentState[];
}

const SAMPLE = 50;
const SWEEP_EVERY_MS = 10_000;

export function fieldValue(ev: DecisionEventV1, field: RuleField): string {
  switch (field) {
    case 'ip':
      return ev.subject.ip ?? '';
    case 'client_id':
      return ev.subject.clientId ?? '';
    case 'username':
      return ev.subject.username ?? '';
    case 'cert_fingerprint':
      return ev.subject.certFingerprint ?? '';
    case 'topic':
      return ev.mqtt?.topic ?? '';
    case 'node':
      return ev.node;
  }
}

export function escalatedSeverity(rule: DetectionRule, count: number): number {
  const base = rule.type === 'leaky_bucket' ? Math.ceil(rule.capacity ?? 1) : rule.threshold;
  return Math.min(10, rule.severity + Math.floor(Math.log2(Math.max(1, count / base))));
}

export class DetectionEngine {
  private readonly byReason = new Map<string, DetectionRule[]>();
  private readonly groups = new Map<string, { rule: DetectionRule; state: GroupState }>();
  private readonly open = new Map<string, IncidentState>();
  private maxTs = 0;
  private lastSweep = 0;

  constructor(readonly rules: readonly DetectionRule[]) {
    for (const rule of rules) {
      for (const reason of rule.match.reasons) {
        const list = this.byReason.get(reason) ?? [];
        list.push(rule);
        this.byReason.set(reason, list);
      }
    }
  }

  /** Whether any rule looks at events with this reason; process() passes over the others untouched. */
  watches(reason: string): boolean {
    return this.byReason.has(reason);
  }

  /**
   * Evaluate events in order. With `restoring`, events an open incident already counted (not newer than
   * its lastSeen) rebuild the windows but are not counted again.
   */
  process(events: readonly DecisionEventV1[], opts: { restoring?: boolean } = {}): EngineOutput {
    const changed = new Set<IncidentState>();
    const bans = new Set<IncidentState>();
    for (const ev of events) {
      const rules = this.byReason.get(ev.reason);
      if (!rules) continue;
      if (ev.ts > this.maxTs) this.maxTs = ev.ts;
      for (const rule of rules) this.evaluate(rule, ev, opts.restoring === true, changed, bans);
    }
    if (this.maxTs - this.lastSweep > SWEEP_EVERY_MS) this.sweep();
    return { changed: [...changed], bans: [...bans] };
  }

  private evaluate(
    rule: DetectionRule,
    ev: DecisionEventV1,
    restoring: boolean,
    changed: Set<IncidentState>,
    bans: Set<IncidentState>,
  ): void {
    if (ev.severity < rule.match.minSeverity) return;
    const value = fieldValue(ev, rule.groupBy);
    if (value === '') return;
    const key = `${rule.id}\u0000${value}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { rule, state: FAMILIES[rule.type](rule) };
      this.groups.set(key, group);
    }
    const hit: Hit = {
      id: ev.id,
      ts: ev.ts,
      reason: ev.reason,
      value: rule.distinct ? fieldValue(ev, rule.distinct) : '',
    };
    const holds = group.state.add(hit);
    const inc = this.open.get(key);
    if (inc && ev.ts - inc.lastSeen <= rule.window * 1000) {
      if (restoring && ev.ts <= inc.lastSeen) return;
      inc.count += 1;
      // Redelivery after a crash can hand events over out of time order: first and last seen are the
      // earliest and latest event times, whatever order they arrived in.
      inc.firstSeen = Math.min(inc.firstSeen, ev.ts);
      inc.lastSeen = Math.max(inc.lastSeen, ev.ts);
      if (inc.eventIds.length < SAMPLE) inc.eventIds.push(ev.id);
      inc.severity = escalatedSeverity(rule, inc.count);
      changed.add(inc);
      if (holds && rule.ban !== false && inc.bannedUntil !== 0 && inc.bannedUntil < ev.ts) bans.add(inc);
      return;
    }
    if (!holds) return;
    const window = group.state.window();
    // Derived from the earliest event of the window, not from the one that happened to arrive last, so a
    // replay in another order (redelivery after a crash, a rebuild) names the incident the same.
    let earliest: Hit = hit;
    let latest = ev.ts;
    for (const h of window) {
      if (h.ts < earliest.ts || (h.ts === earliest.ts && h.id < earliest.id)) earliest = h;
      if (h.ts > latest) latest = h.ts;
    }
    const created: IncidentState = {
      incidentId: stableUlid(earliest.ts, `${rule.id}|${rule.groupBy}|${value}|${earliest.id}`),
      rule,
      scope: rule.groupBy,
      value,
      firstSeen: earliest.ts,
      lastSeen: latest,
      count: window.length,
      eventIds: window.slice(0, SAMPLE).map((h) => h.id),
      severity: escalatedSeverity(rule, window.length),
      bannedUntil: 0,
    };
    this.open.set(key, created);
    changed.add(created);
    if (rule.ban !== false) bans.add(created);
  }

  /** Put back an incident that was open before a restart (its latest state from the store). */
  restoreIncident(inc: IncidentState): void {
    this.open.set(`${inc.rule.id}\u0000${inc.value}`, inc);
  }

  openIncidents(): IncidentState[] {
    return [...this.open.values()];
  }

  /** The longest window of any rule, ms: how far back state has to be rebuilt after a restart. */
  maxWindowMs(): number {
    return Math.max(0, ...this.rules.map((r) => r.window * 1000));
  }

  /** Forget groups and incidents whose window has passed: memory stays bounded by the active identities. */
  private sweep(): void {
    this.lastSweep = this.maxTs;
    for (const [key, g] of this.groups) {
      if (g.state.lastTs() < this.maxTs - g.rule.window * 1000) this.groups.delete(key);
    }
    for (const [key, inc] of this.open) {
      if (inc.lastSeen < this.maxTs - inc.rule.window * 1000) this.open.delete(key);
    }
  }
}
