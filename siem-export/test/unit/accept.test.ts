// The contract's yes/no event check (isValidDecisionEvent, the fast path of validateDecisionEvent) against
// its full check (checkDecisionEvent), on the export's records: on valid events of every shape,
// on each valid event mutated at one or a few places (fields removed, nulled, retyped, pushed to and past
// their limits, unknown enum values, extra keys, nested values of the wrong shape) and on hostile events,
// both must accept and reject exactly the same records, as they arrive (parsed from JSON).
import { describe, expect, it } from 'vitest';
import {
  DECISIONS,
  EVENT_KINDS,
  makeEvent,
  PACKET_TYPES,
  REASONS,
  checkDecisionEvent,
  isValidDecisionEvent,
  ulid,
} from '@sentinel/ingest';
import type { DecisionEventV1, ReasonCode } from '@sentinel/ingest';
import { goldenRecords } from '../fixtures.ts';
import { hostileEvent, rng } from '../hostile.ts';

const RUNS = 4000;
type Obj = Record<string, unknown>;

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** Valid events of every optional shape: with and without mqtt, rule, values, message, subject fields. */
function validEvent(r: () => number, i: number): DecisionEventV1 {
  const reasons = Object.keys(REASONS) as ReasonCode[];
  const ev = makeEvent({
    node: `edge-${i}`,
    reason: pick(r, reasons),
    subject: { clientId: `dev-${i}`, username: 'u', ip: '10.0.0.1', port: Math.floor(r() * 65536) },
    ...(r() < 0.7
      ? { mqtt: { packetType: pick(r, PACKET_TYPES), topic: `t/${i}`, qos: pick(r, [0, 1, 2] as const) } }
      : {}),
    ...(r() < 0.5 ? { message: r() < 0.1 ? '' : `m ${i}` } : {}),
  });
  if (r() < 0.5) ev.rule = { id: `rule-${i}`, technique: 'T1110', values: { score: i, ok: true, s: 'x' } };
  if (r() < 0.2) ev.subject.protocolVersion = pick(r, [3, 4, 5] as const);
  if (r() < 0.2 && ev.mqtt) Object.assign(ev.mqtt, { retain: true, dup: false, packetId: 7, bytes: 9 });
  return ev;
}

const LIMITS = [24, 25, 26, 27, 31, 32, 33, 127, 128, 129, 254, 255, 256, 1023, 1024, 1025, 4096, 4097];
const VALUES: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  -0,
  1,
  -1,
  1.5,
  2,
  3,
  5,
  6,
  10,
  11,
  255,
  65535,
  65536,
  268_435_455,
  268_435_456,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  8.64e15,
  8.64e15 + 1,
  Number.POSITIVE_INFINITY,
  '',
  'x',
  '7',
  ulid(),
  ulid().toLowerCase(),
  `8${ulid().slice(1)}`,
  ...LIMITS.map((n) => 'a'.repeat(n)),
  ...EVENT_KINDS,
  ...DECISIONS,
  'quarantined',
  ...PACKET_TYPES.slice(0, 4),
  'auth.bad_credentials',
  'auth.unknown_reason',
  [],
  ['a'],
  {},
  { a: 1 },
  { a: {} },
  { a: [1] },
  { a: null },
];
const FIELDS: Record<string, string[]> = {
  '': [
    'v',
    'id',
    'ts',
    'node',
    'kind',
    'decision',
    'reason',
    'severity',
    'message',
    'subject',
    'mqtt',
    'rule',
    'extra',
  ],
  subject: [
    'clientId',
    'username',
    'ip',
    'certFingerprint',
    'certSubject',
    'sessionId',
    'transport',
    'port',
    'protocolVersion',
    'x',
  ],
  mqtt: [
    'packetType',
    'topic',
    'qos',
    'retain',
    'dup',
    'packetId',
    'payloadSize',
    'messages',
    'bytes',
    'intervalMs',
    'x',
  ],
  rule: ['id', 'name', 'technique', 'matched', 'values', 'x'],
  'rule.values': ['score', 'threatScore', 'a'],
};

