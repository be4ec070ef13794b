// One requirement against the facts and the evidence: a status and a rationale an auditor can check
// (every setting named with its value, every count with its reasons, sample event ids to look up).
import type {
  ConfigFacts,
  Evidence,
  RequirementResult,
  RequirementSpec,
  RequirementStatus,
} from './types.ts';

const RANK: Record<RequirementStatus, number> = { not_applicable: -1, not_met: 0, partly_met: 1, met: 2 };

function cap(status: RequirementStatus, max: RequirementStatus): RequirementStatus {
  return RANK[status] > RANK[max] ? max : status;
}

function yesNo(v: boolean | number | undefined): string {
  if (v === undefined) return 'not in this configuration';
  if (typeof v === 'number') return String(v);
  return v ? 'yes' : 'no';
}

/** Events whose reason equals a code or starts with a family (`auth.`). */
export function matchingReasons(spec: RequirementSpec, ev: Evidence): { reason: string; events: number }[] {
  if (spec.evidence.length === 0) return [];
  return ev.byReason.filter((r) =>
    spec.evidence.some((e) => (e.endsWith('.') ? r.reason.startsWith(e) : r.reason === e)),
  );
}

function samplesFor(spec: RequirementSpec, ev: Evidence, n: number): string[] {
  const families = new Set(spec.evidence.map((e) => e.split('.')[0] ?? e));
  const ids: string[] = [];
  for (const f of families) ids.push(...(ev.samples[f] ?? []));
  return ids.slice(0, n);
}

function controlsStatus(spec: RequirementSpec, facts: ConfigFacts, evidenceCount: number): RequirementStatus {
  if (spec.requires.length === 0) return 'met';
  const values = spec.requires.map((r) => facts[r.fact]);
  if (values.every((v) => v === true)) return 'met';
  // a setting this process cannot see, with events showing the control at work, counts half
  const partial = values.some((v) => v === true || (v === undefined && evidenceCount > 0));
  return partial ? 'partly_met' : 'not_met';
}

export function evaluate(
  spec: RequirementSpec,
  facts: ConfigFacts,
  ev: Evidence,
  sampleSize: number,
): RequirementResult {
  const base = { id: spec.id, title: spec.title };
  if (spec.outOfScope) {
    return {
      ...base,
      status: 'not_applicable',
      rationale: `Not applicable to a runtime report: ${spec.outOfScope}.`,
      evidenceEvents: 0,
      sampleEventIds: [],
    };
  }
  if (spec.applicableWhen && facts[spec.applicableWhen] === false) {
    return {
      ...base,
      status: 'not_applicable',
      rationale: `Not applicable: ${spec.applicableWhen} is off in this configuration.`,
      evidenceEvents: 0,
      sampleEventIds: [],
    };
  }
  const reasons = matchingReasons(spec, ev);
  const count = reasons.reduce((s, r) => s + r.events, 0);
  let status = controlsStatus(spec, facts, count);
  const why: string[] = [];
  if (spec.requires.length > 0) {
    why.push(
      `Required settings: ${spec.requires.map((r) => `${r.label} = ${yesNo(facts[r.fact])}`).join('; ')}.`,
    );
  }
  const weak = (spec.supports ?? []).filter((s) => facts[s.fact] !== true);
  if (spec.supports && spec.supports.length > 0) {
    why.push(
      `Supporting settings: ${spec.supports.map((r) => `${r.label} = ${yesNo(facts[r.fact])}`).join('; ')}.`,
    );
    if (weak.length > 0) status = cap(status, 'partly_met');
  }
  if (spec.minRetentionDays !== undefined) {
    const ok = facts.retentionDays >= spec.minRetentionDays;
    why.push(
      `Event retention is ${facts.retentionDays} days (at least ${spec.minRetentionDays} expected); records (incidents, decisions, actions) are kept ${facts.recordRetentionDays} days.`,
    );
    if (!ok) status = cap(status, 'partly_met');
  }
  if (spec.evidence.length > 0) {
    const detail = reasons.length > 0 ? ` (${reasons.map((r) => `${r.reason} ${r.events}`).join(', ')})` : '';
    why.push(
      `Evidence ${iso(ev.from)} to ${iso(ev.to)}: ${count} events with reasons ${spec.evidence.join(', ')}${detail}.`,
    );
    if (spec.evidenceRequired && count === 0) {
      status = cap(status, 'partly_met');
      why.push('No event in the range shows the control operating.');
    }
  }
  const samples = samplesFor(spec, ev, sampleSize);
  if (samples.length > 0) why.push(`Sample event ids: ${samples.join(', ')}.`);
  why.push(`How: ${spec.how}`);
  return { ...base, status, rationale: why.join(' '), evidenceEvents: count, sampleEventIds: samples };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
