// The events consumer keeps each validated event as its events_v1 line (and the event itself only when a
// rule watches its reason). Compared with the contract validator and eventTsv() on random events, valid
// and broken.
import { REASONS, makeEvent, validateDecisionEvent } from '@sentinel/ingest';
import type { DecisionEventV1, ReasonCode } from '@sentinel/ingest';
import { describe, expect, it } from 'vitest';
import { DetectionEngine, eventTsv, ingestValidator, loadRules } from '@sentinel/analytics';

function seeded(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
}

const HOSTILE = [
  'plain',
  'tab\there',
  'line\nfeed',
  'back\\slash',
  'nul\0',
  'ünïcødé ✓',
  '',
  'cr\r',
  'x'.repeat(300),
];
const REASON_CODES = Object.keys(REASONS) as ReasonCode[];

function randomEvent(rnd: (n: number) => number, i: number): DecisionEventV1 {
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)] as T;
  const e = makeEvent({
    node: `edge-${rnd(3)}`,
    reason: pick(REASON_CODES),
    subject: {
      ip: `10.0.${rnd(256)}.${rnd(256)}`,
      ...(rnd(2) ? { clientId: pick(HOSTILE) || 'c' } : {}),
      ...(rnd(2) ? { username: pick(HOSTILE) || 'u' } : {}),
    },
    ...(rnd(2)
      ? { mqtt: { packetType: 'publish' as const, topic: pick(HOSTILE), payloadSize: rnd(5000) } }
      : {}),
    ...(rnd(3) === 0 ? { message: pick(HOSTILE) } : {}),
    ts: 1_767_000_000_000 + i,
  });
  return JSON.parse(JSON.stringify(e)) as DecisionEventV1; // as it arrives: parsed from the wire
}

/** Broken copies: what the contract validator turns down, and a few it accepts. */
function mutate(rnd: (n: number) => number, e: DecisionEventV1): unknown {
  const o = JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
  switch (rnd(7)) {
    case 0:
      delete o.id;
      break;
    case 1:
      o.severity = 11;
      break;
    case 2:
      o.reason = 'no.such_reason';
      break;
    case 3:
      o.subject = 'not an object';
      break;
    case 4:
      o.ts = 'yesterday';
      break;
    case 5:
      return [o];
    default:
      o.extra = { anything: true };
  }
  return o;
}

describe('ingest validator', () => {
  const engine = new DetectionEngine(loadRules());
  const validate = ingestValidator((r) => engine.watches(r));

  it('keeps the line eventTsv() writes for every valid event, and the event only when a rule watches its reason', () => {
    const rnd = seeded(11);
    let kept = 0;
    for (let i = 0; i < 3000; i++) {
      const e = randomEvent(rnd, i);
      const v = validate(e);
      expect(v.ok).toBe(true);
      if (!v.ok) continue;
      expect(v.value.id).toBe(e.id);
      expect(v.value.ts).toBe(e.ts);
      expect(`${v.value.line}\t${i + 1}`).toBe(eventTsv(e, i + 1));
      expect(v.value.event === e).toBe(engine.watches(e.reason));
      if (v.value.event) kept += 1;
    }
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(3000);
  });

  it('turns down exactly what the contract validator turns down, with the same problems', () => {
    const rnd = seeded(12);
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const input = mutate(rnd, randomEvent(rnd, i));
      const expected = validateDecisionEvent(input);
      const got = validate(input);
      expect(got.ok).toBe(expected.ok);
      if (!got.ok && !expected.ok) {
        expect(got.problems).toEqual(expected.problems);
        rejected += 1;
      }
    }
    expect(rejected).toBeGreaterThan(1000);
  });
});
