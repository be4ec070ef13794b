// Stream, subject and bucket names. Every package takes them from here.
import { EVENT_KINDS } from './v1.ts';
import type { EventKind } from './v1.ts';

export const STREAMS = {
  events: 'SENTINEL_EVENTS',
  incidents: 'SENTINEL_INCIDENTS',
  decisions: 'SENTINEL_DECISIONS',
  actions: 'SENTINEL_ACTIONS',
  quarantine: 'SENTINEL_QUARANTINE',
  deadLetter: 'SENTINEL_DLQ',
} as const;
export type StreamKey = keyof typeof STREAMS;

export const SUBJECTS = {
  /** sentinel.events.<kind> */
  events: 'sentinel.events',
  incidents: 'sentinel.incidents',
  decisions: 'sentinel.decisions',
  actions: 'sentinel.actions',
  quarantine: 'sentinel.quarantine',
  deadLetter: 'sentinel.dlq',
} as const;

/** The KV bucket holding active bans; enforcement nodes load it at start and watch it. */
export const BANS_BUCKET = 'sentinel_bans';

/** One flat string per kind, built once: publishers ask for a subject with every event. */
const EVENT_SUBJECTS = new Map<string, string>(EVENT_KINDS.map((k) => [k, `${SUBJECTS.events}.${k}`]));

export function eventSubject(kind: EventKind): string {
  return EVENT_SUBJECTS.get(kind) ?? `${SUBJECTS.events}.${kind}`;
}

/** Dead letters carry the stream and consumer they came from: sentinel.dlq.<stream>.<consumer>. */
export function deadLetterSubject(stream: string, consumer: string): string {
  return `${SUBJECTS.deadLetter}.${stream}.${consumer}`;
}

/** KV keys allow [-/_=.a-zA-Z0-9]; values (IPv6, CIDR, DNs) are base64url-encoded after the scope. */
export function banKey(scope: string, value: string): string {
  return `${scope}.${Buffer.from(value, 'utf8').toString('base64url')}`;
}

export function parseBanKey(key: string): { scope: string; value: string } | undefined {
  const dot = key.indexOf('.');
  if (dot <= 0) return undefined;
  return { scope: key.slice(0, dot), value: Buffer.from(key.slice(dot + 1), 'base64url').toString('utf8') };
}