/** One change at a random place: a field set to a value from the pool, or removed. */
function mutate(r: () => number, ev: Obj): void {
  const path = pick(r, Object.keys(FIELDS));
  let target: unknown = ev;
  for (const part of path === '' ? [] : path.split('.')) {
    if (typeof target !== 'object' || target === null) return;
    const t = target as Obj;
    if (t[part] === undefined || r() < 0.1) t[part] = {};
    target = t[part];
  }
  if (typeof target !== 'object' || target === null) return;
  const field = pick(r, FIELDS[path] as string[]);
  const value = pick(r, VALUES);
  if (value === undefined) delete (target as Obj)[field];
  else (target as Obj)[field] = value;
}

/** What a consumer receives: the record after a trip through JSON. */
const asReceived = (x: unknown): unknown => JSON.parse(JSON.stringify(x) ?? 'null') as unknown;

function expectSameVerdict(input: unknown): boolean {
  const full = checkDecisionEvent(input).ok;
  expect(isValidDecisionEvent(input), JSON.stringify(input)?.slice(0, 500)).toBe(full);
  return full;
}

describe('yes/no event check', () => {
  it('accepts every valid event the validator accepts, of every optional shape', () => {
    const r = rng(21);
    for (let i = 0; i < RUNS; i++) expect(expectSameVerdict(asReceived(validEvent(r, i)))).toBe(true);
    for (const rec of goldenRecords) if (rec.type === 'event') expectSameVerdict(asReceived(rec.value));
  });

  it('agrees with the validator on events mutated at one to three places', () => {
    const r = rng(22);
    let rejected = 0;
    for (let i = 0; i < RUNS * 5; i++) {
      const ev = asReceived(validEvent(r, i)) as Obj;
      const n = 1 + Math.floor(r() * 3);
      for (let k = 0; k < n; k++) mutate(r, ev);
      if (!expectSameVerdict(asReceived(ev))) rejected++;
    }
    // Most mutations break the record; both sides of the comparison are exercised.
    expect(rejected).toBeGreaterThan(RUNS);
    expect(rejected).toBeLessThan(RUNS * 5);
  });

  it('agrees with the validator on hostile events and on inputs that are not events at all', () => {
    const r = rng(23);
    for (let i = 0; i < RUNS; i++) expectSameVerdict(asReceived(hostileEvent(r, i)));
    for (const x of [null, 1, 'x', [], [validEvent(r, 0)], {}, { v: 1 }, true]) expectSameVerdict(x);
  });

  it('agrees on numbers only raw JSON can carry: overflow to Infinity, negative zero, exponents', () => {
    const r = rng(25);
    const text = JSON.stringify(validEvent(r, 3));
    for (const raw of ['1e999', '-1e999', '-0', '5e0', '1E1', '0.5e1', '65535.0']) {
      for (const field of ['ts', 'severity']) {
        expectSameVerdict(JSON.parse(text.replace(new RegExp(`"${field}":\\d+`), `"${field}":${raw}`)));
      }
      expectSameVerdict(JSON.parse(text.replace(/"port":\d+/, `"port":${raw}`)));
    }
  });

  it('a non-JSON object (inherited or non-enumerable fields, holes) gets the same verdict too', () => {
    const r = rng(24);
    const base = validEvent(r, 1);
    const inherited = Object.create({ extra: 1 }) as Obj;
    Object.assign(inherited, base);
    expectSameVerdict(inherited);
    const values = Object.create({ bad: {} }) as Obj;
    Object.defineProperty(values, 'hidden', { value: {}, enumerable: false });
    expectSameVerdict({ ...base, rule: { id: 'r', values } });
    expectSameVerdict({ ...base, rule: { id: 'r', values: { a: {} } } });
    expectSameVerdict({ ...base, rule: { id: 'r', values: [] } });
  });
});
