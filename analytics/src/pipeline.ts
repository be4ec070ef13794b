// What happens to one consumed batch, live or during a rebuild:
//   store the new events -> evaluate the rules -> store incident updates -> publish them -> ban.
// Only after this resolves does the consumer ack. Incident writes and bans that fail are kept and retried
// with the next batch rather than failing the batch: its events are already stored, so a redelivery
// would find them and skip them, and the effects would be lost.
import { SUBJECTS } from '@sentinel/ingest';
import type {
  ConsumedRecord,
  DecisionEventV1,
  EventPublisher,
  IncidentStatus,
  Logger,
  Validated,
} from '@sentinel/ingest';
import { silentLogger } from '@sentinel/ingest';
import type { DecisionEngine } from './decisions/engine.ts';
import { AllowlistedError } from './errors.ts';
import { incidentRecord, incidentRow } from './incidents/records.ts';
import type { IngestedEvent } from './ingest/rows.ts';
import { ingestValidator } from './ingest/validate.ts';
import { EventWriter } from './ingest/writer.ts';
import type { AnalyticsMetrics } from './metrics.ts';
import type { DetectionEngine, EngineOutput, IncidentState } from './rules/engine.ts';
import type { Store } from './store/store.ts';

export interface PipelineOptions {
  store: Store;
  engine: DetectionEngine;
  /** Live only: rebuilds neither publish nor ban. */
  publisher?: EventPublisher;
  decisions?: DecisionEngine;
  statuses: Map<string, IncidentStatus>;
  metrics?: AnalyticsMetrics;
  log?: Logger;
}

export class Pipeline {
  private readonly writer: EventWriter;
  private readonly log: Logger;
  private pendingIncidents: IncidentState[] = [];
  private pendingBans: IncidentState[] = [];

  constructor(private readonly o: PipelineOptions) {
    this.writer = new EventWriter(o.store);
    this.validate = ingestValidator((reason) => o.engine.watches(reason));
    this.log = (o.log ?? silentLogger).child({ component: 'pipeline' });
    // Each rule's incident count starts at 0, so increase() sees the first incident a rule opens.
    for (const rule of o.engine.rules) o.metrics?.incidents.inc({ rule: rule.id }, 0);
  }

  /** The events consumer's validator for this pipeline (see ingestValidator). */
  readonly validate: (input: unknown) => Validated<IngestedEvent>;

  async handle(batch: readonly ConsumedRecord<IngestedEvent>[]): Promise<void> {
    const started = performance.now();
    const { fresh, duplicates } = await this.writer.write(batch);
    this.o.metrics?.eventsStored.inc(fresh.length);
    if (duplicates > 0) this.o.metrics?.duplicatesDropped.inc(duplicates);
    const watched: DecisionEventV1[] = [];
    for (const r of fresh) if (r.value.event) watched.push(r.value.event);
    await this.apply(this.o.engine.process(watched));
    this.o.metrics?.insertSeconds.observe((performance.now() - started) / 1000);
  }

  /** Retry failed effects when no batch comes to carry them (called on a timer). */
  async retry(): Promise<void> {
    if (this.pendingIncidents.length > 0 || this.pendingBans.length > 0)
      await this.apply({ changed: [], bans: [] });
  }

  /** Store, publish and ban for the engine's output (and whatever failed last time). */
  async apply(out: EngineOutput): Promise<void> {
    const incidents = dedupe([...this.pendingIncidents, ...out.changed]);
    const bans = dedupe([...this.pendingBans, ...out.bans]);
    this.pendingIncidents = [];
    this.pendingBans = [];
    await Promise.all([this.writeIncidents(incidents), this.ban(bans)]);
  }

  private async writeIncidents(incidents: IncidentState[]): Promise<void> {
    if (incidents.length === 0) return;
    try {
      await this.o.store.insert('incidents_v1', incidents.map(incidentRow));
    } catch (err) {
      this.o.metrics?.effectFailures.inc({ what: 'incident' });
      this.log.error('incident write failed; retrying with the next batch', {
        error: err,
        count: incidents.length,
      });
      this.pendingIncidents.push(...incidents);
      return;
    }
    for (const inc of incidents) {
      let status = this.o.statuses.get(inc.incidentId);
      if (status === undefined) {
        status = 'new';
        this.o.statuses.set(inc.incidentId, status);
        this.o.metrics?.incidents.inc({ rule: inc.rule.id });
      }
      this.o.metrics?.incidentUpdates.inc({ rule: inc.rule.id });
      this.o.publisher?.publishRecord(`${SUBJECTS.incidents}.${inc.rule.id}`, incidentRecord(inc, status));
    }
  }

  private async ban(incidents: IncidentState[]): Promise<void> {
    const decisions = this.o.decisions;
    if (!decisions) return;
    for (const inc of incidents) {
      const policy = inc.rule.ban === false ? {} : inc.rule.ban;
      // two rules seeing one attack (brute force and spraying) make one ban, not an escalation
      if (decisions.isBanned(inc.scope, inc.value)) {
        inc.bannedUntil = decisions.bannedUntil(inc.scope, inc.value);
        continue;
      }
      try {
        const d = await decisions.ban({
          scope: inc.scope,
          value: inc.value,
          reason: inc.rule.id,
          origin: 'analytics',
          policy,
          incidentId: inc.incidentId,
          idTs: inc.lastSeen,
        });
        inc.bannedUntil = d.until;
      } catch (err) {
        if (err instanceof AllowlistedError) {
          inc.bannedUntil = Number.MAX_SAFE_INTEGER;
          this.log.info('allowlisted identity not banned', { scope: inc.scope, rule: inc.rule.id });
          continue;
        }
        this.o.metrics?.effectFailures.inc({ what: 'ban' });
        this.log.error('ban failed; retrying with the next batch', { error: err, rule: inc.rule.id });
        this.pendingBans.push(inc);
      }
    }
  }
}

function dedupe(list: IncidentState[]): IncidentState[] {
  return [...new Set(list)];
}
