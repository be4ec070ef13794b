// Hostile strings for property tests: the characters each format must escape, control characters,
// non-ASCII, emoji and very long values, mixed by a seeded generator so a failure can be replayed.
import type { DecisionEventV1, IncidentV1 } from '@sentinel/ingest';
import { EVENT_KINDS, REASONS } from '@sentinel/ingest';

const PIECES = [
  '|',
  '\\',
  '=',
  '\r',
  '\n',
  '\r\n',
  '[',
  ']',
  '"',
  "'",
  '\u0000',
  '\u0001',
  '\u001b',
  '\u007f',
  '\t',
  ' ',
  '  ',
  'ü',
  '日本',
  '🚨',
  'CEF:0|x|',
  'LEEF:2.0|',
  'key=',
  ' a=b ',
  '\\n',
  '\\=',
  '\\|',
  '^',
  '%',
  '<13>',
  '\ufeff',
  'x09',
  'plain',
  '{"a":1}',
  '}',
  '-',
];

/** Mulberry32: small, seeded, good enough to spread cases. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hostileString(r: () => number, maxPieces = 12): string {
  if (r() < 0.05) return 'x'.repeat(3000 + Math.floor(r() * 3000)) + '|=\\\n';
  const n = Math.floor(r() * maxPieces);
  let s = '';
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(r() * PIECES.length)] ?? '';
  return s;
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

export function hostileEvent(r: () => number, i: number): DecisionEventV1 {
  const reason = pick(r, Object.keys(REASONS));
  return {
    v: 1,
    id: `01KHOSTILE${String(i).padStart(16, '0')}`,
    ts: 1_700_000_000_000 + Math.floor(r() * 1e10),
    node: hostileString(r),
    kind: pick(r, EVENT_KINDS),
    decision: pick(r, ['allow', 'deny', 'drop', 'flag'] as const),
    reason: r() < 0.2 ? hostileString(r) : reason,
    severity: Math.floor(r() * 14) - 2,
    subject: {
      clientId: hostileString(r),
      username: hostileString(r),
      ip: hostileString(r, 3),
      port: Math.floor(r() * 65536),
    },
    mqtt: { topic: hostileString(r) },
    rule: {
      id: hostileString(r),
      technique: r() < 0.5 ? 'T1110' : hostileString(r, 2),
      values: { score: 42 },
    },
    message: hostileString(r),
  };
}

export function hostileIncident(r: () => number, i: number): IncidentV1 {
  return {
    v: 1,
    id: `01KHOSTILEINC${String(i).padStart(13, '0')}`,
    ts: 1_700_000_000_000 + Math.floor(r() * 1e10),
    incidentId: hostileString(r),
    rule: hostileString(r),
    title: hostileString(r),
    severity: Math.floor(r() * 11),
    status: pick(r, ['new', 'acknowledged', 'resolved'] as const),
    technique: hostileString(r, 2),
    tactic: hostileString(r),
    identity: { scope: pick(r, ['ip', 'client_id', 'username'] as const), value: hostileString(r) },
    firstSeen: 1,
    lastSeen: 2,
    eventCount: 3,
    eventIds: [hostileString(r)],
  };
}

/** The test's own view of what survives: control characters other than those named become U+FFFD. */
export function expectedText(s: string, keep: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    out += (c < 0x20 || c === 0x7f) && !keep.includes(ch) ? '\ufffd' : ch;
  }
  return out;
}
