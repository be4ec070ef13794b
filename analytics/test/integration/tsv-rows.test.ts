// The ingest path writes events_v1 as TabSeparated lines built by hand; the rows the engine stores must be
// exactly the rows the JSONEachRow encoding of eventRow() stores, whatever the strings hold.
import { join } from 'node:path';
import type { DecisionEventV1 } from '@sentinel/ingest';
import { tempDir } from '@sentinel/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbStore, EVENT_COLUMNS, eventRow, eventTsv, migrate, tsvEscape } from '@sentinel/analytics';

const NOW = Date.now();
const t = tempDir('sentinel-tsv-');
let store: ChdbStore;
beforeAll(async () => {
  store = new ChdbStore(join(t.dir, 'chdb'));
  await migrate(store);
});
afterAll(async () => {
  await store.close();
  t.cleanup();
});

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ALPHABET = [
  'a',
  'Z',
  '0',
  ' ',
  '\t',
  '\n',
  '\r',
  '\\',
  '\0',
  '\b',
  '\f',
  "'",
  '"',
  '\\t',
  'é',
  '😀',
  '\u0001',
  '\u007f',
  '{',
  ',',
];

function randomEvent(rnd: () => number, i: number): DecisionEventV1 {
  const str = (max: number): string =>
    Array.from({ length: Math.floor(rnd() * max) }, () => ALPHABET[Math.floor(rnd() * ALPHABET.length)]).join(
      '',
    );
  const maybe = (max: number): string | undefined => (rnd() < 0.3 ? undefined : str(max));
  const ev: DecisionEventV1 = {
    v: 1,
    id: `E${String(i).padStart(6, '0')}${str(6)}`,
    // within the last 20 days: the table's retention and per-day partitions allow no wider spread
    ts: NOW - Math.floor(rnd() * 20 * 86_400_000),
    node: str(8),
    kind: rnd() < 0.5 ? 'auth' : 'publish',
    decision: rnd() < 0.5 ? 'allow' : 'deny',
    reason: str(12),
    severity: Math.floor(rnd() * 11),
    subject: {},
  } as DecisionEventV1;
  const subject: Record<string, string> = {};
  for (const k of ['clientId', 'username', 'ip', 'certFingerprint', 'sessionId', 'transport']) {
    const v = maybe(10);
    if (v !== undefined) subject[k] = v;
  }
  ev.subject = subject as DecisionEventV1['subject'];
  if (rnd() < 0.7) {
    ev.mqtt = { packetType: 'publish', topic: str(20), payloadSize: Math.floor(rnd() * 268_435_455) };
  }
  if (rnd() < 0.5) {
    ev.rule = {
      id: str(8),
      technique: str(6),
      values: { a: str(5), n: Math.floor(rnd() * 100) },
      matched: str(10),
    };
  }
  const message = maybe(30);
  if (message !== undefined) ev.message = message;
  return ev;
}

async function stored(): Promise<unknown[]> {
  return store.query(
    `SELECT ${EVENT_COLUMNS.join(', ')}, toUnixTimestamp64Milli(ts) AS ts_ms FROM events_v1 ORDER BY id`,
  );
}

describe('TabSeparated event rows', () => {
  it('escape exactly the characters that would end a value or a row', () => {
    expect(tsvEscape('plain value 😀')).toBe('plain value 😀');
    expect(tsvEscape('a\tb\nc\\d\re\0f\bg\fh')).toBe('a\\tb\\nc\\\\d\\re\\0f\\bg\\fh');
    expect(eventTsv(randomEvent(seeded(1), 0), 7).split('\t')).toHaveLength(EVENT_COLUMNS.length);
  });

  it('store the same rows as JSONEachRow for 3,000 random events with hostile strings', async () => {
    const rnd = seeded(42);
    const events = Array.from({ length: 3000 }, (_, i) => randomEvent(rnd, i));
    await store.insert(
      'events_v1',
      events.map((e, i) => eventRow(e, i + 1)),
    );
    const viaJson = await stored();
    await store.exec('TRUNCATE TABLE events_v1');
    await store.insertTsv(
      'events_v1',
      EVENT_COLUMNS,
      events.map((e, i) => eventTsv(e, i + 1)),
    );
    const viaTsv = await stored();
    expect(viaTsv).toHaveLength(3000);
    expect(viaTsv).toEqual(viaJson);
  });
});
