// Where a sink reads from: decision events (SENTINEL_EVENTS, optionally only some kinds, filtered on the
// server by subject) and incidents (SENTINEL_INCIDENTS). Each source gets its own durable consumer.
import { eventSubject, STREAMS, SUBJECTS, validateDecisionEvent, validateIncident } from '@sentinel/ingest';
import type { EventKind, Validated } from '@sentinel/ingest';
import type { SinkConfig } from '../config.ts';
import type { ExportRecord } from '../format/types.ts';

export interface Source {
  stream: string;
  durable: string;
  /** One subject filter (nats-server 2.9 allows one per consumer): one kind on the server, else all. */
  filterSubject: string;
  parse(input: unknown): Validated<ExportRecord>;
}

/** Durable consumer name of a sink on a stream. */
export function durableName(sink: string, stream: 'events' | 'incidents'): string {
  return `export_${sink}_${stream}`;
}

export function sourcesFor(cfg: SinkConfig): Source[] {
  const out: Source[] = [];
  const { source, kinds } = cfg.filters;
  if (source !== 'incidents') {
    out.push({
      stream: STREAMS.events,
      durable: durableName(cfg.name, 'events'),
      filterSubject: kinds.length === 1 ? eventSubject(kinds[0] as EventKind) : `${SUBJECTS.events}.>`,
      parse: (input) => {
        const v = validateDecisionEvent(input);
        return v.ok ? { ok: true, value: { type: 'event', value: v.value } } : v;
      },
    });
  }
  if (source !== 'events') {
    out.push({
      stream: STREAMS.incidents,
      durable: durableName(cfg.name, 'incidents'),
      filterSubject: `${SUBJECTS.incidents}.>`,
      parse: (input) => {
        const v = validateIncident(input);
        return v.ok ? { ok: true, value: { type: 'incident', value: v.value } } : v;
      },
    });
  }
  return out;
}
