// The events consumer's validator: the full contract check of every event (a failure dead-letters the
// record with the problems), then the record in the form the ingest path keeps it (see IngestedEvent).
import { validateDecisionEvent } from '@sentinel/ingest';
import type { Validated } from '@sentinel/ingest';
import { ingestedEvent } from './rows.ts';
import type { IngestedEvent } from './rows.ts';

/** `watches` says whether any detection rule looks at a reason: only those events are kept whole. */
export function ingestValidator(
  watches: (reason: string) => boolean,
): (input: unknown) => Validated<IngestedEvent> {
  return (input) => {
    const v = validateDecisionEvent(input);
    if (!v.ok) return v;
    return { ok: true, value: ingestedEvent(v.value, watches(v.value.reason)) };
  };
}
