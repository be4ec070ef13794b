// Reading a request body into decision events, all-or-nothing: a batch is accepted only when every event
// in it validates, so a sender never has to work out which part of a batch went through. Pure: no I/O.
import { validateDecisionEvent } from '../contract/validate.ts';
import type { DecisionEventV1 } from '../contract/v1.ts';

/** One bad event: its position among the events of the batch (0-based; blank NDJSON lines do not count), the field and why. */
export interface BatchProblem {
  index: number;
  field: string;
  problem: string;
}

export type BatchResult =
  | { ok: true; events: DecisionEventV1[] }
  | { ok: false; status: 400 | 413; error: string; problems: BatchProblem[] };

/** At most this many problems are returned: enough to fix a sender, bounded for a huge bad batch. */
export const MAX_REPORTED_PROBLEMS = 100;

function isNdjson(contentType: string | undefined): boolean {
  return contentType !== undefined && /ndjson|jsonl|json-seq|jsonlines/i.test(contentType);
}

function parseNdjson(body: string): { items: unknown[] } | { problem: BatchProblem } {
  const items: unknown[] = [];
  for (const line of body.split('\n')) {
    const text = line.trim();
    if (text === '') continue;
    try {
      items.push(JSON.parse(text));
    } catch (err) {
      return {
        problem: {
          index: items.length,
          field: '(record)',
          problem: `is not JSON: ${(err as Error).message}`,
        },
      };
    }
  }
  return { items };
}

/** The items of a body: one JSON object, a JSON array, or NDJSON (by content type, or sniffed). */
function parseItems(
  body: string,
  contentType: string | undefined,
): { items: unknown[] } | { problem: BatchProblem } {
  if (isNdjson(contentType)) return parseNdjson(body);
  try {
    const parsed: unknown = JSON.parse(body);
    return { items: Array.isArray(parsed) ? parsed : [parsed] };
  } catch (err) {
    // Several JSON lines sent as application/json: read them as NDJSON rather than refuse a common mistake.
    if (body.trim().includes('\n')) return parseNdjson(body);
    return { problem: { index: 0, field: '(body)', problem: `is not JSON: ${(err as Error).message}` } };
  }
}

export function readBatch(body: string, contentType: string | undefined, maxEvents: number): BatchResult {
  const parsed = parseItems(body, contentType);
  if ('problem' in parsed)
    return { ok: false, status: 400, error: 'body is not JSON or NDJSON', problems: [parsed.problem] };
  const { items } = parsed;
  if (items.length === 0)
    return {
      ok: false,
      status: 400,
      error: 'no events in the body',
      problems: [{ index: 0, field: '(body)', problem: 'holds no event' }],
    };
  if (items.length > maxEvents)
    return {
      ok: false,
      status: 413,
      error: `too many events in one request: ${items.length} > ${maxEvents}`,
      problems: [],
    };
  const events: DecisionEventV1[] = [];
  const problems: BatchProblem[] = [];
  for (let index = 0; index < items.length; index++) {
    const v = validateDecisionEvent(items[index]);
    if (v.ok) events.push(v.value);
    else
      for (const p of v.problems) if (problems.length < MAX_REPORTED_PROBLEMS) problems.push({ index, ...p });
  }
  if (problems.length > 0)
    return {
      ok: false,
      status: 400,
      error: `${items.length - events.length} of ${items.length} events are invalid; none was accepted`,
      problems,
    };
  return { ok: true, events };
}
