// The incident table's filter as the form holds it, its translation to the api's query, and the same
// filter applied to an incident that arrives on the live stream (so a live row appears only where a
// reload would have shown it).
import type { Incident, IncidentFilter, IncidentSort, IncidentStatus, IdentityScope } from '../api/types.ts';
import type { RangeId } from '../components/format.ts';
import { rangeMs } from '../components/format.ts';

export interface IncidentForm {
  range: RangeId | 'all';
  minSeverity: number;
  status: IncidentStatus | '';
  technique: string;
  scope: IdentityScope | '';
  identity: string;
  rule: string;
  sort: IncidentSort;
  order: 'asc' | 'desc';
}

export const DEFAULT_FORM: IncidentForm = {
  range: '24h',
  minSeverity: 0,
  status: '',
  technique: '',
  scope: '',
  identity: '',
  rule: '',
  sort: 'lastSeen',
  order: 'desc',
};

export function toQuery(f: IncidentForm, now: number, limit: number, cursor?: string): IncidentFilter {
  const technique = f.technique.trim().toUpperCase();
  return {
    ...(f.range !== 'all' ? { from: now - rangeMs(f.range) } : {}),
    ...(f.minSeverity > 0 ? { minSeverity: f.minSeverity } : {}),
    ...(f.status ? { status: f.status } : {}),
    ...(technique ? { technique } : {}),
    ...(f.scope ? { scope: f.scope } : {}),
    ...(f.identity.trim() ? { identity: f.identity.trim() } : {}),
    ...(f.rule.trim() ? { rule: f.rule.trim() } : {}),
    sort: f.sort,
    order: f.order,
    limit,
    ...(cursor ? { cursor } : {}),
  };
}

export function matchesForm(i: Incident, f: IncidentForm, now: number): boolean {
  const technique = f.technique.trim().toUpperCase();
  if (f.range !== 'all' && i.lastSeen < now - rangeMs(f.range)) return false;
  if (i.severity < f.minSeverity) return false;
  if (f.status && i.status !== f.status) return false;
  if (technique && i.technique !== technique && !i.technique.startsWith(`${technique}.`)) return false;
  if (f.scope && i.scope !== f.scope) return false;
  if (f.identity.trim() && i.identity !== f.identity.trim()) return false;
  if (f.rule.trim() && i.rule !== f.rule.trim()) return false;
  return true;
}

/**
 * Puts a live incident into the first page sorted newest first: an update replaces its row in place,
 * a new incident goes on top and the page keeps its size.
 */
export function mergeLive(rows: Incident[], i: Incident, limit: number): Incident[] {
  const at = rows.findIndex((r) => r.incidentId === i.incidentId);
  if (at >= 0) {
    const next = rows.slice();
    // the live record has no analyst status yet; keep what the store said about status and assignee
    const prev = rows[at] as Incident;
    next[at] = { ...i, status: prev.status, assignee: prev.assignee };
    return next;
  }
  return [i, ...rows].slice(0, limit);
}
