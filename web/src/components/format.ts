// Formatting shared by every page: times in UTC (analysts compare with logs that are in UTC), severities
// in words, durations in the largest unit.

export function formatTime(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '—';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

export function formatAgo(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export function formatDuration(seconds: number): string {
  if (seconds >= 86_400 && seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

export type SeverityBand = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** 0–10 scale of the event contract. */
export function severityBand(sev: number): SeverityBand {
  if (sev >= 9) return 'critical';
  if (sev >= 7) return 'high';
  if (sev >= 4) return 'medium';
  if (sev >= 1) return 'low';
  return 'info';
}

export function formatNumber(n: number): string {
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(n);
}

export const RANGES = [
  { id: '1h', label: 'Last hour', ms: 3600_000 },
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
  { id: '90d', label: 'Last 90 days', ms: 90 * 86_400_000 },
] as const;
export type RangeId = (typeof RANGES)[number]['id'];

export function rangeMs(id: RangeId): number {
  return RANGES.find((r) => r.id === id)?.ms ?? 86_400_000;
}

export const MITRE_URL = (technique: string): string =>
  `https://attack.mitre.org/techniques/${technique.split('.').join('/')}/`;

/** A quarantined payload (base64) as safe display text: printable ASCII, the rest as dots. */
export function payloadPreview(b64: string, max = 512): string {
  let raw: string;
  try {
    raw = atob(b64);
  } catch {
    return b64.slice(0, max);
  }
  let out = '';
  for (let i = 0; i < raw.length && out.length < max; i++) {
    const c = raw.charCodeAt(i);
    out += c >= 0x20 && c < 0x7f ? raw[i] : '·';
  }
  return raw.length > max ? `${out}…` : out;
}
