import { describe, expect, it } from 'vitest';
import {
  MAX_REPORTED_PROBLEMS,
  checkIntakeConfig,
  intakeConfigSchema,
  makeEvent,
  readBatch,
  readKafkaValue,
  tokenMatches,
} from '@sentinel/ingest';
import { createHash } from 'node:crypto';

const ev = (i: number) =>
  makeEvent({
    node: 'gw-1',
    reason: 'auth.bad_credentials',
    subject: { ip: `192.0.2.${i}`, clientId: `d${i}` },
  });

describe('HTTP intake body reading', () => {
  it('one JSON event is a batch of one', () => {
    const e = ev(1);
    expect(readBatch(JSON.stringify(e), 'application/json', 10)).toEqual({ ok: true, events: [e] });
  });

  it('a JSON array keeps its order', () => {
    const list = [ev(1), ev(2), ev(3)];
    const r = readBatch(JSON.stringify(list), 'application/json', 10);
    expect(r.ok && r.events.map((e) => e.id)).toEqual(list.map((e) => e.id));
  });

  it('NDJSON is read line by line, blank lines skipped, by content type or sniffed', () => {
    const list = [ev(1), ev(2)];
    const body = list.map((e) => JSON.stringify(e)).join('\n\n') + '\n';
    for (const type of ['application/x-ndjson', 'application/json', undefined]) {
      const r = readBatch(body, type, 10);
      expect(r.ok && r.events.length).toBe(2);
    }
  });

  it('a JSON array under a vendor JSON type is read as JSON, not as NDJSON', () => {
    const r = readBatch(JSON.stringify([ev(1), ev(2)]), 'application/vnd.sentinel+json; charset=utf-8', 10);
    expect(r.ok && r.events.length).toBe(2);
  });

  it('a batch with one bad event is refused whole, naming index, field and reason', () => {
    const list: unknown[] = [
      ev(1),
      { ...ev(2), severity: 11 },
      ev(3),
      { ...ev(4), reason: 'nope.x', kind: 'x' },
    ];
    const r = readBatch(JSON.stringify(list), 'application/json', 10);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe(400);
    expect(r.error).toBe('2 of 4 events are invalid; none was accepted');
    expect(r.problems).toContainEqual({
      index: 1,
      field: 'severity',
      problem: 'must be between 0 and 10, got 11',
    });
    expect(r.problems.filter((p) => p.index === 3).map((p) => p.field)).toEqual(['kind', 'reason']);
  });

  it('NDJSON with a line that is not JSON names that event', () => {
    const r = readBatch(`${JSON.stringify(ev(1))}\n{"v":1,\n`, 'application/x-ndjson', 10);
    expect(!r.ok && r.problems[0]).toMatchObject({ index: 1, field: '(record)' });
  });

  it('a body that is not JSON, an empty body and an empty array are 400', () => {
    for (const body of ['not json', '', '[]', '   ']) {
      const r = readBatch(body, 'application/json', 10);
      expect(!r.ok && r.status).toBe(400);
    }
  });

  it('more events than maxEvents is 413', () => {
    const r = readBatch(JSON.stringify([ev(1), ev(2), ev(3)]), 'application/json', 2);
    expect(!r.ok && r.status).toBe(413);
  });

  it('a huge bad batch reports a bounded number of problems', () => {
    const bad = Array.from({ length: 500 }, () => ({ v: 2 }));
    const r = readBatch(JSON.stringify(bad), 'application/json', 1000);
    expect(!r.ok && r.problems.length).toBe(MAX_REPORTED_PROBLEMS);
  });
});

describe('HTTP intake token', () => {
  const expected = createHash('sha256').update('s3cret-token-0123456789').digest();
  it('accepts only the exact bearer token', () => {
    expect(tokenMatches('Bearer s3cret-token-0123456789', expected)).toBe(true);
    expect(tokenMatches('bearer s3cret-token-0123456789', expected)).toBe(true);
    for (const h of [
      undefined,
      '',
      'Bearer',
      'Bearer s3cret-token-012345678',
      'Basic s3cret-token-0123456789',
      'Bearer s3cret-token-0123456789x',
    ])
      expect(tokenMatches(h, expected)).toBe(false);
  });
});

describe('Kafka intake message reading', () => {
  it('a message value is one event, an array or NDJSON; a tombstone or bad value is refused with the reason', () => {
    const list = [ev(1), ev(2)];
    const one = readKafkaValue(Buffer.from(JSON.stringify(list[0])), 10);
    expect(one.ok && one.events).toEqual([list[0]]);
    const nd = readKafkaValue(Buffer.from(list.map((e) => JSON.stringify(e)).join('\n')), 10);
    expect(nd.ok && nd.events.length).toBe(2);
    expect(readKafkaValue(null, 10)).toMatchObject({ ok: false, error: 'empty message' });
    const bad = readKafkaValue(Buffer.from(JSON.stringify({ ...ev(3), ts: -1 })), 10);
    expect(!bad.ok && bad.problems).toEqual([
      { index: 0, field: 'ts', problem: 'must be between 0 and 8640000000000000, got -1' },
    ]);
  });
});

describe('intake settings', () => {
  const cfg = (patch: Record<string, unknown>) => intakeConfigSchema.parse(patch);
  it('intake with no listener, HTTP without a token, Kafka without brokers are refused naming the key', () => {
    expect(() => checkIntakeConfig(cfg({}))).toThrow(/no listener/);
    expect(() => checkIntakeConfig(cfg({ http: { enabled: true } }))).toThrow(
      /intake\.http\.token is not set/,
    );
    expect(() => checkIntakeConfig(cfg({ kafka: { enabled: true } }))).toThrow(/intake\.kafka\.brokers/);
    expect(() => checkIntakeConfig(cfg({ syslog: { udpPort: 5514, allowFrom: ['10.0.0.0/33'] } }))).toThrow(
      /intake\.syslog\.allowFrom\.0.*10\.0\.0\.0\/33/,
    );
    expect(() => intakeConfigSchema.parse({ http: { token: 'short' } })).toThrow(/at least 16/);
    expect(() =>
      checkIntakeConfig(cfg({ syslog: { tcpPort: 5514, allowFrom: ['10.0.0.0/8', '::1'] } })),
    ).not.toThrow();
  });
});
