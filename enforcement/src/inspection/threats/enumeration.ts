// Topic enumeration: a subscription to a catch-all filter, or many distinct filters in a short window.
import { REASONS } from '@sentinel/ingest';
import { BoundedMap } from '../bounded.ts';
import type { InspectionConfig } from '../config.ts';
import { safeDisplayString } from '../display.ts';
import type { Finding } from '../types.ts';
import { finding } from '../types.ts';

interface ClientFilters {
  /** Filter → last time seen (ms); only entries inside the window count. */
  seen: Map<string, number>;
}

export class EnumerationTracker {
  private readonly clients: BoundedMap<string, ClientFilters>;
  private readonly catchAll: Set<string>;
  /** Distinct filters remembered per client: the threshold plus one is all the detector needs. */
  private readonly perClientCap: number;

  constructor(private readonly cfg: InspectionConfig) {
    this.clients = new BoundedMap(cfg.maxTrackedClients);
    this.catchAll = new Set(cfg.enumerationFilters);
    this.perClientCap = cfg.enumerationMaxFilters + 1;
  }

  subscribe(clientId: string, filters: readonly string[], now: number, out: Finding[]): void {
    for (const f of filters) {
      if (this.catchAll.has(f)) {
        out.push(
          finding(
            'threat.topic_enumeration',
            'deny',
            'block',
            REASONS['threat.topic_enumeration'].severity,
            {
              id: 'threat.topic_enumeration.catch_all',
              name: 'Subscription to a catch-all filter',
              technique: 'T0846',
              matched: safeDisplayString(f),
              values: { filter: safeDisplayString(f) },
            },
            `subscription to ${safeDisplayString(f)} looks like topic enumeration`,
          ),
        );
        return;
      }
    }
    const c = this.clients.upsert(clientId, () => ({ seen: new Map() }));
    const windowStart = now - this.cfg.enumerationWindowS * 1000;
    for (const [f, t] of c.seen) if (t < windowStart) c.seen.delete(f);
    for (const f of filters) {
      c.seen.delete(f);
      c.seen.set(f, now);
      if (c.seen.size > this.perClientCap) c.seen.delete(c.seen.keys().next().value as string);
    }
    if (c.seen.size > this.cfg.enumerationMaxFilters) {
      out.push(
        finding(
          'threat.topic_enumeration',
          'deny',
          'block',
          REASONS['threat.topic_enumeration'].severity,
          {
            id: 'threat.topic_enumeration.distinct_filters',
            name: 'Many distinct subscriptions in a short window',
            technique: 'T0846',
            values: {
              distinct: c.seen.size,
              limit: this.cfg.enumerationMaxFilters,
              windowS: this.cfg.enumerationWindowS,
            },
          },
          `${c.seen.size} distinct filters within ${this.cfg.enumerationWindowS} s looks like topic enumeration`,
        ),
      );
    }
  }

  forget(clientId: string): void {
    this.clients.delete(clientId);
  }
}
